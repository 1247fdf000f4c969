"""What hand-written clients do: SASL without an initial response, IMAP literals and bad commands."""

from __future__ import annotations

import base64
import socket
import ssl
from typing import Any

import httpx
import pytest

from .conftest import TEST_PASSWORD, Mss


def test_smtp_xoauth2_answered_after_an_empty_challenge(mss: Mss, doctor: dict[str, Any]) -> None:
    client = mss.smtp()
    assert client.docmd("AUTH", "XOAUTH2") == (334, b"")
    blob = base64.b64encode(f"user={doctor['mailbox']}\x01auth=Bearer {doctor['token']}\x01\x01".encode())
    assert client.docmd(blob.decode())[0] == 235
    client.quit()


def test_smtp_login_mechanism_step_by_step(mss: Mss) -> None:
    box = mss.organisation("cabinet")["mailbox"]
    client = mss.smtp()
    assert client.docmd("AUTH", "LOGIN")[0] == 334
    assert client.docmd(base64.b64encode(box.encode()).decode())[0] == 334
    assert client.docmd(base64.b64encode(TEST_PASSWORD.encode()).decode())[0] == 235
    client.quit()


class Imap:
    """A bare IMAP connection: lines in, lines out, nothing interpreted."""

    def __init__(self, mss: Mss) -> None:
        raw = socket.create_connection(("127.0.0.1", mss.stack.imap_port), timeout=30)
        self.file = raw.makefile("rwb")
        assert self.line().startswith(b"* OK")
        self.file.write(b"s STARTTLS\r\n")
        self.file.flush()
        assert self.line().startswith(b"s OK")
        self.sock = mss.tls().wrap_socket(raw, server_hostname="127.0.0.1")
        self.file = self.sock.makefile("rwb")

    def line(self) -> bytes:
        return self.file.readline()

    def send(self, data: bytes) -> None:
        self.file.write(data)
        self.file.flush()

    def command(self, tag: bytes, data: bytes) -> list[bytes]:
        self.send(tag + b" " + data + b"\r\n")
        lines = []
        while not (line := self.line()).startswith(tag + b" "):
            lines.append(line)
        return [*lines, line]


def test_imap_login_with_literals_and_bad_commands(mss: Mss) -> None:
    box = mss.organisation("cabinet")["mailbox"].encode()
    imap = Imap(mss)
    assert imap.command(b"a0", b"SELECT INBOX")[-1].startswith(b"a0 NO [AUTHENTICATIONFAILED]")
    imap.send(b"a1 LOGIN {" + str(len(box)).encode() + b"}\r\n")
    assert imap.line().startswith(b"+")
    imap.send(box + b" {" + str(len(TEST_PASSWORD)).encode() + b"+}\r\n" + TEST_PASSWORD.encode() + b"\r\n")
    assert imap.line().startswith(b"a1 OK")
    assert imap.command(b"a2", b"FROBNICATE")[-1].startswith(b"a2 BAD")
    assert imap.command(b"a3", b"FETCH 1 (FLAGS)")[-1].startswith(b"a3 BAD")
    assert imap.command(b"a4", b'SELECT "Archives"')[-1].startswith(b"a4 NO [NONEXISTENT]")
    assert imap.command(b"a5", b"EXAMINE INBOX")[-1].startswith(b"a5 OK [READ-ONLY]")
    assert imap.command(b"a6", b"STORE 1:* +FLAGS (\\Seen)")[-1].startswith((b"a6 NO [READ-ONLY]", b"a6 BAD"))
    assert imap.command(b"a7", b"SEARCH (UNBALANCED")[-1].startswith(b"a7 BAD")
    assert imap.command(b"a8", b"LOGOUT")[0].startswith(b"* BYE")
    imap.sock.close()


def test_reset_empties_the_boxes_and_reseeds_them(mss: Mss) -> None:
    reset = httpx.post(
        mss.stack.base_url + "/_sim/reset", json={"services": ["mssante"], "traffic": False}, timeout=30
    )
    assert reset.status_code == 200
    assert httpx.get(mss.api + "/messages", timeout=30).json()["total"] == 0
    boxes = httpx.get(mss.api + "/mailboxes", timeout=30).json()
    assert mss.professional(0)["mailbox"] in {b["address"] for b in boxes}
    assert all(b["used_bytes"] == 0 and b["uid_next"] == 1 for b in boxes)


def _handshake(mss: Mss, context: ssl.SSLContext) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", mss.stack.imap_port), timeout=30)
    reader = raw.makefile("rwb")
    reader.readline()
    reader.write(b"s STARTTLS\r\n")
    reader.flush()
    reader.readline()
    return context.wrap_socket(raw, server_hostname="127.0.0.1")


def test_tls_1_2_offers_only_ecdhe_with_gcm(mss: Mss) -> None:
    """SC.MSS/CONF.01-02: TLS 1.2 at least, ECDHE key exchange and AES-GCM suites only."""
    context = mss.tls()
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    secured = _handshake(mss, context)
    name, version, _ = secured.cipher()
    assert version == "TLSv1.2" and name.startswith("ECDHE-") and "GCM" in name
    secured.close()
    context = mss.tls()
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers("ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA")
    with pytest.raises((ssl.SSLError, ConnectionError)):
        _handshake(mss, context).close()


def test_imap_commands_pipelined_behind_starttls_are_not_run(mss: Mss) -> None:
    box = mss.organisation("cabinet")["mailbox"]
    raw = socket.create_connection(("127.0.0.1", mss.stack.imap_port), timeout=30)
    stream = raw.makefile("rwb")
    stream.readline()
    stream.write(f"s STARTTLS\r\nx LOGIN {box} {TEST_PASSWORD}\r\n".encode())
    stream.flush()
    assert stream.readline().startswith(b"s BAD")
    assert stream.readline() == b""
    raw.close()


def test_smtp_plain_cannot_act_for_another_identity(mss: Mss) -> None:
    box, other = mss.organisation("cabinet")["mailbox"], mss.professional(1)["mailbox"]
    client = mss.smtp()
    blob = base64.b64encode(f"{other}\0{box}\0{TEST_PASSWORD}".encode()).decode()
    assert client.docmd("AUTH", f"PLAIN {blob}")[0] == 535
    client.quit()


def test_imap_oversized_literal_ends_the_session(mss: Mss) -> None:
    imap = Imap(mss)
    imap.send(b"a1 LOGIN {999999999+}\r\n")
    assert imap.line().startswith(b"* BYE")
    assert imap.line() == b""
    imap.sock.close()


def test_imap_idle_announces_new_mail(mss: Mss) -> None:
    box = mss.professional(8)["mailbox"]
    sender = mss.organisation("cabinet")["mailbox"]
    imap = Imap(mss)
    assert imap.command(b"a1", f"LOGIN {box} {TEST_PASSWORD}".encode())[-1].startswith(b"a1 OK")
    selected = imap.command(b"a2", b"SELECT INBOX")
    count = int(next(line for line in selected if line.endswith(b"EXISTS\r\n")).split()[1])
    imap.send(b"a3 IDLE\r\n")
    assert imap.line().startswith(b"+")
    client = mss.smtp()
    client.login(sender, TEST_PASSWORD)
    client.sendmail(
        sender, [box], f"From: {sender}\r\nTo: {box}\r\nSubject: idle\r\nX-MSS-NIL: T\r\n\r\nx\r\n".encode()
    )
    client.quit()
    assert imap.line() == f"* {count + 1} EXISTS\r\n".encode()
    imap.send(b"DONE\r\n")
    assert imap.line().startswith(b"a3 OK")
    imap.sock.close()
