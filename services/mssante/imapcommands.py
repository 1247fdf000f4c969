"""IMAP commands of the selected state: FETCH, SEARCH, STORE, EXPUNGE, CLOSE (and their UID forms)."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from . import store
from .imapdata import (
    FLAGS,
    ImapError,
    Token,
    bodystructure,
    envelope,
    imap_date,
    search_keys,
    section,
    sequence,
    text,
)
from .models import Message

if TYPE_CHECKING:
    from .imap import ImapContext

SECTION = re.compile(r"^(BODY(?:\.PEEK)?)\[([^\]]*)\](?:<(\d+)(?:\.(\d+))?>)?$", re.IGNORECASE)
IDLE_POLL_SECONDS = 2.0
"""How often an idling session looks for new mail (delivery is in the database, shared by instances)."""
MACROS = {
    "ALL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
    "FAST": ["FLAGS", "INTERNALDATE", "RFC822.SIZE"],
    "FULL": ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"],
}


def _items(token: Token) -> list[str]:
    """FETCH attribute names, macros expanded (``BODY[…]`` sections arrive as one atom)."""
    items = [text(item) for item in (token if isinstance(token, list) else [token])]
    expanded: list[str] = []
    for item in items:
        expanded.extend(MACROS.get(item.upper(), [item]))
    return expanded


class SelectedCommands:
    """Mixed into the IMAP session; relies on its ``send``, ``selected``, ``address``, ``context``."""

    selected: list[Message] | None
    readonly: bool
    reader: asyncio.StreamReader
    context: ImapContext
    address: str

    async def send(self, *lines: str | bytes) -> None:
        raise NotImplementedError

    async def refresh(self) -> None:
        raise NotImplementedError

    async def _need_selected(self, tag: str) -> list[Message] | None:
        if self.selected is None:
            await self.send(f"{tag} BAD select a mailbox first")
        return self.selected

    def _targets(self, spec: str, by_uid: bool) -> list[tuple[int, Message]]:
        assert self.selected is not None
        if by_uid:
            largest = max((m.uid for m in self.selected), default=0)
            wanted = sequence(spec, largest)
            return [(i, m) for i, m in enumerate(self.selected, 1) if m.uid in wanted]
        wanted = sequence(spec, len(self.selected))
        return [(i, m) for i, m in enumerate(self.selected, 1) if i in wanted]

    async def _raw(self, uids: list[int]) -> dict[int, bytes]:
        return await self.context.database.read(
            lambda s: store.raw_by_uid(s, address=self.address, uids=uids)
        )

    async def fetch(self, tag: str, args: list[Token], by_uid: bool) -> None:
        if await self._need_selected(tag) is None:
            return
        if len(args) < 2:
            raise ImapError("FETCH sequence attributes")
        items = _items(args[1])
        if by_uid and not any(i.upper() == "UID" for i in items):
            items.insert(0, "UID")
        targets = self._targets(text(args[0]), by_uid)
        needs_raw = any(i.upper() not in ("FLAGS", "UID", "INTERNALDATE", "RFC822.SIZE") for i in items)
        raws = await self._raw([m.uid for _, m in targets]) if needs_raw else {}
        marks = [
            m.uid
            for _, m in targets
            if "\\Seen" not in m.flags
            and not self.readonly
            and any(i.upper() in ("RFC822", "RFC822.TEXT") or i.upper().startswith("BODY[") for i in items)
        ]
        if marks:
            changed = await self.context.database.write(
                lambda s: store.set_flags(s, address=self.address, uids=marks, flags=["\\Seen"], mode="+")
            )
            for _, message in targets:
                message.flags = changed.get(message.uid, message.flags)
        for number, message in targets:
            raw = raws.get(message.uid)
            if needs_raw and raw is None:
                continue
            parts: list[bytes] = []
            for item in items:
                parts.append(self._attribute(item, message, raw))
            await self.send(f"* {number} FETCH (".encode() + b" ".join(parts) + b")")
        await self.send(f"{tag} OK {'UID ' if by_uid else ''}FETCH completed")

    @staticmethod
    def _literal(name: str, data: bytes) -> bytes:
        return f"{name} {{{len(data)}}}\r\n".encode() + data

    def _attribute(self, item: str, message: Message, raw: bytes | None) -> bytes:
        upper = item.upper()
        if upper == "FLAGS":
            return f"FLAGS ({' '.join(message.flags)})".encode()
        if upper == "UID":
            return f"UID {message.uid}".encode()
        if upper == "INTERNALDATE":
            return f'INTERNALDATE "{imap_date(message.received_at)}"'.encode()
        if upper == "RFC822.SIZE":
            return f"RFC822.SIZE {message.size}".encode()
        assert raw is not None
        if upper == "ENVELOPE":
            return f"ENVELOPE {envelope(raw)}".encode()
        if upper == "RFC822":
            return self._literal("RFC822", raw)
        if upper == "RFC822.HEADER":
            return self._literal("RFC822.HEADER", section(raw, "HEADER"))
        if upper == "RFC822.TEXT":
            return self._literal("RFC822.TEXT", section(raw, "TEXT"))
        if upper in ("BODYSTRUCTURE", "BODY"):
            return f"{upper} {bodystructure(raw)}".encode()
        match = SECTION.match(item)
        if not match:
            raise ImapError(f"unsupported FETCH attribute {item}")
        spec, start, length = match.group(2), match.group(3), match.group(4)
        data = section(raw, spec)
        name = f"BODY[{spec}]"
        if start is not None:
            offset = int(start)
            data = data[offset : offset + int(length)] if length else data[offset:]
            name += f"<{offset}>"
        return self._literal(name, data)

    async def search(self, tag: str, args: list[Token], by_uid: bool) -> None:
        selected = await self._need_selected(tag)
        if selected is None:
            return
        if args and text(args[0]).upper() == "CHARSET":
            args = args[2:]
        largest_uid = max((m.uid for m in selected), default=0)
        criterion, needs_raw = search_keys(args or ["ALL"], len(selected), largest_uid)
        raws = await self._raw([m.uid for m in selected]) if needs_raw else {}
        found = [
            (m.uid if by_uid else number)
            for number, m in enumerate(selected, 1)
            if criterion(number, m, raws.get(m.uid))
        ]
        await self.send(f"* SEARCH{''.join(f' {n}' for n in found)}", f"{tag} OK SEARCH completed")

    async def store_flags(self, tag: str, args: list[Token], by_uid: bool) -> None:
        if await self._need_selected(tag) is None:
            return
        if self.readonly:
            await self.send(f"{tag} NO [READ-ONLY] mailbox selected with EXAMINE")
            return
        if len(args) < 3:
            raise ImapError("STORE sequence item flags")
        action = text(args[1]).upper()
        match = re.fullmatch(r"([+-]?)FLAGS(\.SILENT)?", action)
        if not match:
            raise ImapError(f"unsupported STORE item {action}")
        values = args[2] if isinstance(args[2], list) else args[2:]
        flags = [text(f) for f in values]
        known = {flag.lower(): flag for flag in FLAGS}
        unknown = [f for f in flags if f.lower() not in known]
        if unknown:
            await self.send(f"{tag} NO [CANNOT] flags not kept: {' '.join(unknown)}")
            return
        flags = [known[f.lower()] for f in flags]
        targets = self._targets(text(args[0]), by_uid)
        changed = await self.context.database.write(
            lambda s: store.set_flags(
                s, address=self.address, uids=[m.uid for _, m in targets], flags=flags, mode=match.group(1)
            )
        )
        for number, message in targets:
            message.flags = changed.get(message.uid, message.flags)
            if not match.group(2):
                uid = f"UID {message.uid} " if by_uid else ""
                await self.send(f"* {number} FETCH ({uid}FLAGS ({' '.join(message.flags)}))")
        await self.send(f"{tag} OK STORE completed")

    async def expunge(self, tag: str | None, uids: set[int] | None = None) -> None:
        assert self.selected is not None
        if self.readonly:
            if tag:
                await self.send(f"{tag} NO [READ-ONLY] mailbox selected with EXAMINE")
            return
        removed = await self.context.database.write(
            lambda s: store.expunge(s, address=self.address, uids=sorted(uids) if uids is not None else None)
        )
        gone = set(removed)
        numbers = [i for i, m in enumerate(self.selected, 1) if m.uid in gone]
        self.selected = [m for m in self.selected if m.uid not in gone]
        if tag:
            for number in sorted(numbers, reverse=True):
                await self.send(f"* {number} EXPUNGE")
            await self.send(f"{tag} OK EXPUNGE completed")

    async def cmd_FETCH(self, tag: str, args: list[Token]) -> None:
        await self.fetch(tag, args, by_uid=False)

    async def uid_FETCH(self, tag: str, args: list[Token]) -> None:
        await self.fetch(tag, args, by_uid=True)

    async def cmd_SEARCH(self, tag: str, args: list[Token]) -> None:
        await self.search(tag, args, by_uid=False)

    async def uid_SEARCH(self, tag: str, args: list[Token]) -> None:
        await self.search(tag, args, by_uid=True)

    async def cmd_STORE(self, tag: str, args: list[Token]) -> None:
        await self.store_flags(tag, args, by_uid=False)

    async def uid_STORE(self, tag: str, args: list[Token]) -> None:
        await self.store_flags(tag, args, by_uid=True)

    async def cmd_EXPUNGE(self, tag: str, args: list[Token]) -> None:
        if await self._need_selected(tag) is not None:
            await self.expunge(tag)

    async def uid_EXPUNGE(self, tag: str, args: list[Token]) -> None:
        if await self._need_selected(tag) is not None:
            largest = max((m.uid for m in self.selected or []), default=0)
            await self.expunge(tag, sequence(text(args[0]), largest))

    async def cmd_CLOSE(self, tag: str, args: list[Token]) -> None:
        if await self._need_selected(tag) is not None:
            await self.expunge(None)
            self.selected = None
            await self.send(f"{tag} OK CLOSE completed")

    async def cmd_IDLE(self, tag: str, args: list[Token]) -> None:
        """RFC 2177: announce new mail as it arrives until the client says DONE."""
        if await self._need_selected(tag) is None:
            return
        await self.send("+ idling")
        while True:
            try:
                line = await asyncio.wait_for(self.reader.readline(), IDLE_POLL_SECONDS)
            except TimeoutError:
                await self.refresh()
                continue
            if not line or line.strip().upper() == b"DONE":
                break
            await self.send(f"{tag} BAD expected DONE")
            return
        await self.send(f"{tag} OK IDLE terminated")

    async def cmd_UNSELECT(self, tag: str, args: list[Token]) -> None:
        if await self._need_selected(tag) is not None:
            self.selected = None
            await self.send(f"{tag} OK UNSELECT completed")
