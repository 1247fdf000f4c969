"""SMTP submission as a vendor's code meets it with smtplib: TLS first, then XOAUTH2 or a test account."""

from __future__ import annotations

import smtplib
from typing import Any

import httpx
import pytest

from services.kernel.identifiers import nir_key

from .builders import message, xdm_message
from .conftest import TEST_PASSWORD, Mss, xoauth2


def test_before_starttls_only_starttls_is_offered_and_auth_and_mail_are_refused(mss: Mss) -> None:
    client = smtplib.SMTP("127.0.0.1", mss.stack.smtp_port, timeout=30)
    assert client.ehlo("tests.socle")[0] == 250
    assert client.has_extn("starttls")
    assert not client.has_extn("auth")
    assert client.docmd("AUTH", "PLAIN AGZvbwBiYXI=")[0] == 530
    assert client.docmd("MAIL", "FROM:<julie.martin-socle@socle.mssante.fr>")[0] == 530
    client.quit()


def test_after_starttls_size_and_auth_mechanisms_are_announced(mss: Mss) -> None:
    client = mss.smtp()
    assert client.sock.version() in ("TLSv1.2", "TLSv1.3")
    assert int(client.esmtp_features["size"]) == 20 * 1024 * 1024
    assert set(client.esmtp_features["auth"].split()) == {"XOAUTH2", "PLAIN", "LOGIN"}
    assert client.docmd("MAIL", "FROM:<julie.martin-socle@socle.mssante.fr>")[0] == 530
    client.quit()


def test_xoauth2_with_a_psc_token_lets_the_professional_send(
    mss: Mss, doctor: dict[str, Any], tag: str
) -> None:
    colleague = mss.professional(1)["mailbox"]
    client = mss.smtp()
    assert xoauth2(client, doctor["mailbox"], doctor["token"])[0] == 235
    client.send_message(message(doctor["mailbox"], [colleague], f"Avis {tag}"))
    client.quit()
    [stored] = mss.messages(mailbox=colleague, subject=tag)
    assert stored["from"] == doctor["mailbox"]
    assert stored["conformant"] is True
    raw = httpx.get(f"{mss.api}/messages/{stored['id']}/raw", timeout=30).content
    assert raw.startswith(f"Return-Path: <{doctor['mailbox']}>".encode())
    assert b"via XOAUTH2" in raw.split(b"\r\n\r\n")[0]


def test_a_token_cannot_open_another_professionals_mailbox(mss: Mss, doctor: dict[str, Any]) -> None:
    client = mss.smtp()
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        xoauth2(client, mss.professional(1)["mailbox"], doctor["token"])
    assert refused.value.smtp_code == 535
    client.quit()


def test_a_garbage_token_is_refused(mss: Mss, doctor: dict[str, Any]) -> None:
    client = mss.smtp()
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        xoauth2(client, doctor["mailbox"], "not.a.jwt")
    assert refused.value.smtp_code == 535
    client.quit()


def test_a_revoked_token_is_refused(mss: Mss) -> None:
    from tests.psc_login import issuer_of, login

    professional = mss.professional(2)
    tokens = login(mss.stack.base_url, idnat=professional["idnat"])
    revoked = httpx.post(
        issuer_of(mss.stack.base_url) + "/protocol/openid-connect/revoke",
        data={"token": tokens["access_token"], "token_type_hint": "access_token"},
        auth=(tokens["client_id"], tokens["client_secret"]),
        timeout=30,
    )
    assert revoked.status_code == 200
    client = mss.smtp()
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        xoauth2(client, professional["mailbox"], tokens["access_token"])
    assert refused.value.smtp_code == 535
    client.quit()


def test_plain_login_on_a_test_account(mss: Mss, tag: str) -> None:
    box = mss.organisation("cabinet")["mailbox"]
    client = mss.smtp()
    assert client.login(box, TEST_PASSWORD)[0] == 235
    client.send_message(message(box, [mss.professional(0)["mailbox"]], f"Secrétariat {tag}"))
    client.quit()
    assert len(mss.messages(subject=tag)) == 1


def test_a_wrong_password_is_refused(mss: Mss) -> None:
    client = mss.smtp()
    with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
        client.login(mss.professional(0)["mailbox"], "wrong")
    assert refused.value.smtp_code == 535
    client.quit()


