"""The mailbox API at /mss/api: what tests, the console and the conformance suite read and drive."""

from __future__ import annotations

import base64
import smtplib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from .builders import message, xdm_zip
from .conftest import Mss


def test_the_fixture_mailboxes_are_hosted(mss: Mss) -> None:
    boxes = {b["address"]: b for b in httpx.get(mss.api + "/mailboxes", timeout=30).json()}
    first = mss.professional(0)
    assert boxes[first["mailbox"]]["kind"] == "PER"
    assert boxes[first["mailbox"]]["members"] == [first["idnat"]]
    cabinet = boxes[mss.organisation("cabinet")["mailbox"]]
    assert cabinet["kind"] == "ORG" and first["idnat"] in cabinet["members"]
    reference = mss.fixtures["anchors"]["reference_patient"]
    assert boxes[f"{reference}@patient.mssante.fr"]["kind"] == "PAT"
    patients = httpx.get(mss.api + "/mailboxes", params={"kind": "PAT"}, timeout=30).json()
    assert all(b["address"].endswith("@patient.mssante.fr") for b in patients)
    assert httpx.get(mss.api + "/mailboxes/nobody@socle.mssante.fr", timeout=30).status_code == 404


def test_search_by_address_subject_patient_and_time(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], tag: str
) -> None:
    start = datetime.now(UTC) - timedelta(seconds=5)
    reference = mss.fixtures["anchors"]["reference_patient"]
    box = mss.professional(6)["mailbox"]
    sender.send_message(message(doctor["mailbox"], [box], f"Simple {tag}"))
    sender.send_message(
        message(
            doctor["mailbox"],
            [box],
            f"XDM/1.0/DDM+CR {tag}",
            xdm=xdm_zip(reference),
            headers={"X-MSS-INS": "O", "X-MSS-CODECDA": "11488-4"},
        )
    )
    assert len(mss.messages(address=box, subject=tag)) == 2
    assert len(mss.messages(address=doctor["mailbox"], subject=tag)) == 2
    [document] = mss.messages(patient=reference, subject=tag)
    assert document["subject"].startswith("XDM/1.0/DDM+")
    assert len(mss.messages(subject=tag, since=start.isoformat())) == 2
    assert mss.messages(subject=tag, until=start.isoformat()) == []
    latest = httpx.get(f"{mss.api}/mailboxes/{box}/latest", timeout=30).json()
    assert latest["id"] == document["id"]
    assert ["X-MSS-INS", "O"] in latest["headers"]
    assert latest["attachments"][0]["filename"] == "IHE_XDM.zip"


def test_delete_one_message_and_purge_a_mailbox(
    sender: smtplib.SMTP, mss: Mss, doctor: dict[str, Any], tag: str
) -> None:
    box = mss.professional(7)["mailbox"]
    for n in range(3):
        sender.send_message(message(doctor["mailbox"], [box], f"Purge {n} {tag}"))
    first, *_ = mss.messages(mailbox=box, subject=tag)
    assert httpx.delete(f"{mss.api}/messages/{first['id']}", timeout=30).status_code == 204
    assert httpx.get(f"{mss.api}/messages/{first['id']}", timeout=30).status_code == 404
    assert httpx.delete(f"{mss.api}/messages/{first['id']}", timeout=30).status_code == 404
    purged = httpx.delete(f"{mss.api}/messages", params={"mailbox": box}, timeout=30).json()
    assert purged["deleted"] >= 2
    assert mss.messages(mailbox=box) == []


