"""Document messages (IHE_XDM.zip) over SMTP: conformity findings, hostile archives, broken MIME,
delivery outcomes per recipient (DSN) and integration receipts (MDN)."""

from __future__ import annotations

import io
import smtplib
import zipfile
from email import message_from_bytes, policy
from typing import Any

import httpx
import pytest

from services.kernel.identifiers import nir_key

from .builders import CDA, message, metadata, xdm_message, xdm_zip
from .conftest import Mss

XML_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0">&lol3;</lcm:SubmitObjectsRequest>
"""


@pytest.fixture
def reference(mss: Mss) -> dict[str, Any]:
    """ADRTROIS DOMINIQUE: qualified INS, the contract's reference patient."""
    ins = mss.fixtures["anchors"]["reference_patient"]
    return next(p for p in mss.fixtures["patients"] if p["ins"] == ins)


def codes(found: dict[str, Any]) -> set[str]:
    return {f["code"] for f in found["findings"]}


def test_a_conforming_document_reaches_the_professional_and_the_patient(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], reference: dict[str, Any], tag: str
) -> None:
    colleague = mss.professional(1)["mailbox"]
    sender.send_message(
        xdm_message(doctor["mailbox"], [colleague, reference["mailbox"]], reference["ins"], tag)
    )
    stored = mss.messages(subject=tag)
    assert sorted(m["mailbox"] for m in stored) == sorted([colleague, reference["mailbox"]])
    for copy in stored:
        assert copy["patient_ins"] == reference["ins"]
        assert copy["conformant"] is True, copy["findings"]
    assert [m["id"] for m in mss.messages(patient=reference["ins"], subject=tag)] == [m["id"] for m in stored]


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        ({"IHE_XDM/SUBSET01/BOMB.BIN": b"\0" * (5 * 1024 * 1024)}, b"zip bomb"),
        ({"../../etc/cron.d/evil": b"* * * * * root id"}, b"zip slip"),
        ({"/tmp/absolute": b"x"}, b"zip slip"),
    ],
)
def test_hostile_archives_are_refused_and_nothing_is_stored(
    sender: smtplib.SMTP,
    mss: Mss,
    doctor: dict[str, Any],
    reference: dict[str, Any],
    tag: str,
    entries: dict[str, bytes],
    reason: bytes,
) -> None:
    mail = xdm_message(
        doctor["mailbox"], [mss.professional(1)["mailbox"]], reference["ins"], tag, extra=entries
    )
    with pytest.raises(smtplib.SMTPDataError) as refused:
        sender.send_message(mail)
    assert refused.value.smtp_code == 554
    assert reason in refused.value.smtp_error
    assert mss.messages(subject=tag) == []


def test_an_xml_bomb_in_metadata_is_refused(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], reference: dict[str, Any], tag: str
) -> None:
    mail = xdm_message(
        doctor["mailbox"], [mss.professional(1)["mailbox"]], reference["ins"], tag, metadata_xml=XML_BOMB
    )
    with pytest.raises(smtplib.SMTPDataError) as refused:
        sender.send_message(mail)
    assert (refused.value.smtp_code, b"XML bomb" in refused.value.smtp_error) == (554, True)
    assert mss.messages(subject=tag) == []


def test_layout_and_header_problems_are_delivered_with_findings(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], reference: dict[str, Any], tag: str
) -> None:
    other = next(p for p in mss.fixtures["patients"] if p["birth_name"] == "ADRUN")
    second_subset = {
        "IHE_XDM/SUBSET02/METADATA.XML": metadata(other["ins"], "1.2.250.1.213.1.4.8", {"DOC0001.XML": CDA}),
        "IHE_XDM/SUBSET02/DOC0001.XML": CDA,
    }
    mail = xdm_message(
        doctor["mailbox"],
        [mss.professional(1)["mailbox"]],
        reference["ins"],
        tag,
        code="34133-9",
        skip=("README.TXT",),
        extra=second_subset,
    )
    del mail["X-MSS-NIL"]
    sender.send_message(mail)
    [stored] = mss.messages(subject=tag)
    assert stored["conformant"] is False
    assert codes(stored) >= {
        "xdm.layout.missing",
        "mss.header.nil",
        "mss.header.codecda-mismatch",
        "xdm.patients.several",
    }
    findings = httpx.get(f"{mss.api}/messages/{stored['id']}/findings", timeout=30).json()
    assert {"SC.MSS/CONF.15", "SC.MSS/CONF.16"} <= {f.get("requirement") for f in findings["findings"]}


def test_x_mss_ins_o_without_an_ins_in_metadata_is_finding_903(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], tag: str
) -> None:
    mail = xdm_message(
        doctor["mailbox"], [mss.professional(1)["mailbox"]], "IPP-4242", tag, oid="1.2.250.1.999.1"
    )
    sender.send_message(mail)
    [stored] = mss.messages(subject=tag)
    [finding] = [f for f in stored["findings"] if f["code"] == "xdm.ins.absent"]
    assert (finding["mdm_error"], finding["requirement"]) == ("903", "SC.MSS/CONF.14")


def _raw(
    doctor: dict[str, Any], to: str, tag: str, headers: bytes = b"", body: bytes = b"Bonjour\r\n"
) -> bytes:
    return (
        f"From: {doctor['mailbox']}\r\nTo: {to}\r\nSubject: Brut {tag}\r\nX-MSS-NIL: T\r\n".encode()
        + headers
        + b"\r\n"
        + body
    )


