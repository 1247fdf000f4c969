"""Writes a load test can acknowledge and later find whole: DMP bundles and MSSanté messages."""

from __future__ import annotations

import base64
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.dmp.builders import bundle, cda

from .conftest import INS_NIR, MT_IDNAT, REFERENCE_INS, bearer

SENDER = "julie.martin-socle@socle.mssante.fr"
"""The first professional's personal mailbox (she may send from it)."""
RECIPIENT = "paul.duroc@socle.mssante.fr"


@dataclass
class Ledger:
    """What was sent and what the server acknowledged, by the write's own unique key."""

    sent: dict[str, bytes] = field(default_factory=dict)
    acknowledged: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, key: str, content: bytes) -> None:
        with self.lock:
            self.sent[key] = content

    def ack(self, key: str) -> None:
        with self.lock:
            self.acknowledged.add(key)


def publish(client: httpx.Client, token: str, ledger: Ledger) -> None:
    """One ITI-65 publication; the key is the document's uniqueId (masterIdentifier)."""
    content = cda(REFERENCE_INS) + b"<!-- " + uuid.uuid4().hex.encode() * 40 + b" -->"
    body = bundle(REFERENCE_INS, author=MT_IDNAT, data=content)
    key = body["entry"][1]["resource"]["masterIdentifier"]["value"]
    ledger.send(key, content)
    response = client.post("/dmp/fhir", json=body, headers=bearer(token))
    if response.status_code == 200:
        ledger.ack(key)


def send_mail(client: httpx.Client, token: str, ledger: Ledger) -> None:
    """One message through the mailbox API; the key is its unique subject, the text its content."""
    key = f"crash-{uuid.uuid4().hex}"
    text = f"corps {key} " + "x" * 2000
    ledger.send(key, text.encode())
    body = {"from": SENDER, "to": [RECIPIENT], "subject": key, "text": text}
    response = client.post("/mss/api/send", json=body, headers=bearer(token))
    if response.status_code == 201 and response.json()["delivered"]:
        ledger.ack(key)


def find_document(client: httpx.Client, token: str, key: str) -> list[dict[str, Any]]:
    params = {
        "patient.identifier": f"{INS_NIR}|{REFERENCE_INS}",
        "identifier": f"urn:ietf:rfc:3986|{key}",
        "status": "current",
    }
    response = client.get("/dmp/fhir/DocumentReference", params=params, headers=bearer(token))
    assert response.status_code == 200, response.text
    return [e["resource"] for e in response.json().get("entry", []) if e["search"]["mode"] == "match"]


def document_content(client: httpx.Client, token: str, reference: dict[str, Any]) -> bytes:
    url = reference["content"][0]["attachment"]["url"]
    response = client.get(url, headers=bearer(token) | {"Accept": "application/fhir+json"})
    assert response.status_code == 200, (url, response.text[:300])
    return base64.b64decode(response.json()["data"])


def find_messages(client: httpx.Client, key: str) -> list[dict[str, Any]]:
    response = client.get("/mss/api/messages", params={"subject": key, "mailbox": RECIPIENT})
    assert response.status_code == 200, response.text
    return list(response.json()["messages"])


def message_source(client: httpx.Client, message_id: int) -> bytes:
    response = client.get(f"/mss/api/messages/{message_id}/raw")
    assert response.status_code == 200
    return response.content
