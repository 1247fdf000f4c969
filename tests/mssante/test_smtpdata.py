"""The DATA block reader: immediate ACKs asked before every read, the message returned whole."""

from __future__ import annotations

import asyncio
import socket

import pytest

from services.mssante.smtpdata import TooMuchData, quick_ack, read_data


class Reader(asyncio.StreamReader):
    """A stream reader that hands out its data in fixed chunks and counts the reads."""

    def __init__(self, chunks: list[bytes]) -> None:
        super().__init__()
        self.chunks = chunks
        self.reads = 0

    async def read(self, n: int = -1) -> bytes:
        self.reads += 1
        return self.chunks.pop(0) if self.chunks else b""


class Socket:
    """Records ``setsockopt`` calls; ``fail`` makes them raise as on a socket closed under us."""

    def __init__(self, fail: bool = False) -> None:
        self.options: list[tuple[int, int, int]] = []
        self.fail = fail

    def setsockopt(self, level: int, option: int, value: int) -> None:
        if self.fail:
            raise OSError("closed")
        self.options.append((level, option, value))


async def _read(chunks: list[bytes], limit: int | None, calls: list[int]) -> bytes:
    """``read_data`` over ``chunks``; ``calls`` gets the number of reads done at each ``before_read``."""
    reader = Reader(chunks)
    return await read_data(reader, limit, lambda: calls.append(reader.reads))


def test_before_read_runs_before_every_read() -> None:
    calls: list[int] = []
    data = asyncio.run(_read([b"Subject: a\r\n", b"\r\nbody\r\n", b"..dot\r\n.\r\n"], None, calls))
    assert data == b"Subject: a\r\n\r\nbody\r\n.dot\r\n"
    assert calls == [0, 1, 2]


def test_an_oversized_message_is_still_read_with_immediate_acks() -> None:
    calls: list[int] = []
    with pytest.raises(TooMuchData):
        asyncio.run(_read([b"x" * 10, b"y" * 10, b"\r\n.\r\n"], 15, calls))
    assert calls == [0, 1, 2]


@pytest.mark.skipif(not hasattr(socket, "TCP_QUICKACK"), reason="TCP_QUICKACK is Linux only")
def test_quick_ack_sets_tcp_quickack_and_survives_a_closed_socket() -> None:
    sock = Socket()
    quick_ack(sock)()
    assert sock.options == [(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)]
    quick_ack(Socket(fail=True))()
    quick_ack(None)()
