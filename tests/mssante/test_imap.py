"""IMAP as a mail client uses it (imaplib): STARTTLS, XOAUTH2 or LOGIN, then read what SMTP delivered."""

from __future__ import annotations

import imaplib
import smtplib
from email import message_from_bytes, policy
from typing import Any

import httpx
import pytest

from tests.psc_login import login

from .builders import message
from .conftest import TEST_PASSWORD, Mss


def _xoauth2(address: str, token: str) -> bytes:
    return f"user={address}\x01auth=Bearer {token}\x01\x01".encode()


def _deliver(sender: smtplib.SMTP, mss: Mss, frm: str, to: str, subject: str) -> None:
    sender.send_message(message(frm, [to], subject, text=f"Texte de {subject}\n"))


def test_login_is_disabled_before_starttls(mss: Mss) -> None:
    client = imaplib.IMAP4("127.0.0.1", mss.stack.imap_port, timeout=30)
    assert "STARTTLS" in client.capabilities and "LOGINDISABLED" in client.capabilities
    with pytest.raises(imaplib.IMAP4.error, match="PRIVACYREQUIRED"):
        client.login(mss.professional(1)["mailbox"], TEST_PASSWORD)
    client.logout()


def test_xoauth2_then_select_search_fetch_what_smtp_delivered(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], tag: str
) -> None:
    colleague = mss.professional(1)
    _deliver(sender, mss, doctor["mailbox"], colleague["mailbox"], f"Lettre {tag}")
    client = mss.imap()
    assert "AUTH=XOAUTH2" in client.capabilities
    token = mss.token(colleague["idnat"])
    assert client.authenticate("XOAUTH2", lambda _: _xoauth2(colleague["mailbox"], token))[0] == "OK"
    assert client.list()[1] == [b'(\\HasNoChildren) "/" INBOX']
    status, count = client.select("INBOX")
    assert status == "OK" and int(count[0]) >= 1
    status, found = client.search(None, "SUBJECT", f'"{tag}"')
    [number] = found[0].split()
    _, data = client.fetch(number, "(BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)] FLAGS)")
    assert f"Subject: Lettre {tag}".encode() in data[0][1]
    assert b"\\Seen" not in data[0][0]
    _, data = client.fetch(number, "(RFC822)")
    fetched = message_from_bytes(data[0][1], policy=policy.default)
    assert fetched["From"] == doctor["mailbox"]
    assert f"Texte de Lettre {tag}" in fetched.get_content()
    _, flags = client.fetch(number, "(FLAGS)")
    assert b"\\Seen" in flags[0]
    [api] = mss.messages(mailbox=colleague["mailbox"], subject=tag)
    assert api["seen"] is True
    client.logout()


def test_store_deleted_and_expunge_remove_the_message(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], tag: str
) -> None:
    box = mss.organisation("laboratoire")["mailbox"]
    _deliver(sender, mss, doctor["mailbox"], box, f"A effacer {tag}")
    _deliver(sender, mss, doctor["mailbox"], box, f"A garder {tag}")
    client = mss.imap()
    assert client.login(box, TEST_PASSWORD)[0] == "OK"
    client.select("INBOX")
    _, found = client.uid("SEARCH", "SUBJECT", f'"effacer {tag}"')
    [uid] = found[0].split()
    status, data = client.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
    assert status == "OK" and b"\\Deleted" in data[0]
    status, expunged = client.expunge()
    assert status == "OK" and expunged[0] is not None
    assert [m["subject"] for m in mss.messages(mailbox=box, subject=tag)] == [f"A garder {tag}"]
    client.logout()


def test_unseen_search_and_uid_fetch(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], tag: str
) -> None:
    box = mss.organisation("pharmacie")["mailbox"]
    _deliver(sender, mss, doctor["mailbox"], box, f"Ordonnance {tag}")
    client = mss.imap()
    client.login(box, TEST_PASSWORD)
    client.select("INBOX")
    _, unseen = client.uid("SEARCH", "UNSEEN", "SUBJECT", f'"{tag}"')
    [uid] = unseen[0].split()
    _, data = client.uid("FETCH", uid, "(UID RFC822.SIZE ENVELOPE BODYSTRUCTURE)")
    assert f"UID {uid.decode()}".encode() in data[0]
    assert f'"Ordonnance {tag}"'.encode() in data[0]
    assert b'BODYSTRUCTURE ("TEXT" "PLAIN"' in data[0]
    client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    _, still = client.uid("SEARCH", "UNSEEN", "SUBJECT", f'"{tag}"')
    assert still == [b""]
    client.logout()


def test_a_box_shows_only_its_own_messages(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], tag: str
) -> None:
    _deliver(sender, mss, doctor["mailbox"], mss.professional(1)["mailbox"], f"Privé {tag}")
    other = mss.professional(4)
    client = mss.imap()
    token = mss.token(other["idnat"])
    client.authenticate("XOAUTH2", lambda _: _xoauth2(other["mailbox"], token))
    client.select("INBOX")
    assert client.search(None, "SUBJECT", f'"{tag}"')[1] == [b""]
    client.logout()


def test_a_token_for_someone_else_or_garbage_is_refused(mss: Mss, doctor: dict[str, Any]) -> None:
    client = mss.imap()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.authenticate("XOAUTH2", lambda _: _xoauth2(mss.professional(1)["mailbox"], doctor["token"]))
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.authenticate("XOAUTH2", lambda _: _xoauth2(doctor["mailbox"], "garbage"))
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.login(doctor["mailbox"], "wrong password")
    client.logout()


def test_new_mail_is_announced_on_noop(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], tag: str
) -> None:
    box = mss.professional(5)
    client = mss.imap()
    client.login(box["mailbox"], TEST_PASSWORD)
    _, before = client.select("INBOX")
    _deliver(sender, mss, doctor["mailbox"], box["mailbox"], f"Nouveau {tag}")
    client.noop()
    _, exists = client.response("EXISTS")
    assert int(exists[-1]) == int(before[0]) + 1
    client.logout()


def test_the_ca_of_the_listeners_is_published(mss: Mss) -> None:
    pem = httpx.get(mss.api + "/ca.pem", timeout=30)
    assert pem.status_code == 200 and pem.text.startswith("-----BEGIN CERTIFICATE-----")


def test_imap_logins_are_in_the_traffic_record(mss: Mss) -> None:
    colleague = mss.professional(1)
    tokens = login(mss.stack.base_url, idnat=colleague["idnat"])
    client = mss.imap()
    client.authenticate("XOAUTH2", lambda _: _xoauth2(colleague["mailbox"], tokens["access_token"]))
    client.logout()
    [record] = httpx.get(
        mss.stack.base_url + "/_sim/traffic",
        params={
            "service": "mssante",
            "method": "IMAP",
            "client_id": tokens["client_id"],
            "idnat": colleague["idnat"],
            "order": "desc",
            "limit": 1,
        },
        timeout=30,
    ).json()["exchanges"]
    assert (record["path"], record["status"], record["idnat"]) == (
        "AUTHENTICATE XOAUTH2",
        200,
        colleague["idnat"],
    )