@pytest.mark.parametrize(
    ("headers", "body", "reason"),
    [
        (b"X-Note: caf\xe9 latin-1\r\n", b"Bonjour\r\n", b"UTF-8"),
        (
            b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n',
            b"--b1\r\nContent-Type: text/plain\r\n\r\nno end\r\n",
            b"malformed MIME",
        ),
        (
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n",
            b"no boundary at all\r\n",
            b"malformed MIME",
        ),
        (
            b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n',
            b"--b1\r\nContent-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n"
            b'Content-Disposition: attachment; filename="IHE_XDM.zip"\r\n\r\n@@not*base64@@=\r\n--b1--\r\n',
            b"base64",
        ),
    ],
)
def test_unreadable_messages_are_refused(
    sender: smtplib.SMTP,
    mss: Mss,
    doctor: dict[str, Any],
    tag: str,
    headers: bytes,
    body: bytes,
    reason: bytes,
) -> None:
    colleague = mss.professional(1)["mailbox"]
    with pytest.raises(smtplib.SMTPDataError) as refused:
        sender.sendmail(doctor["mailbox"], [colleague], _raw(doctor, colleague, tag, headers, body))
    assert refused.value.smtp_code == 554
    assert reason in refused.value.smtp_error
    assert mss.messages(subject=tag) == []


def test_a_message_without_from_is_refused(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], tag: str
) -> None:
    colleague = mss.professional(1)["mailbox"]
    with pytest.raises(smtplib.SMTPDataError) as refused:
        sender.sendmail(
            doctor["mailbox"], [colleague], f"To: {colleague}\r\nSubject: {tag}\r\n\r\nx\r\n".encode()
        )
    assert refused.value.smtp_code == 554


def test_a_recipient_that_cannot_take_the_message_gets_a_dsn(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], reference: dict[str, Any], tag: str
) -> None:
    """Documents about ADRUN ZOE sent to ADRTROIS's patient box: that copy fails after acceptance."""
    other = next(p for p in mss.fixtures["patients"] if p["birth_name"] == "ADRUN")
    colleague = mss.professional(1)["mailbox"]
    sender.send_message(xdm_message(doctor["mailbox"], [colleague, reference["mailbox"]], other["ins"], tag))
    assert [m["mailbox"] for m in mss.messages(subject=tag, kind="message")] == [colleague]
    [report] = mss.messages(mailbox=doctor["mailbox"], subject=tag, kind="dsn")
    raw = httpx.get(f"{mss.api}/messages/{report['id']}/raw", timeout=30).content
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed.get_content_type() == "multipart/report"
    assert parsed.get_param("report-type") == "delivery-status"
    status = raw.decode()
    assert f"Final-Recipient: rfc822; {reference['mailbox']}" in status
    assert "Action: failed" in status and "Status: 5.7.1" in status


def test_a_document_for_one_wrong_patient_only_is_refused_in_the_transaction(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], reference: dict[str, Any], tag: str
) -> None:
    other = next(p for p in mss.fixtures["patients"] if p["birth_name"] == "ADRUN")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        sender.send_message(xdm_message(doctor["mailbox"], [reference["mailbox"]], other["ins"], tag))
    assert refused.value.smtp_code == 550
    assert mss.messages(subject=tag) == []


def test_an_organisational_box_returns_a_processing_mdn(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], reference: dict[str, Any], tag: str
) -> None:
    hospital = mss.organisation("hopital")["mailbox"]
    mail = xdm_message(doctor["mailbox"], [hospital], reference["ins"], tag)
    mail["Disposition-Notification-To"] = doctor["mailbox"]
    sender.send_message(mail)
    [receipt] = mss.messages(mailbox=doctor["mailbox"], subject=tag, kind="mdn")
    raw = httpx.get(f"{mss.api}/messages/{receipt['id']}/raw", timeout=30).content.decode()
    assert 'report-type="disposition-notification"' in raw
    assert "Disposition: automatic-action/MDN-sent-automatically; processed\r\n" in raw
    assert f"Original-Message-ID: {mail['Message-ID']}" in raw


def test_an_unknown_patient_gets_a_ko_mdn_with_error_902(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], tag: str
) -> None:
    nir = "2991299123456"
    hospital = mss.organisation("hopital")["mailbox"]
    mail = xdm_message(doctor["mailbox"], [hospital], nir + nir_key(nir), tag)
    mail["Disposition-Notification-To"] = doctor["mailbox"]
    sender.send_message(mail)
    [receipt] = mss.messages(mailbox=doctor["mailbox"], subject=tag, kind="mdn")
    assert receipt["subject"].startswith("[KO Intégration système !][902] XDM/1.0/DDM+")
    raw = httpx.get(f"{mss.api}/messages/{receipt['id']}/raw", timeout=30).content.decode()
    assert "processed/error" in raw and "Error: 902^Identifiant patient inconnu" in raw


def test_the_attachment_comes_back_byte_for_byte(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], reference: dict[str, Any], tag: str
) -> None:
    archive = xdm_zip(reference["ins"])
    colleague = mss.professional(1)["mailbox"]
    mail = message(
        doctor["mailbox"],
        [colleague],
        f"XDM/1.0/DDM+CR {tag}",
        xdm=archive,
        headers={"X-MSS-INS": "O", "X-MSS-CODECDA": "11488-4"},
    )
    sender.send_message(mail)
    [stored] = mss.messages(subject=tag)
    listing = httpx.get(f"{mss.api}/messages/{stored['id']}/attachments", timeout=30).json()
    assert [(a["filename"], a["content_type"]) for a in listing] == [("IHE_XDM.zip", "application/zip")]
    content = httpx.get(f"{mss.api}/messages/{stored['id']}/attachments/0", timeout=30).content
    assert content == archive
    assert zipfile.ZipFile(io.BytesIO(content)).namelist()[0] == "README.TXT"