def test_the_sender_must_be_the_authenticated_mailbox(sender: smtplib.SMTP, mss: Mss) -> None:
    code, reply = sender.docmd("MAIL", f"FROM:<{mss.professional(1)['mailbox']}>")
    assert (code, reply[:5]) == (553, b"5.7.1")


def test_a_sender_outside_the_trust_space_is_refused(sender: smtplib.SMTP) -> None:
    code, reply = sender.docmd("MAIL", "FROM:<someone@gmail.com>")
    assert (code, reply[:5]) == (550, b"5.7.1")


@pytest.mark.parametrize(
    ("recipient", "code", "status"),
    [
        ("someone@gmail.com", 550, b"5.7.1"),
        ("nobody.here@socle.mssante.fr", 550, b"5.1.1"),
        ("123@patient.mssante.fr", 553, b"5.1.3"),
        ("18001AB00100022@patient.mssante.fr", 553, b"5.1.3"),
        ("not an address", 553, b"5.1.3"),
    ],
)
def test_recipients_are_checked_during_the_transaction(
    sender: smtplib.SMTP, doctor: dict[str, Any], recipient: str, code: int, status: bytes
) -> None:
    assert sender.docmd("MAIL", f"FROM:<{doctor['mailbox']}>")[0] == 250
    answer = sender.docmd("RCPT", f"TO:<{recipient}>")
    assert (answer[0], answer[1][:5]) == (code, status)


def test_a_patient_whose_ins_is_unknown_or_not_qualified_is_refused(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any]
) -> None:
    provisional = next(p for p in mss.fixtures["patients"] if p["identity_status"] == "PROV")
    assert sender.docmd("MAIL", f"FROM:<{doctor['mailbox']}>")[0] == 250
    nir = "2991299123456"
    unknown = sender.docmd("RCPT", f"TO:<{nir}{nir_key(nir)}@patient.mssante.fr>")
    assert (unknown[0], unknown[1][:5]) == (550, b"5.1.1")
    not_qualified = sender.docmd("RCPT", f"TO:<{provisional['mailbox']}>")
    assert (not_qualified[0], not_qualified[1][:5]) == (550, b"5.7.1")


def test_a_message_over_the_announced_size_is_refused(
    sender: smtplib.SMTP, doctor: dict[str, Any], mss: Mss, tag: str
) -> None:
    declared = sender.docmd("MAIL", f"FROM:<{doctor['mailbox']}> SIZE={30 * 1024 * 1024}")
    assert declared[0] == 552
    big = message(
        doctor["mailbox"], [mss.professional(1)["mailbox"]], f"Trop gros {tag}", text="x" * 900 + "\n"
    )
    body = big.as_bytes() + (b"y" * 998 + b"\r\n") * (21 * 1024)
    assert sender.docmd("MAIL", f"FROM:<{doctor['mailbox']}>")[0] == 250
    assert sender.docmd("RCPT", f"TO:<{mss.professional(1)['mailbox']}>")[0] == 250
    assert sender.data(body)[0] == 552
    assert mss.messages(subject=tag) == []


def test_smtp_sessions_are_in_the_traffic_record(mss: Mss, doctor: dict[str, Any], tag: str) -> None:
    """The conformance suite's evidence: AUTH XOAUTH2 over TLS by whom, and each transaction's outcome."""
    reference = mss.fixtures["anchors"]["reference_patient"]
    client = mss.smtp()
    xoauth2(client, doctor["mailbox"], doctor["token"])
    client.send_message(xdm_message(doctor["mailbox"], [mss.professional(1)["mailbox"]], reference, tag))
    client.quit()
    traffic = httpx.get(
        mss.stack.base_url + "/_sim/traffic",
        params={
            "service": "mssante",
            "method": "SMTP",
            "idnat": doctor["idnat"],
            "order": "desc",
            "limit": 2,
        },
        timeout=30,
    ).json()
    assert "exchanges" in traffic, traffic
    traffic = traffic["exchanges"]
    data, auth = traffic
    assert (auth["path"], auth["status"], auth["client_id"]) == ("AUTH XOAUTH2", 235, doctor["client_id"])
    assert auth["notes"]["tls"] in ("TLSv1.2", "TLSv1.3")
    assert (data["path"], data["status"], data["patient"]) == ("DATA", 250, reference)
    assert data["notes"]["delivered"] == 1 and "findings" not in data["notes"]
