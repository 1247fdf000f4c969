"""IMAP4rev1 (RFC 3501) data: argument tokens, sequence sets, SEARCH keys and FETCH items.

Pure functions over parsed tokens and stored messages; the session in ``imap`` does the I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from .models import Message

Token = str | bytes | list["Token"]
ATOM = re.compile(rb'[^\s()"{\[\]]+(?:\[[^\]]*\](?:<[\d.]+>)?)?')
FLAGS = ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class ImapError(Exception):
    """A command the client got wrong: tagged BAD."""


def tokens(data: bytes, literals: list[bytes]) -> list[Token]:
    """Split arguments into atoms, strings and lists; ``{n}`` placeholders take the next literal."""
    stack: list[list[Token]] = [[]]
    i = 0
    while i < len(data):
        char = data[i : i + 1]
        if char in b" \t\r\n":
            i += 1
        elif char == b"(":
            stack.append([])
            i += 1
        elif char == b")":
            if len(stack) == 1:
                raise ImapError("unbalanced parenthesis")
            done = stack.pop()
            stack[-1].append(done)
            i += 1
        elif char == b'"':
            end, out = i + 1, bytearray()
            while end < len(data) and data[end : end + 1] != b'"':
                if data[end : end + 1] == b"\\":
                    end += 1
                out += data[end : end + 1]
                end += 1
            if end >= len(data):
                raise ImapError("unterminated quoted string")
            stack[-1].append(out.decode("utf-8", "replace"))
            i = end + 1
        elif char == b"{":
            end = data.index(b"}", i)
            if not literals:
                raise ImapError("literal expected")
            stack[-1].append(literals.pop(0))
            i = end + 1
        else:
            match = ATOM.match(data, i)
            if not match:
                raise ImapError(f"unexpected {char!r}")
            stack[-1].append(match.group().decode("utf-8", "replace"))
            i = match.end()
    if len(stack) != 1:
        raise ImapError("unbalanced parenthesis")
    return stack[0]


def text(token: Token) -> str:
    if isinstance(token, list):
        raise ImapError("string expected")
    return token.decode("utf-8", "replace") if isinstance(token, bytes) else token


def sequence(spec: str, largest: int) -> set[int]:
    """The numbers of a sequence set (``1:3,7,9:*``); ``*`` is the largest number in use."""
    numbers: set[int] = set()
    try:
        for part in spec.split(","):
            low, _, high = part.partition(":")
            a = largest if low == "*" else int(low)
            b = a if not high else (largest if high == "*" else int(high))
            a, b = min(a, b), max(a, b)
            numbers.update(range(a, min(b, largest) + 1))
    except ValueError as exc:
        raise ImapError(f"bad sequence set {spec!r}") from exc
    return numbers


def imap_date(value: datetime) -> str:
    return f"{value.day:02d}-{MONTHS[value.month - 1]}-{value.year} {value:%H:%M:%S} +0000"


def parse_date(value: str) -> date:
    try:
        day, month, year = value.split("-")
        return date(int(year), MONTHS.index(month.capitalize()) + 1, int(day))
    except ValueError as exc:
        raise ImapError(f"bad date {value!r}") from exc


def quoted(value: str | None) -> str:
    if value is None:
        return "NIL"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ") + '"'


def parsed(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def _addresses(message: EmailMessage, name: str) -> str:
    values = message.get_all(name) or []
    pairs = getaddresses([str(v) for v in values])
    if not pairs:
        return "NIL"
    items = []
    for display, address in pairs:
        local, _, domain = address.partition("@")
        items.append(f"({quoted(display or None)} NIL {quoted(local)} {quoted(domain)})")
    return "(" + "".join(items) + ")"


def envelope(raw: bytes) -> str:
    """The ENVELOPE structure (RFC 3501 §7.4.2)."""
    message = parsed(raw)

    def field(name: str) -> str:
        value = message.get(name)
        return quoted(str(value)) if value is not None else "NIL"

    sender = _addresses(message, "From")
    parts = [
        field("Date"),
        field("Subject"),
        sender,
        _addresses(message, "Sender") if message.get("Sender") else sender,
        _addresses(message, "Reply-To") if message.get("Reply-To") else sender,
        _addresses(message, "To"),
        _addresses(message, "Cc"),
        _addresses(message, "Bcc"),
        field("In-Reply-To"),
        field("Message-ID"),
    ]
    return "(" + " ".join(parts) + ")"


def _structure(part: EmailMessage) -> str:
    if part.is_multipart():
        children = "".join(_structure(child) for child in part.iter_parts())  # type: ignore[arg-type]
        return f"({children} {quoted(part.get_content_subtype().upper())})"
    params = (
        " ".join(f"{quoted(k.upper())} {quoted(v)}" for k, v in part.get_params()[1:])
        if part.get_params()
        else ""
    )
    payload = part.get_payload(decode=False)
    body = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    encoding = str(part.get("Content-Transfer-Encoding", "7BIT")).upper()
    fields = [
        quoted(part.get_content_maintype().upper()),
        quoted(part.get_content_subtype().upper()),
        f"({params})" if params else "NIL",
        quoted(str(part["Content-ID"])) if part.get("Content-ID") else "NIL",
        "NIL",
        quoted(encoding),
        str(len(body)),
    ]
    if part.get_content_maintype() == "text":
        fields.append(str(body.count(b"\n")))
    return "(" + " ".join(fields) + ")"


def bodystructure(raw: bytes) -> str:
    """BODYSTRUCTURE without extension data (RFC 3501 §7.4.2), enough for clients to list parts."""
    return _structure(parsed(raw))


def split(raw: bytes) -> tuple[bytes, bytes]:
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, body = raw.partition(separator)
        if found:
            return head + separator, body
    return raw, b""


def header_fields(raw: bytes, names: list[str], exclude: bool) -> bytes:
    head, _ = split(raw)
    wanted = {n.lower() for n in names}
    lines = re.split(rb"\r?\n(?![ \t])", head.strip())
    kept = [
        line
        for line in lines
        if (line.split(b":", 1)[0].strip().lower().decode("latin-1") in wanted) != exclude
    ]
    return b"\r\n".join(kept) + b"\r\n\r\n" if kept else b"\r\n"


def part(raw: bytes, path: list[int]) -> bytes:
    """The bytes of MIME part ``1.2…`` (RFC 3501 §6.4.5 part specifier)."""
    message = parsed(raw)
    for number in path:
        payload = message.get_payload()
        if isinstance(payload, list):
            if not 0 < number <= len(payload):
                return b""
            message = payload[number - 1]
        elif number != 1:
            return b""
    if message.is_multipart():
        return message.as_bytes().partition(b"\n\n")[2]
    payload = message.get_payload(decode=False)
    return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""


def section(raw: bytes, spec: str) -> bytes:
    """``BODY[<spec>]`` content: "", HEADER, TEXT, HEADER.FIELDS (…), a part number, MIME."""
    spec = spec.strip()
    upper = spec.upper()
    if not spec:
        return raw
    if upper == "HEADER":
        return split(raw)[0]
    if upper == "TEXT":
        return split(raw)[1]
    if upper.startswith("HEADER.FIELDS"):
        names = re.findall(r"[^\s()]+", spec[spec.index("(") :]) if "(" in spec else []
        return header_fields(raw, names, exclude=upper.startswith("HEADER.FIELDS.NOT"))
    numbers = spec.split(".")
    try:
        return part(raw, [int(n) for n in numbers])
    except ValueError as exc:
        raise ImapError(f"unsupported section {spec!r}") from exc


Criterion = Callable[[int, Message, bytes | None], bool]


def _header_has(raw: bytes | None, name: str, needle: str) -> bool:
    if raw is None:
        return False
    value = " ".join(str(v) for v in parsed(split(raw)[0]).get_all(name) or [])
    return needle.lower() in value.lower()


def search_keys(args: list[Token], largest_seq: int, largest_uid: int) -> tuple[Criterion, bool]:
    """A predicate over (sequence number, message, raw bytes) and whether it needs the raw bytes."""
    needs_raw = False
    queue = list(args)

    def one() -> Criterion:
        nonlocal needs_raw
        if not queue:
            raise ImapError("search key expected")
        token = queue.pop(0)
        if isinstance(token, list):
            inner, raw_needed = search_keys(token, largest_seq, largest_uid)
            needs_raw = needs_raw or raw_needed
            return inner
        key = text(token).upper()
        flag_keys = {
            "SEEN": "\\Seen",
            "DELETED": "\\Deleted",
            "FLAGGED": "\\Flagged",
            "ANSWERED": "\\Answered",
            "DRAFT": "\\Draft",
        }
        if key == "ALL":
            return lambda s, m, r: True
        if key in flag_keys:
            return lambda s, m, r, f=flag_keys[key]: f in m.flags
        if key.startswith("UN") and key[2:] in flag_keys:
            return lambda s, m, r, f=flag_keys[key[2:]]: f not in m.flags
        if key in ("NEW", "RECENT"):
            return lambda s, m, r: "\\Seen" not in m.flags
        if key == "OLD":
            return lambda s, m, r: True
        if key == "NOT":
            inner = one()
            return lambda s, m, r: not inner(s, m, r)
        if key == "OR":
            left, right = one(), one()
            return lambda s, m, r: left(s, m, r) or right(s, m, r)
        if key in ("SINCE", "BEFORE", "ON", "SENTSINCE", "SENTBEFORE", "SENTON"):
            day = parse_date(text(queue.pop(0)))
            compare = {"SINCE": day.__le__, "BEFORE": day.__gt__, "ON": day.__eq__}[key.removeprefix("SENT")]
            return lambda s, m, r: compare(m.received_at.date())
        if key in ("LARGER", "SMALLER"):
            size = int(text(queue.pop(0)))
            return (lambda s, m, r: m.size > size) if key == "LARGER" else (lambda s, m, r: m.size < size)
        if key == "UID":
            uids = sequence(text(queue.pop(0)), largest_uid)
            return lambda s, m, r: m.uid in uids
        if key in ("FROM", "TO", "CC", "BCC", "SUBJECT"):
            needle = text(queue.pop(0))
            needs_raw = True
            return lambda s, m, r, n=key.capitalize(): _header_has(r, n, needle)
        if key == "HEADER":
            name, needle = text(queue.pop(0)), text(queue.pop(0))
            needs_raw = True
            return lambda s, m, r: _header_has(r, name, needle)
        if key in ("TEXT", "BODY"):
            needle = text(queue.pop(0)).lower().encode()
            needs_raw = True
            return lambda s, m, r: r is not None and needle in (r if key == "TEXT" else split(r)[1]).lower()
        if re.fullmatch(r"[\d:*,]+", key):
            numbers = sequence(key, largest_seq)
            return lambda s, m, r: s in numbers
        raise ImapError(f"unsupported search key {key}")

    criteria = []
    while queue:
        criteria.append(one())
    return (lambda s, m, r: all(c(s, m, r) for c in criteria)), needs_raw