def test_send_through_the_api_with_a_psc_token(mss: Mss, doctor: dict[str, Any], tag: str) -> None:
    reference = mss.fixtures["anchors"]["reference_patient"]
    colleague = mss.professional(1)["mailbox"]
    body = {
        "from": doctor["mailbox"],
        "to": [colleague],
        "subject": f"XDM/1.0/DDM+CR API {tag}",
        "text": "Envoyé par l'API",
        "headers": {
            "X-MSS-NIL": "API",
            "X-MSS-INS": "O",
            "X-MSS-CODECDA": "11488-4",
            "Disposition-Notification-To": doctor["mailbox"],
        },
        "attachments": [
            {
                "filename": "IHE_XDM.zip",
                "content_type": "application/zip",
                "content_base64": base64.b64encode(xdm_zip(reference)).decode(),
            }
        ],
    }
    auth = {"Authorization": f"Bearer {doctor['token']}"}
    assert httpx.post(mss.api + "/send", json=body, timeout=30).status_code == 401
    sent = httpx.post(mss.api + "/send", json=body, headers=auth, timeout=30)
    assert sent.status_code == 201, sent.text
    [stored] = mss.messages(mailbox=colleague, subject=tag)
    assert stored["conformant"] is True and stored["patient_ins"] == reference
    receipt = httpx.post(
        f"{mss.api}/messages/{stored['id']}/mdn", json={"disposition": "displayed"}, headers=auth, timeout=30
    )
    assert receipt.status_code == 403
    colleague_token = mss.token(mss.professional(1)["idnat"])
    receipt = httpx.post(
        f"{mss.api}/messages/{stored['id']}/mdn",
        json={"disposition": "displayed"},
        headers={"Authorization": f"Bearer {colleague_token}"},
        timeout=30,
    )
    assert receipt.status_code == 201, receipt.text
    [mdn] = mss.messages(mailbox=doctor["mailbox"], kind="mdn", subject=tag)
    raw = httpx.get(f"{mss.api}/messages/{mdn['id']}/raw", timeout=30).text
    assert "Disposition: manual-action/MDN-sent-manually; displayed" in raw


def test_send_refusals_are_clear(mss: Mss, doctor: dict[str, Any]) -> None:
    auth = {"Authorization": f"Bearer {doctor['token']}"}
    other = {"from": mss.professional(1)["mailbox"], "to": [doctor["mailbox"]], "subject": "x"}
    assert httpx.post(mss.api + "/send", json=other, headers=auth, timeout=30).status_code == 403
    outside = {"from": doctor["mailbox"], "to": ["someone@gmail.com"], "subject": "x"}
    refused = httpx.post(mss.api + "/send", json=outside, headers=auth, timeout=30)
    assert refused.status_code == 422 and "trust space" in refused.json()["message"]
    bad = {
        "from": doctor["mailbox"],
        "to": [mss.professional(1)["mailbox"]],
        "attachments": [{"filename": "a", "content_base64": "@@@"}],
    }
    assert httpx.post(mss.api + "/send", json=bad, headers=auth, timeout=30).status_code == 422


def test_the_trust_space_whitelist_is_published(mss: Mss) -> None:
    from defusedxml import ElementTree

    response = httpx.get(mss.api + "/listeblanchemssante.xml", timeout=30)
    assert response.headers["content-type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)
    names = [n.text for n in root.iter("{https://listeblanche.mssante.fr/schema}Nom")]
    assert {"socle.mssante.fr", "patient.mssante.fr"} <= set(names)


def test_the_trace_tells_smtp_from_the_api(
    mss: Mss, doctor: dict[str, Any], sender: smtplib.SMTP, tag: str
) -> None:
    colleague = mss.professional(1)["mailbox"]
    sender.send_message(message(doctor["mailbox"], [colleague], f"Par SMTP {tag}"))
    sent = httpx.post(
        mss.api + "/send",
        json={
            "from": doctor["mailbox"],
            "to": [colleague],
            "subject": f"Par API {tag}",
            "headers": {"X-MSS-NIL": "T"},
        },
        headers={"Authorization": f"Bearer {doctor['token']}"},
        timeout=30,
    )
    assert sent.status_code == 201
    traces = {}
    for stored in mss.messages(mailbox=colleague, subject=tag):
        headers = dict(httpx.get(f"{mss.api}/messages/{stored['id']}", timeout=30).json()["headers"])
        traces[stored["subject"].split()[1]] = headers["Received"]
    assert " with ESMTPSA " in traces["SMTP"] and "via XOAUTH2" in traces["SMTP"]
    assert " with HTTP " in traces["API"]
