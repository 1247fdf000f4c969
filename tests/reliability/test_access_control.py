"""Access control on a real stack: every DMP, INS and MSSanté operation refuses a missing, expired,
revoked or foreign token, storing nothing; a masked DMP document does not leak to a professional who
may not see it, through search, retrieve, lists with ``_include``, the access history or errors.
``$identity-status`` is left out: a calculator of the RNIV rules that holds no patient data."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from tests.dmp.builders import TRE_A07, bundle
from tests.psc_login import issuer_of, login
from tests.support import RunningStack

from .attacks import provider_key, signed
from .conftest import INS_NIR, MT_IDNAT, OTHER_IDNAT, REFERENCE_INS, THIRD_IDNAT, bearer
from .load import RECIPIENT, SENDER, find_document

SEARCH = {"patient.identifier": f"{INS_NIR}|{REFERENCE_INS}", "status": "current"}
OPERATIONS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("dmp", "POST", "/dmp/fhir", {"json": "bundle"}),
    ("dmp", "POST", "/dmp/fhir/DocumentReference", {"json": {"resourceType": "DocumentReference"}}),
    ("dmp", "GET", "/dmp/fhir/DocumentReference", {"params": SEARCH}),
    ("dmp", "POST", "/dmp/fhir/DocumentReference/_search", {"data": SEARCH}),
    ("dmp", "GET", "/dmp/fhir/DocumentReference/{doc}", {}),
    (
        "dmp",
        "PATCH",
        "/dmp/fhir/DocumentReference/{doc}",
        {"json": [], "headers": {"Content-Type": "application/json-patch+json"}},
    ),
    ("dmp", "GET", "/dmp/fhir/Binary/{doc}", {}),
    ("dmp", "GET", "/dmp/fhir/Patient", {"params": {"identifier": f"{INS_NIR}|{REFERENCE_INS}"}}),
    ("dmp", "GET", f"/dmp/fhir/Patient/{REFERENCE_INS}/$dmp-status", {}),
    ("dmp", "POST", f"/dmp/fhir/Patient/{REFERENCE_INS}/$close-dmp", {}),
    ("dmp", "GET", "/dmp/fhir/List", {"params": {"patient.identifier": f"{INS_NIR}|{REFERENCE_INS}"}}),
    ("dmp", "GET", "/dmp/fhir/AuditEvent", {"params": {"patient.identifier": f"{INS_NIR}|{REFERENCE_INS}"}}),
    ("ins", "GET", "/ins/fhir/Patient", {"params": {"identifier": REFERENCE_INS}}),
    ("ins", "POST", "/ins/fhir/Patient/_search", {"data": {"identifier": REFERENCE_INS}}),
    ("ins", "GET", f"/ins/fhir/Patient/{REFERENCE_INS}", {}),
    ("ins", "POST", "/ins/fhir/Patient/$match", {"json": {"resourceType": "Parameters"}}),
    ("mss", "POST", "/mss/api/send", {"json": "mail"}),
    ("mss", "POST", "/mss/api/messages/1/mdn", {"json": {"disposition": "displayed"}}),
]


@pytest.fixture(scope="module")
def genuine(stack: RunningStack) -> dict[str, Any]:
    return login(stack.base_url, idnat=MT_IDNAT)


@pytest.fixture(scope="module")
def bad_tokens(stack: RunningStack, genuine: dict[str, Any]) -> dict[str, str | None]:
    """Every way a token can be wrong, each from a genuine login unless it is absent."""
    certs = httpx.get(issuer_of(stack.base_url) + "/protocol/openid-connect/certs", timeout=30).json()
    claims = dict(
        jwt.decode(genuine["access_token"], KeySet.import_key_set(certs), algorithms=["RS256"]).claims
    )
    now = int(time.time())
    revoked = login(stack.base_url, idnat=MT_IDNAT)
    answer = httpx.post(
        issuer_of(stack.base_url) + "/protocol/openid-connect/revoke",
        data={"token": revoked["access_token"]},
        auth=(revoked["client_id"], revoked["client_secret"]),
        timeout=30,
    )
    assert answer.status_code == 200
    return {
        "none": None,
        "expired": signed(provider_key(stack.data_dir), claims | {"iat": now - 7200, "exp": now - 3600}),
        "revoked": revoked["access_token"],
        "foreign": signed(RSAKey.generate_key(2048, auto_kid=True), claims),
        "id token": genuine["id_token"],
        "garbage": "not-a-token",
    }


def call(
    stack: RunningStack, method: str, path: str, options: dict[str, Any], token: str | None, key: str
) -> httpx.Response:
    sent = dict(options)
    if sent.get("json") == "bundle":
        sent["json"] = bundle(REFERENCE_INS, author=MT_IDNAT) | {"id": key}
        sent["json"]["entry"][1]["resource"]["masterIdentifier"]["value"] = key
    elif sent.get("json") == "mail":
        sent["json"] = {"from": SENDER, "to": [RECIPIENT], "subject": key, "text": "x"}
    headers = dict(sent.pop("headers", {})) | (bearer(token) if token else {})
    return httpx.request(method, stack.base_url + path, headers=headers, timeout=30, **sent)


@pytest.mark.parametrize("kind", ["none", "expired", "revoked", "foreign", "id token", "garbage"])
def test_every_protected_operation_refuses_a_bad_token(
    stack: RunningStack, genuine: dict[str, Any], bad_tokens: dict[str, str | None], kind: str
) -> None:
    token = bad_tokens[kind]
    keys = []
    for service, method, path, options in OPERATIONS:
        key = f"urn:oid:1.2.250.1.999.9.{uuid.uuid4().int % 10**12}"
        keys.append(key)
        response = call(stack, method, path.replace("{doc}", "1"), options, token, key)
        assert response.status_code == 401, (
            kind,
            service,
            method,
            path,
            response.status_code,
            response.text[:200],
        )
        assert response.headers.get("www-authenticate", "").startswith("Bearer"), (kind, path)
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        for key in keys:
            assert find_document(client, genuine["access_token"], key) == [], "a refused write was stored"
    status = httpx.get(
        f"{stack.base_url}/dmp/fhir/Patient/{REFERENCE_INS}/$dmp-status",
        headers=bearer(genuine["access_token"]),
    )
    assert status.status_code == 200 and "closed" not in status.text


def masked_document(stack: RunningStack, author: str) -> dict[str, Any]:
    token = login(stack.base_url, idnat=author)["access_token"]
    body = bundle(REFERENCE_INS, author=author)
    body["entry"][1]["resource"]["content"][0]["attachment"]["title"] = "SECRET-TITLE-" + uuid.uuid4().hex
    answer = httpx.post(f"{stack.base_url}/dmp/fhir", json=body, headers=bearer(token), timeout=30)
    assert answer.status_code == 200, answer.text
    document = answer.json()["entry"][1]["response"]["location"].split("/")[1]
    masked = httpx.patch(
        f"{stack.base_url}/dmp/fhir/DocumentReference/{document}",
        json=[
            {"op": "replace", "path": "/securityLabel/0", "value": {"system": TRE_A07, "code": "MASQUE_PS"}}
        ],
        headers=bearer(token) | {"Content-Type": "application/json-patch+json"},
        timeout=30,
    )
    assert masked.status_code == 200, masked.text
    reference = body["entry"][1]["resource"]
    return {
        "id": document,
        "unique": reference["masterIdentifier"]["value"],
        "title": reference["content"][0]["attachment"].get("title") or "",
        "binary": masked.json()["content"][0]["attachment"]["url"].rsplit("/", 1)[-1],
    }


def secrets_of(document: dict[str, Any]) -> list[str]:
    return [v for v in (document["id"], document["unique"], document["title"], document["binary"]) if v]


def test_a_masked_document_does_not_leak(stack: RunningStack) -> None:
    document = masked_document(stack, OTHER_IDNAT)
    outsider = bearer(login(stack.base_url, idnat=THIRD_IDNAT)["access_token"])
    insider = bearer(login(stack.base_url, idnat=MT_IDNAT)["access_token"])  # médecin traitant: sees it
    base = f"{stack.base_url}/dmp/fhir"
    seen_by_insider = httpx.get(
        base + "/DocumentReference", params=SEARCH | {"_count": "500"}, headers=insider
    )
    assert document["id"] in seen_by_insider.text, "the control: the médecin traitant does see it"
    exposures = {
        "search": httpx.get(base + "/DocumentReference", params=SEARCH | {"_count": "500"}, headers=outsider),
        "search by identifier": httpx.get(
            base + "/DocumentReference",
            params=SEARCH | {"identifier": f"urn:ietf:rfc:3986|{document['unique']}"},
            headers=outsider,
        ),
        "POST search": httpx.post(
            base + "/DocumentReference/_search", data=SEARCH | {"_id": document["id"]}, headers=outsider
        ),
        "lists with _include": httpx.get(
            base + "/List",
            params={
                "patient.identifier": f"{INS_NIR}|{REFERENCE_INS}",
                "_include": "List:item",
                "_count": "500",
            },
            headers=outsider,
        ),
        "access history": httpx.get(
            base + "/AuditEvent",
            params={"patient.identifier": f"{INS_NIR}|{REFERENCE_INS}", "_count": "500"},
            headers=outsider,
        ),
    }
    for name, response in exposures.items():
        assert response.status_code in (200, 403), (name, response.text[:300])
        entries = json.dumps(response.json().get("entry", []))  # links echo the query: entries only
        for secret in secrets_of(document):
            assert secret not in entries, (name, secret)
    refusals = {
        "read": httpx.get(base + f"/DocumentReference/{document['id']}", headers=outsider),
        "retrieve": httpx.get(base + f"/Binary/{document['binary']}", headers=outsider),
        "retrieve as FHIR": httpx.get(
            base + f"/Binary/{document['binary']}", headers=outsider | {"Accept": "application/fhir+json"}
        ),
        "history": httpx.get(base + f"/DocumentReference/{document['id']}/_history/1", headers=outsider),
        "patch": httpx.patch(
            base + f"/DocumentReference/{document['id']}",
            json=[{"op": "replace", "path": "/status", "value": "current"}],
            headers=outsider | {"Content-Type": "application/json-patch+json"},
        ),
    }
    for name, response in refusals.items():
        assert response.status_code in (403, 404, 405), (name, response.status_code)
        for secret in (document["unique"], document["title"]):
            assert secret not in response.text, (name, secret)
        assert b"ClinicalDocument" not in response.content, name
