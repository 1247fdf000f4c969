"""A DATA phase that reads the message in blocks rather than line by line.

aiosmtpd reads DATA one ``readuntil(b"\\r\\n")`` at a time: with a 100 KB base64 attachment that is
about 1 800 awaits per message and the main cost of a submission (measured: a no-op aiosmtpd server
with TLS took 76 messages/s where maildev took 135). This reader scans blocks for the terminating
``CRLF.CRLF``, undoes dot-stuffing in one pass (RFC 5321 §4.5.2) and keeps the size limit: past it,
the rest is read and dropped, then 552 is answered (RFC 5321 §4.5.3.1.10). PIPELINING is not
offered, so nothing follows the terminator; any stray bytes are handed back to the reader anyway.

Before each read the caller may ask the kernel for immediate ACKs (``before_read``): a client whose
socket keeps Nagle's algorithm on (smtplib, most MUAs) writes a TLS-wrapped message as several
records and holds the last, short segment until everything before it is acknowledged; with the
receiver's delayed ACK that stalls every message about 40 ms on Linux (measured: 31-37 ms of a
134 KB DATA phase with one client, 15 ms with immediate ACKs).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable
from typing import Any

TERMINATOR = b"\r\n.\r\n"
BLOCK = 1024 * 1024


class TooMuchData(Exception):
    """The client sent more than the announced SIZE."""


def quick_ack(sock: Any) -> Callable[[], None]:
    """A ``before_read`` that sets ``TCP_QUICKACK`` on ``sock``, asyncio's transport socket (Linux: the
    kernel clears it again on its own, so it is set before every read); a no-op without the option."""
    option = getattr(socket, "TCP_QUICKACK", None)

    def before_read() -> None:
        if sock is None or option is None:
            return
        with contextlib.suppress(OSError):  # closed under us: the read that follows reports it
            sock.setsockopt(socket.IPPROTO_TCP, option, 1)

    return before_read


def unstuff(data: bytes) -> bytes:
    """Remove the leading dot of every line that starts with one (the client added it)."""
    if data.startswith(b"."):
        data = data[1:]
    return data.replace(b"\r\n.", b"\r\n")


async def read_data(
    reader: asyncio.StreamReader, limit: int | None, before_read: Callable[[], None] = lambda: None
) -> bytes:
    """The message up to (not including) the ``.`` line, its last CRLF kept; :class:`TooMuchData`
    once the whole oversized message has been drained."""
    buffer = bytearray()
    dropped = 0
    tail = b"\r\n"
    """What precedes the unread data, so that a message that is only ``.CRLF`` is seen as ended."""
    while True:
        before_read()
        chunk = await reader.read(BLOCK)
        if not chunk:
            raise ConnectionResetError("connection closed during DATA")
        window = tail + chunk
        end = window.find(TERMINATOR)
        if end >= 0:
            body_end = end + 2 - len(tail)
            if body_end > 0:
                buffer += chunk[:body_end]
            elif body_end < 0:
                del buffer[len(buffer) + body_end :]
            leftover = chunk[end + len(TERMINATOR) - len(tail) :]
            if leftover and not reader.at_eof():
                reader.feed_data(leftover)
            break
        if limit and len(buffer) + dropped + len(chunk) > limit:
            dropped += len(buffer) + len(chunk)
            buffer.clear()
        else:
            buffer += chunk
        tail = window[-4:]
    if dropped or (limit and len(buffer) > limit):
        raise TooMuchData
    return unstuff(bytes(buffer))
