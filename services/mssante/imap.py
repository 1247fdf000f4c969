"""IMAP4rev1 (RFC 3501) with STARTTLS and AUTHENTICATE XOAUTH2, on asyncio streams.

A small server of our own rather than ``twisted.mail.imap4``: Twisted's reactor would have to run
on the asyncio loop uvicorn owns (uvloop here), and its mailbox interfaces are synchronous, while
our storage and PSC checks are async. One folder, INBOX, the authenticated mailbox; enough for a
mail client to list, select, search, fetch bodies and flags, mark seen and delete (spec B3).
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
import time
from dataclasses import dataclass

from services.kernel.db import Database

from . import store
from .auth import Authenticator, AuthFailed, Identity, decode_b64, parse_xoauth2, xoauth2_error_challenge
from .evidence import Evidence
from .imapcommands import SelectedCommands
from .imapdata import FLAGS, ImapError, Token, text, tokens
from .models import Message
from .settings import MssSettings

log = logging.getLogger("socle.mssante.imap")
LINE_LIMIT = 64 * 1024
AUTOLOGOUT_SECONDS = 30 * 60
"""RFC 3501 §5.4: an idle session may be closed after at least 30 minutes."""
LITERAL_LIMIT = 1024 * 1024
LITERAL = re.compile(rb"\{(\d+)(\+?)\}\r?\n$")


@dataclass(frozen=True)
class ImapContext:
    settings: MssSettings
    database: Database
    authenticator: Authenticator
    tls: ssl.SSLContext
    evidence: Evidence


class Session(SelectedCommands):
    def __init__(
        self, context: ImapContext, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.context = context
        self.reader = reader
        self.writer = writer
        self.tls = False
        self.identity: Identity | None = None
        self.selected: list[Message] | None = None
        self.readonly = False
        self.started = time.perf_counter()

    # -- wire -------------------------------------------------------------------------------------

    async def send(self, *lines: str | bytes) -> None:
        for line in lines:
            self.writer.write((line.encode() if isinstance(line, str) else line) + b"\r\n")
        await self.writer.drain()

    async def read_command(self) -> tuple[bytes, list[bytes]] | None:
        """One command line with its literals (RFC 3501 §4.3), or None when the client hung up."""
        try:
            line = await asyncio.wait_for(self.reader.readline(), AUTOLOGOUT_SECONDS)
        except TimeoutError:
            await self.send("* BYE autologout: idle for too long")
            return None
        if not line:
            return None
        literals: list[bytes] = []
        while match := LITERAL.search(line):
            size = int(match.group(1))
            if size > LITERAL_LIMIT:
                await self.send(f"* BYE literal of {size} bytes over the {LITERAL_LIMIT} limit")
                raise ConnectionAbortedError("literal too large")
            if not match.group(2):
                await self.send("+ Ready for literal data")
            literals.append(await self.reader.readexactly(size))
            line = line[: match.start()] + b"{}" + await self.reader.readline()
        return line.rstrip(b"\r\n"), literals

    def capabilities(self) -> str:
        caps = ["IMAP4rev1", "LITERAL+", "UIDPLUS", "UNSELECT", "IDLE", "SASL-IR"]
        if not self.tls:
            return " ".join([*caps, "STARTTLS", "LOGINDISABLED"])
        caps.append("AUTH=XOAUTH2")
        if not self.context.settings.mss_test_accounts:
            caps.append("LOGINDISABLED")
        return " ".join(caps)

    async def run(self) -> None:
        await self.send(f"* OK [CAPABILITY {self.capabilities()}] socle MSSanté IMAP4rev1 ready")
        while True:
            try:
                read = await self.read_command()
            except (ImapError, ValueError, asyncio.LimitOverrunError) as exc:
                await self.send(f"* BAD {exc}")
                continue
            if read is None:
                return
            line, literals = read
            tag, _, rest = line.partition(b" ")
            name, _, args = rest.partition(b" ")
            command = name.decode("ascii", "replace").upper()
            tag_text = tag.decode("ascii", "replace") or "*"
            try:
                if await self.dispatch(tag_text, command, args, literals):
                    return
            except ImapError as exc:
                await self.send(f"{tag_text} BAD {exc}")
            except (ValueError, IndexError) as exc:
                await self.send(f"{tag_text} BAD malformed {command}: {exc}")
            except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
                raise
            except Exception:
                log.exception("IMAP %s failed", command)
                await self.send(f"{tag_text} NO [SERVERBUG] {command} failed")

    async def dispatch(self, tag: str, command: str, args: bytes, literals: list[bytes]) -> bool:
        """Run one command; True when the session ends."""
        if command == "LOGOUT":
            await self.send("* BYE socle MSSanté IMAP closing", f"{tag} OK LOGOUT completed")
            return True
        if self.identity is not None and self.identity.expired:
            await self.send("* BYE the Pro Santé Connect access token has expired: reconnect")
            return True
        if command == "STARTTLS":
            await self.starttls(tag)
            return False
        parsed = tokens(args, literals)
        if command == "AUTHENTICATE":
            if not parsed:
                raise ImapError("AUTHENTICATE mechanism [initial-response]")
            await self.authenticate(tag, text(parsed[0]).upper(), parsed[1:])
            return False
        handler = getattr(self, f"cmd_{command}", None)
        if command == "UID" and parsed:
            handler, command = (
                getattr(self, f"uid_{text(parsed[0]).upper()}", None),
                f"UID {text(parsed[0]).upper()}",
            )
            parsed = parsed[1:]
        if handler is None:
            await self.send(f"{tag} BAD unknown command {command}")
        elif command not in ("CAPABILITY", "NOOP", "LOGIN") and self.identity is None:
            await self.send(f"{tag} NO [AUTHENTICATIONFAILED] authenticate first")
        else:
            await handler(tag, parsed)
        return False

    # -- not authenticated ------------------------------------------------------------------------

    async def cmd_CAPABILITY(self, tag: str, args: list[Token]) -> None:
        await self.send(f"* CAPABILITY {self.capabilities()}", f"{tag} OK CAPABILITY completed")

    async def cmd_NOOP(self, tag: str, args: list[Token]) -> None:
        await self.refresh()
        await self.send(f"{tag} OK NOOP completed")

    cmd_CHECK = cmd_NOOP

    async def starttls(self, tag: str) -> None:
        if self.tls:
            await self.send(f"{tag} BAD TLS already active")
            return
        if getattr(self.reader, "_buffer", b""):
            # Commands pipelined behind STARTTLS would run as if they came over TLS (CVE-2011-0411 class).
            await self.send(f"{tag} BAD data after STARTTLS")
            raise ConnectionAbortedError("plaintext pipelined after STARTTLS")
        await self.send(f"{tag} OK Begin TLS negotiation now")
        await self.writer.start_tls(self.context.tls)
        self.tls = True

    async def _authenticated(self, tag: str, identity: Identity, method: str) -> None:
        self.identity = identity
        self.context.evidence.record(
            "IMAP",
            method,
            "OK",
            started=self.started,
            client_id=identity.client_id,
            idnat=identity.idnat,
            mailbox=identity.address,
            auth=identity.method,
        )
        await self.send(f"{tag} OK [CAPABILITY {self.capabilities()}] {method} authentication successful")

    async def _refused(self, tag: str, exc: AuthFailed, method: str) -> None:
        code = "UNAVAILABLE" if exc.temporary else "AUTHENTICATIONFAILED"
        self.context.evidence.record("IMAP", method, f"NO [{code}] {exc.reason}", started=self.started)
        await self.send(f"{tag} NO [{code}] {exc.reason}")

    async def cmd_LOGIN(self, tag: str, args: list[Token]) -> None:
        if not self.tls:
            await self.send(f"{tag} NO [PRIVACYREQUIRED] STARTTLS first")
            return
        if self.identity is not None:
            await self.send(f"{tag} BAD already authenticated")
            return
        if len(args) != 2:
            raise ImapError("LOGIN user password")
        try:
            identity = await self.context.authenticator.password(text(args[0]), text(args[1]))
        except AuthFailed as exc:
            await self._refused(tag, exc, "LOGIN")
            return
        await self._authenticated(tag, identity, "LOGIN")

    async def authenticate(self, tag: str, mechanism: str, rest: list[Token]) -> None:
        if not self.tls:
            await self.send(f"{tag} NO [PRIVACYREQUIRED] STARTTLS first")
            return
        if mechanism != "XOAUTH2":
            await self.send(f"{tag} NO [CANNOT] unsupported mechanism {mechanism}")
            return
        try:
            if rest:
                blob = decode_b64(text(rest[0]).encode())
            else:
                await self.send("+ ")
                answer = (await self.reader.readline()).strip()
                if answer == b"*":
                    await self.send(f"{tag} BAD AUTHENTICATE cancelled")
                    return
                blob = decode_b64(answer)
            user, token = parse_xoauth2(blob)
            identity = await self.context.authenticator.xoauth2(user, token)
        except AuthFailed as exc:
            if not exc.temporary:
                await self.send(b"+ " + xoauth2_error_challenge())
                await self.reader.readline()
            await self._refused(tag, exc, "AUTHENTICATE XOAUTH2")
            return
        await self._authenticated(tag, identity, "AUTHENTICATE XOAUTH2")

    # -- authenticated ----------------------------------------------------------------------------

    @property
    def address(self) -> str:
        assert self.identity is not None
        return self.identity.address

    async def listing(self) -> list[Message]:
        return await self.context.database.read(lambda s: store.listing(s, address=self.address))

    async def cmd_LIST(self, tag: str, args: list[Token]) -> None:
        pattern = text(args[1]) if len(args) > 1 else ""
        if pattern == "":
            await self.send('* LIST (\\Noselect) "/" ""')
        elif re.fullmatch(
            re.escape(pattern).replace(r"\*", ".*").replace("%", "[^/]*"), "INBOX", re.IGNORECASE
        ):
            await self.send('* LIST (\\HasNoChildren) "/" INBOX')
        await self.send(f"{tag} OK LIST completed")

    async def cmd_LSUB(self, tag: str, args: list[Token]) -> None:
        await self.send('* LSUB () "/" INBOX', f"{tag} OK LSUB completed")

    async def cmd_SUBSCRIBE(self, tag: str, args: list[Token]) -> None:
        await self.send(f"{tag} OK SUBSCRIBE completed")

    def _inbox(self, args: list[Token]) -> bool:
        return bool(args) and text(args[0]).upper() == "INBOX"

    async def cmd_STATUS(self, tag: str, args: list[Token]) -> None:
        if not self._inbox(args):
            await self.send(f"{tag} NO [NONEXISTENT] only INBOX exists")
            return
        messages = await self.listing()
        box = await self.context.database.read(lambda s: store.mailbox(s, address=self.address))
        assert box is not None
        values = {
            "MESSAGES": len(messages),
            "RECENT": 0,
            "UIDNEXT": box.uid_next,
            "UIDVALIDITY": box.uid_validity,
            "UNSEEN": sum("\\Seen" not in m.flags for m in messages),
        }
        items = [text(t).upper() for t in args[1]] if len(args) > 1 and isinstance(args[1], list) else []
        body = " ".join(f"{item} {values[item]}" for item in items if item in values)
        await self.send(f"* STATUS INBOX ({body})", f"{tag} OK STATUS completed")

    async def cmd_SELECT(self, tag: str, args: list[Token], readonly: bool = False) -> None:
        if not self._inbox(args):
            self.selected = None
            await self.send(f"{tag} NO [NONEXISTENT] only INBOX exists")
            return
        self.selected, self.readonly = await self.listing(), readonly
        box = await self.context.database.read(lambda s: store.mailbox(s, address=self.address))
        assert box is not None
        unseen = next((i for i, m in enumerate(self.selected, 1) if "\\Seen" not in m.flags), None)
        await self.send(
            f"* FLAGS ({' '.join(FLAGS)})",
            f"* {len(self.selected)} EXISTS",
            "* 0 RECENT",
            *([f"* OK [UNSEEN {unseen}] first unseen"] if unseen else []),
            f"* OK [UIDVALIDITY {box.uid_validity}] UIDs valid",
            f"* OK [UIDNEXT {box.uid_next}] predicted next UID",
            f"* OK [PERMANENTFLAGS ({' '.join(FLAGS)})] limited",
            f"{tag} OK [{'READ-ONLY' if readonly else 'READ-WRITE'}] {'EXAMINE' if readonly else 'SELECT'} completed",
        )

    async def cmd_EXAMINE(self, tag: str, args: list[Token]) -> None:
        await self.cmd_SELECT(tag, args, readonly=True)

    async def refresh(self) -> None:
        """Announce messages delivered since SELECT (RFC 3501 §7.3.1)."""
        if self.selected is None or self.identity is None:
            return
        current = await self.listing()
        known = {m.uid for m in self.selected}
        added = [m for m in current if m.uid not in known]
        if added:
            self.selected.extend(added)
            await self.send(f"* {len(self.selected)} EXISTS")


async def start_imap(context: ImapContext) -> asyncio.Server:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await Session(context, reader, writer).run()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError) as exc:
            log.debug("IMAP session ended: %s", exc)
        finally:
            writer.close()

    settings = context.settings
    return await asyncio.start_server(serve, settings.host, settings.imap_port, limit=LINE_LIMIT)
