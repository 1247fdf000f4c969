"""The FHIR protocol around the searches: paging, POST _search, _elements, metadata, errors, validation."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from services.kernel.fhir import parse_resource

TYPES = ("Practitioner", "PractitionerRole", "Organization", "HealthcareService", "Device")


def test_fhirpy_follows_next_links_through_every_page(fhir: SyncFHIRClient, seed: dict[str, Any]) -> None:
    practitioners = len(seed["professionals"]) + 1  # and the retired one
    first_page = fhir.resources("Practitioner").limit(5).fetch_raw()
    assert first_page["total"] == practitioners
    assert len(first_page["entry"]) == 5
    next_url = next(link["url"] for link in first_page["link"] if link["relation"] == "next")
    query = parse_qs(urlsplit(next_url).query)
    assert set(query) == {"_getpages", "_pageId"}
    everyone = fhir.resources("Practitioner").limit(5).fetch_all()
    assert len({p["id"] for p in everyone}) == practitioners
    assert fhir.resources("Practitioner").count() == practitioners


def test_a_tampered_page_link_is_gone(http: httpx.Client, fhir_base: str) -> None:
    bundle = http.get("Practitioner", params={"_count": 2}).json()
    next_url = next(link["url"] for link in bundle["link"] if link["relation"] == "next")
    query = parse_qs(urlsplit(next_url).query)
    other = http.get("Organization", params={"_count": 2}).json()
    other_query = parse_qs(urlsplit(other["link"][1]["url"]).query)
    for getpages, page_id in ((query["_getpages"][0], other_query["_pageId"][0]), ("x", "not-base64!")):
        response = http.get(fhir_base, params={"_getpages": getpages, "_pageId": page_id})
        assert response.status_code == 410
        assert response.json()["resourceType"] == "OperationOutcome"


def test_post_search_answers_like_get(http: httpx.Client, seed: dict[str, Any]) -> None:
    mailbox = seed["professionals"][0]["mailbox"]
    posted = http.post("Practitioner/_search", data={"mailbox-mss": mailbox})
    assert posted.status_code == 200
    assert posted.headers["content-type"].startswith("application/fhir+json")
    got = http.get("Practitioner", params={"mailbox-mss": mailbox}).json()
    assert [e["resource"] for e in posted.json()["entry"]] == [e["resource"] for e in got["entry"]]
    as_json = http.post("Practitioner/_search", json={"mailbox-mss": mailbox})
    assert as_json.status_code == 415


def test_elements_subset_the_matches(http: httpx.Client, seed: dict[str, Any]) -> None:
    bundle = http.get(
        "Practitioner", params={"identifier": seed["professionals"][0]["rpps"], "_elements": "name"}
    ).json()
    resource = bundle["entry"][0]["resource"]
    assert set(resource) == {"resourceType", "id", "meta", "name"}
    assert {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
        "code": "SUBSETTED",
    } in resource["meta"]["tag"]


def test_metadata_is_a_valid_capability_statement(http: httpx.Client) -> None:
    statement = parse_resource(http.get("metadata").json(), "CapabilityStatement")
    served = {r.type: r for r in statement.rest[0].resource}
    assert set(served) == set(TYPES)
    assert {p.name for p in served["Practitioner"].searchParam} >= {
        "identifier",
        "mailbox-mss",
        "name",
        "_id",
    }
    assert served["Organization"].searchRevInclude == [
        "Device:organization",
        "HealthcareService:organization",
        "PractitionerRole:organization",
    ]


@pytest.mark.parametrize("resource_type", TYPES)
def test_every_resource_validates_with_fhir_resources(http: httpx.Client, resource_type: str) -> None:
    bundle = http.get(resource_type, params={"_count": 1000}).json()
    parse_resource(bundle, "Bundle")
    assert bundle["entry"]
    for entry in bundle["entry"]:
        resource = entry["resource"]
        parse_resource(resource, resource_type)
        assert resource["meta"]["source"] == "https://annuaire.sante.fr"
        assert any("interop.esante.gouv.fr/ig/fhir/annuaire" in p for p in resource["meta"]["profile"])


def test_without_api_key_every_route_is_refused(fhir_base: str) -> None:
    for path in ("metadata", "Practitioner", "Organization/x"):
        response = httpx.get(f"{fhir_base}/{path}")
        assert response.status_code == 401
        outcome = response.json()
        assert outcome["resourceType"] == "OperationOutcome"
        assert "ESANTE-API-KEY" in outcome["issue"][0]["diagnostics"]


def test_unknown_resource_type_and_unknown_id(fhir: SyncFHIRClient, http: httpx.Client) -> None:
    response = http.get("Patient")
    assert response.status_code == 404
    assert "HAPI-0302" in response.json()["issue"][0]["diagnostics"]
    with pytest.raises(ResourceNotFound):
        fhir.reference("Practitioner", "003-00000000000").to_resource()


@pytest.mark.parametrize(
    "params",
    [
        {"mailbox-mss-type": "PER"},
        {"unknown": "1"},
        {"family:missing": "true"},
        {"identifier:contains": "1"},
        {"_count": "many"},
        {"_include": "Practitioner:organization"},
        {"_revinclude": "Device:organization"},
        {"_lastUpdated": "yesterday"},
        {"_summary": "true"},
        {"_sort": "family"},
        {"organization": "Patient/1"},
    ],
)
def test_bad_parameters_get_an_operation_outcome(fhir: SyncFHIRClient, params: dict[str, str]) -> None:
    resource_type = "PractitionerRole" if "organization" in params else "Practitioner"
    with pytest.raises(OperationOutcome) as raised:
        fhir.resources(resource_type).search(**{k.replace("-", "_"): v for k, v in params.items()}).fetch()
    issue = raised.value.resource["issue"][0]
    assert issue["severity"] == "error"
    assert issue["code"] == "invalid"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_writes_are_not_allowed(http: httpx.Client, method: str) -> None:
    for path in ("Practitioner", "Practitioner/003-10000000017"):
        response = http.request(method, path, json={"resourceType": "Practitioner"})
        assert response.status_code == 405
        assert response.json()["resourceType"] == "OperationOutcome"
    assert http.post("Practitioner", json={"resourceType": "Practitioner"}).status_code == 405


def test_directory_calls_are_recorded_with_the_caller(stack_client: httpx.Client, http: httpx.Client) -> None:
    assert http.get("Device").status_code == 200
    params = {"service": "annuaire", "order": "desc", "bodies": "false", "limit": 50}
    exchanges = stack_client.get("/_sim/traffic", params=params).json()["exchanges"]
    device = next(e for e in exchanges if e["path"].endswith("/fhir/v2/Device"))
    assert device["client_id"].startswith("api-key:")
    assert "test-application-key" not in str(device)
