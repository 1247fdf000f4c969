"""End to end on a real ``socle up``: a real FHIR client (fhirpy) with a Pro Santé Connect token
obtained by the authorization-code flow, the real INS service answering identity questions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import ForbiddenError
from fhirpy.base.exceptions import OperationOutcome as FhirpyOutcome

from tests.dmp.builders import IS_ARCHIVED, MT_IDNAT, OTHER_IDNAT, REFERENCE_INS, TRE_A07, bundle
from tests.dmp.helpers import JSON_PATCH, json_patch
from tests.psc_login import login
from tests.support import RunningStack

BLOCKS_DUROC = "109076322083489"
PROV_TEST = ("185056311320278", "urn:oid:1.2.250.1.213.1.4.10")
THIRD_IDNAT = "810000000090"


@pytest.fixture(scope="module")
def tokens(stack: RunningStack) -> dict[str, str]:
    return {
        idnat: login(stack.base_url, idnat=idnat)["access_token"]
        for idnat in (MT_IDNAT, OTHER_IDNAT, THIRD_IDNAT)
    }


@pytest.fixture(scope="module")
def fhir(stack: RunningStack, tokens: dict[str, str]) -> Iterator[dict[str, SyncFHIRClient]]:
    yield {
        idnat: SyncFHIRClient(f"{stack.base_url}/dmp/fhir", authorization=f"Bearer {token}")
        for idnat, token in tokens.items()
    }


def search(client: SyncFHIRClient, ins: str = REFERENCE_INS, **params: str) -> list[Any]:
    query = {"patient.identifier": f"urn:oid:1.2.250.1.213.1.4.8|{ins}", "status": "current", **params}
    return list(client.resources("DocumentReference").search(**query).fetch_all())


def publish(client: SyncFHIRClient, **kwargs: Any) -> dict[str, Any]:
    body = bundle(**kwargs)
    answer = client.execute("", method="post", data=body)
    assert answer["type"] == "transaction-response"
    return {"body": body, "answer": answer, "id": answer["entry"][1]["response"]["location"].split("/")[1]}


def test_capability_statement(stack: RunningStack) -> None:
    statement = httpx.get(f"{stack.base_url}/dmp/fhir/metadata").json()
    assert statement["resourceType"] == "CapabilityStatement"
    kinds = {r["type"] for r in statement["rest"][0]["resource"]}
    assert {"DocumentReference", "Binary", "Patient", "AuditEvent"} <= kinds
    assert statement["rest"][0]["interaction"][0]["code"] == "transaction"


def test_publish_search_retrieve_with_fhirpy(
    stack: RunningStack, fhir: dict[str, SyncFHIRClient], tokens: dict[str, str]
) -> None:
    published = publish(fhir[OTHER_IDNAT], author=OTHER_IDNAT)
    unique_id = published["body"]["entry"][1]["resource"]["masterIdentifier"]["value"]
    found = search(fhir[MT_IDNAT], identifier=f"urn:ietf:rfc:3986|{unique_id}")
    assert [d["id"] for d in found] == [published["id"]]
    url = found[0]["content"][0]["attachment"]["url"]
    assert url.startswith(f"{stack.base_url}/dmp/fhir/Binary/")
    content = httpx.get(url, headers={"Authorization": f"Bearer {tokens[MT_IDNAT]}"})
    assert content.status_code == 200
    assert content.headers["content-type"].startswith("application/xml")
    assert b"ClinicalDocument" in content.content
    evidence = httpx.get(
        f"{stack.base_url}/_sim/traffic", params={"service": "dmp", "patient": REFERENCE_INS}
    ).json()
    assert evidence, "every DMP exchange is recorded with its patient"


def test_paging_and_post_search(
    stack: RunningStack, fhir: dict[str, SyncFHIRClient], tokens: dict[str, str]
) -> None:
    for _ in range(3):
        publish(fhir[MT_IDNAT], type_code="11488-4")
    headers = {"Authorization": f"Bearer {tokens[MT_IDNAT]}"}
    params = {
        "patient.identifier": f"urn:oid:1.2.250.1.213.1.4.8|{REFERENCE_INS}",
        "status": "current",
        "_count": "2",
    }
    first = httpx.get(f"{stack.base_url}/dmp/fhir/DocumentReference", params=params, headers=headers).json()
    assert first["total"] >= 3
    assert len(first["entry"]) == 2
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = httpx.get(following, headers=headers).json()
    assert {e["resource"]["id"] for e in second["entry"]}.isdisjoint(
        e["resource"]["id"] for e in first["entry"]
    )
    posted = httpx.post(
        f"{stack.base_url}/dmp/fhir/DocumentReference/_search", data=params, headers=headers
    ).json()
    assert posted["total"] == first["total"]


def test_masking_and_archiving_with_real_tokens(
    stack: RunningStack, fhir: dict[str, SyncFHIRClient], tokens: dict[str, str]
) -> None:
    published = publish(fhir[OTHER_IDNAT], author=OTHER_IDNAT)
    document = published["id"]
    url = f"{stack.base_url}/dmp/fhir/DocumentReference/{document}"
    masked = httpx.patch(
        url,
        json=json_patch("/securityLabel/0", {"system": TRE_A07, "code": "MASQUE_PS"}),
        headers={"Authorization": f"Bearer {tokens[OTHER_IDNAT]}", **JSON_PATCH},
    )
    assert masked.status_code == 200, masked.text
    assert document not in {d["id"] for d in search(fhir[THIRD_IDNAT])}
    assert document in {d["id"] for d in search(fhir[MT_IDNAT])}
    archived = httpx.patch(
        url,
        json=json_patch(f"/extension[url:'{IS_ARCHIVED}']/valueBoolean", True),
        headers={"Authorization": f"Bearer {tokens[MT_IDNAT]}", **JSON_PATCH},
    )
    assert archived.status_code == 200, archived.text
    assert document in {d["id"] for d in search(fhir[MT_IDNAT], isArchived="true")}


def test_refusals_with_real_peers(fhir: dict[str, SyncFHIRClient]) -> None:
    with pytest.raises(ForbiddenError) as blocked:
        search(fhir[OTHER_IDNAT], BLOCKS_DUROC)
    assert "blocked" in str(blocked.value)
    with pytest.raises(FhirpyOutcome) as provisional:
        fhir[MT_IDNAT].execute("", method="post", data=bundle(PROV_TEST[0], system=PROV_TEST[1]))
    assert "not qualified" in str(provisional.value)


def test_access_history_is_searchable_by_patient(
    stack: RunningStack, fhir: dict[str, SyncFHIRClient], tokens: dict[str, str]
) -> None:
    publish(fhir[MT_IDNAT])
    search(fhir[THIRD_IDNAT])
    events = httpx.get(
        f"{stack.base_url}/dmp/fhir/AuditEvent",
        params={"patient.identifier": f"urn:oid:1.2.250.1.213.1.4.8|{REFERENCE_INS}", "_count": "200"},
        headers={"Authorization": f"Bearer {tokens[MT_IDNAT]}"},
    ).json()
    assert events["resourceType"] == "Bundle"
    subtypes = {e["resource"]["subtype"][0]["code"] for e in events["entry"]}
    assert {"ITI-65", "ITI-67"} <= subtypes
    assert "first-access-notification" in subtypes
    readers = {
        e["resource"]["agent"][0]["who"].get("identifier", {}).get("value")
        for e in events["entry"]
        if e["resource"]["subtype"][0]["code"] == "first-access-notification"
    }
    assert THIRD_IDNAT in readers
