"""Hostile payloads on a real stack, each refused with a clear 4xx (or the INSi SOAP fault) and nothing
stored: external entities and entity expansion in SOAP, CDA, FHIR XML and METADATA.XML, bodies over
the limit (with and without Content-Length), deep JSON, invalid UTF-8, header injection in mail.
(Zip bombs, zip slip and an entity bomb in METADATA.XML over SMTP are in tests/mssante.)"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.dmp.builders import bundle, cda
from tests.ins.soap_messages import envelope, traits
from tests.mssante.builders import xdm_zip
from tests.psc_login import issuer_of, login
from tests.support import RunningStack

from .conftest import MT_IDNAT, REFERENCE_INS, bearer
from .load import RECIPIENT, SENDER, find_document, find_messages

XXE = '<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
BOMB = (
    '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">'
    '<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">'
    '<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>'
)
DTDS = {"external entity": (XXE, "&x;"), "entity expansion": (BOMB, "&h;")}
LEAKED = ("root:", "/bin/", "aaaaaaaaaaaaaaaaaaaa")
OVER_LIMIT = 21 * 1024 * 1024
"""Above the default ``SOCLE_MAX_BODY_BYTES`` (20 MiB)."""


@pytest.fixture(scope="module")
def token(stack: RunningStack) -> str:
    return str(login(stack.base_url, idnat=MT_IDNAT)["access_token"])


def with_dtd(xml: str, dtd: str, reference: str, element: str) -> str:
    """``xml`` with a DOCTYPE before its root and the entity used as the text of ``element``."""
    body = xml.split("?>", 1)[1] if xml.startswith("<?xml") else xml
    body = body.replace(f"<{element}>", f"<{element}>{reference}", 1)
    return f'<?xml version="1.0" encoding="UTF-8"?>{dtd}{body}'


def assert_clean_refusal(response: httpx.Response, *allowed: int) -> None:
    assert response.status_code in allowed or 400 <= response.status_code < 500, (
        response.status_code,
        response.text[:300],
    )
    for leak in LEAKED:
        assert leak not in response.text, leak


@pytest.mark.parametrize("kind", DTDS)
def test_soap_with_a_dtd_is_a_sender_fault(stack: RunningStack, kind: str) -> None:
    dtd, reference = DTDS[kind]
    soap = with_dtd(envelope(body=traits(name="ADRUN")), dtd, reference, "NomNaissance")
    response = httpx.post(
        f"{stack.base_url}/ins/insi",
        content=soap.encode(),
        headers={"Content-Type": "application/soap+xml; charset=utf-8"},
        timeout=30,
    )
    assert_clean_refusal(response, 500)  # INSi answers faults with 500, as the real teleservice
    assert ":Fault>" in response.text and "Sender" in response.text


@pytest.mark.parametrize("kind", DTDS)
def test_cda_with_a_dtd_is_refused_and_not_stored(stack: RunningStack, token: str, kind: str) -> None:
    dtd, reference = DTDS[kind]
    document = with_dtd(cda(REFERENCE_INS).decode(), dtd, reference, "ClinicalDocument")
    body = bundle(REFERENCE_INS, author=MT_IDNAT, data=document.encode())
    key = body["entry"][1]["resource"]["masterIdentifier"]["value"]
    response = httpx.post(f"{stack.base_url}/dmp/fhir", json=body, headers=bearer(token), timeout=30)
    assert_clean_refusal(response)
    assert response.json()["resourceType"] == "OperationOutcome"
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        assert find_document(client, token, key) == []


@pytest.mark.parametrize("kind", DTDS)
def test_fhir_xml_with_a_dtd_is_refused(stack: RunningStack, token: str, kind: str) -> None:
    dtd, reference = DTDS[kind]
    xml = (
        f'<?xml version="1.0"?>{dtd}<Bundle xmlns="http://hl7.org/fhir"><type value="{reference}"/></Bundle>'
    )
    headers = bearer(token) | {"Content-Type": "application/fhir+xml"}
    response = httpx.post(f"{stack.base_url}/dmp/fhir", content=xml.encode(), headers=headers, timeout=30)
    assert_clean_refusal(response)


@pytest.mark.parametrize("kind", DTDS)
def test_metadata_xml_with_a_dtd_is_refused_and_not_delivered(
    stack: RunningStack, token: str, kind: str
) -> None:
    dtd, reference = DTDS[kind]
    metadata = f'<?xml version="1.0"?>{dtd}<SubmitObjectsRequest xmlns="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0">{reference}</SubmitObjectsRequest>'
    archive = xdm_zip(REFERENCE_INS, metadata_xml=metadata.encode())
    subject = f"XDM/1.0/DDM+hostile {uuid.uuid4().hex}"
    body = {
        "from": SENDER,
        "to": [RECIPIENT],
        "subject": subject,
        "text": "piece jointe",
        "headers": {"X-MSS-INS": "O", "X-MSS-CODECDA": "11488-4"},
        "attachments": [
            {
                "filename": "IHE_XDM.zip",
                "content_type": "application/zip",
                "content_base64": base64.b64encode(archive).decode(),
            }
        ],
    }
    response = httpx.post(f"{stack.base_url}/mss/api/send", json=body, headers=bearer(token), timeout=30)
    assert_clean_refusal(response)
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        assert find_messages(client, subject) == []


def targets(stack: RunningStack, token: str) -> dict[str, tuple[str, dict[str, str]]]:
    """A JSON-reading write of every service, with what it needs to get past authentication."""
    auth = bearer(token)
    return {
        "dmp": (f"{stack.base_url}/dmp/fhir", auth | {"Content-Type": "application/fhir+json"}),
        "ins": (
            f"{stack.base_url}/ins/fhir/Patient/$match",
            auth | {"Content-Type": "application/fhir+json"},
        ),
        "mss": (f"{stack.base_url}/mss/api/send", auth | {"Content-Type": "application/json"}),
        "psc": (
            issuer_of(stack.base_url) + "/clients-registrations/openid-connect",
            {"Content-Type": "application/json"},
        ),
    }


@pytest.mark.parametrize("service", ["dmp", "ins", "mss", "psc"])
def test_hostile_json_is_a_clean_4xx(stack: RunningStack, token: str, service: str) -> None:
    url, headers = targets(stack, token)[service]
    payloads: dict[str, bytes] = {
        "deep nesting": b"[" * 200_000 + b"]" * 200_000,
        "deep objects": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        "invalid UTF-8": b'{"resourceType": "Bundle\xff\xfe\xc3\x28", "type": "transaction"}',
        "lone surrogate": b'{"resourceType": "\\ud800Bundle"}',
        "not JSON": b"\x00\x01\x02",
    }
    for name, payload in payloads.items():
        response = httpx.post(url, content=payload, headers=headers, timeout=60)
        assert 400 <= response.status_code < 500, (service, name, response.status_code, response.text[:200])


def chunks(total: int) -> Iterator[bytes]:
    block = b" " * (1024 * 1024)
    for _ in range(total // len(block)):
        yield block


@pytest.mark.parametrize("service", ["dmp", "ins", "mss", "psc"])
def test_bodies_over_the_limit_are_413(stack: RunningStack, token: str, service: str) -> None:
    url, headers = targets(stack, token)[service]
    declared = httpx.post(url, content=b" " * OVER_LIMIT, headers=headers, timeout=60)
    assert declared.status_code == 413, (service, declared.status_code)
    streamed = httpx.post(url, content=chunks(OVER_LIMIT), headers=headers, timeout=60)
    assert streamed.status_code == 413, (service, streamed.status_code)


INJECTIONS: list[dict[str, Any]] = [
    {"subject": "Bonjour\r\nBcc: evil@attacker.example"},
    {"subject": "Bonjour\nBcc: evil@attacker.example"},
    {"headers": {"X-Note": "ok\r\nBcc: evil@attacker.example"}},
    {"headers": {"X-Note\r\nBcc": "evil@attacker.example"}},
    {"from": SENDER + "\r\nBcc: evil@attacker.example"},
    {"to": [RECIPIENT + "\r\nBcc: evil@attacker.example"]},
]


@pytest.mark.parametrize("injection", INJECTIONS, ids=lambda i: next(iter(i)))
def test_mail_header_injection_is_refused_or_neutralised(
    stack: RunningStack, token: str, injection: dict[str, Any]
) -> None:
    marker = uuid.uuid4().hex
    body = {"from": SENDER, "to": [RECIPIENT], "subject": f"injection {marker}", "text": marker} | injection
    response = httpx.post(f"{stack.base_url}/mss/api/send", json=body, headers=bearer(token), timeout=30)
    assert response.status_code in (201, 422), response.text[:300]
    delivered = response.json().get("delivered", []) if response.status_code == 201 else []
    for message_id in delivered:
        raw = httpx.get(f"{stack.base_url}/mss/api/messages/{message_id}/raw", timeout=30).content
        header_block = raw.split(b"\r\n\r\n", 1)[0]
        assert b"\nBcc:" not in header_block and b"\nbcc:" not in header_block.lower(), raw[:500]
    outside = httpx.get(
        f"{stack.base_url}/mss/api/messages", params={"address": "evil@attacker.example"}, timeout=30
    ).json()
    assert all(marker not in str(m) for m in outside["messages"])
