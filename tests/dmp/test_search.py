"""ITI-67 search parameters, paging and the CapabilityStatement that lists them."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.dmp import search_store
from tests.dmp.builders import HL7_CONF, MT_IDNAT, OTHER_IDNAT, TRE_A07, bundle
from tests.dmp.conftest import as_pro
from tests.dmp.helpers import assert_outcome, ids, location_id, patient_query


@pytest.fixture
def three(dmp: TestClient) -> dict[str, str]:
    """A consultation (2026-11-20), a hospital report (2025-03-01) and a prescription labelled R."""
    made = {}
    for name, kwargs in {
        "consultation": {},
        "hospital": {"type_code": "34112-3", "date": "2025-03-01T08:00:00Z"},
        "prescription": {
            "type_code": "57833-6",
            "class_code": "42",
            "labels": ((HL7_CONF, "R"),),
            "author": OTHER_IDNAT,
        },
    }.items():
        author = str(kwargs.get("author", MT_IDNAT))
        response = dmp.post("/fhir", json=bundle(**kwargs), headers=as_pro(author))  # type: ignore[arg-type]
        assert response.status_code == 200, response.text
        made[name] = location_id(response, 1)
    return made


def found(dmp: TestClient, **params: str) -> list[str]:
    response = dmp.get("/fhir/DocumentReference", params=patient_query(**params), headers=as_pro(MT_IDNAT))
    assert response.status_code == 200, response.text
    return sorted(ids(response.json()))


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "http://loinc.org|34112-3"}, ["hospital"]),
        ({"type": "34112-3,57833-6"}, ["hospital", "prescription"]),
        ({"category": "42"}, ["prescription"]),
        ({"date": "ge2026-01-01"}, ["consultation", "prescription"]),
        ({"date": "lt2026"}, ["hospital"]),
        ({"date": "2025-03"}, ["hospital"]),
        ({"period-start": "ge2026-11-20"}, ["consultation", "hospital", "prescription"]),
        ({"security-label": "R"}, ["prescription"]),
        ({"setting": "AMBULATOIRE", "facility": "SA07"}, ["consultation", "hospital", "prescription"]),
        ({"format": "urn:ihe:iti:xds-sd:pdf:2008"}, ["consultation", "hospital", "prescription"]),
        ({"author.family": "martin"}, ["consultation", "hospital", "prescription"]),
        ({"author.identifier": f"urn:oid:1.2.250.1.71.4.2.1|{OTHER_IDNAT}"}, ["prescription"]),
        ({"author": f"Practitioner/{MT_IDNAT}"}, ["consultation", "hospital"]),
        ({"isArchived": "false"}, ["consultation", "hospital", "prescription"]),
        ({"unknown-parameter": "x"}, ["consultation", "hospital", "prescription"]),
    ],
)
def test_parameters(
    dmp: TestClient, three: dict[str, str], params: dict[str, str], expected: list[str]
) -> None:
    assert found(dmp, **params) == sorted(three[name] for name in expected)


def test_related_and_event(dmp: TestClient) -> None:
    body = bundle()
    context = body["entry"][1]["resource"]["context"]
    context["related"] = [{"identifier": {"system": "urn:oid:1.2.250.1.999.5", "value": "ORDER-42"}}]
    context["event"] = [{"coding": [{"system": "urn:oid:1.2.250.1.213.2.5", "code": "YYYY600"}]}]
    document = location_id(dmp.post("/fhir", json=body, headers=as_pro(MT_IDNAT)), 1)
    dmp.post("/fhir", json=bundle(), headers=as_pro(MT_IDNAT))
    assert found(dmp, related="urn:oid:1.2.250.1.999.5|ORDER-42") == [document]
    assert found(dmp, event="YYYY600") == [document]


def test_identifier_matches_unique_id_and_entry_uuid(dmp: TestClient) -> None:
    body = bundle()
    unique_id = body["entry"][1]["resource"]["masterIdentifier"]["value"]
    document = location_id(dmp.post("/fhir", json=body, headers=as_pro(MT_IDNAT)), 1)
    assert found(dmp, identifier=f"urn:ietf:rfc:3986|{unique_id}") == [document]
    assert found(dmp, identifier=f"urn:ietf:rfc:3986|urn:uuid:{document}") == [document]
    assert found(dmp, _id=document) == [document]


def test_paging_with_count_next_link_and_total(dmp: TestClient, three: dict[str, str]) -> None:
    response = dmp.get(
        "/fhir/DocumentReference", params=patient_query(_count="2"), headers=as_pro(MT_IDNAT)
    ).json()
    assert response["total"] == 3
    assert len(response["entry"]) == 2
    following = next(link["url"] for link in response["link"] if link["relation"] == "next")
    rest = dmp.get(following.split("8080", 1)[1], headers=as_pro(MT_IDNAT)).json()
    assert len(rest["entry"]) == 1
    assert not any(link["relation"] == "next" for link in rest["link"])
    assert set(ids(response) + ids(rest)) == set(three.values())


@pytest.mark.parametrize("paging", [{"_offset": "5"}, {"_count": "0"}, {"_offset": "3", "_count": "2"}])
def test_an_empty_page_still_tells_the_total(
    dmp: TestClient, three: dict[str, str], paging: dict[str, str]
) -> None:
    """The total travels with the page's rows: a page without rows must still count the matches."""
    response = dmp.get("/fhir/DocumentReference", params=patient_query(**paging), headers=as_pro(MT_IDNAT))
    assert response.status_code == 200, response.text
    assert (response.json()["total"], response.json().get("entry", [])) == (3, [])


def test_a_search_shape_is_built_once_and_each_caller_bound_at_execution(
    dmp: TestClient, three: dict[str, str]
) -> None:
    """The statements of a search shape are kept; the patient and the caller (whose own documents pass
    the author's visibility) are bound per request, so a kept statement never answers for another."""
    search_store._search_statements.cache_clear()
    as_author = found(dmp)
    assert found(dmp) == as_author
    assert search_store._search_statements.cache_info().hits >= 1
    other = dmp.get("/fhir/DocumentReference", params=patient_query(), headers=as_pro(OTHER_IDNAT))
    assert other.status_code == 200, other.text
    assert three["prescription"] in ids(other.json())


def test_post_search_is_the_same_search(dmp: TestClient, three: dict[str, str]) -> None:
    response = dmp.post(
        "/fhir/DocumentReference/_search", data=patient_query(type="34112-3"), headers=as_pro(MT_IDNAT)
    )
    assert ids(response.json()) == [three["hospital"]]
    wrong = dmp.post("/fhir/DocumentReference/_search", json=patient_query(), headers=as_pro(MT_IDNAT))
    assert wrong.status_code == 415


def test_bad_parameters(dmp: TestClient) -> None:
    headers = as_pro(MT_IDNAT)
    assert_outcome(
        dmp.get("/fhir/DocumentReference", params=patient_query(date="yesterday"), headers=headers),
        400,
        "date",
    )
    assert_outcome(
        dmp.get("/fhir/DocumentReference", params=patient_query(status="draft"), headers=headers),
        400,
        "status",
    )
    assert_outcome(
        dmp.get("/fhir/DocumentReference", params=patient_query(_count="many"), headers=headers),
        400,
        "_count",
    )
    assert_outcome(
        dmp.get("/fhir/DocumentReference", params=patient_query(isArchived="maybe"), headers=headers),
        400,
        "isArchived",
    )


def test_visibility_labels_are_searchable(dmp: TestClient) -> None:
    labels = ((TRE_A07, "INVISIBLE_PATIENT"), (HL7_CONF, "N"))
    document = location_id(dmp.post("/fhir", json=bundle(labels=labels), headers=as_pro(MT_IDNAT)), 1)
    assert found(dmp, **{"security-label": "INVISIBLE_PATIENT"}) == [document]


def test_capability_statement_lists_every_search_parameter(dmp: TestClient) -> None:
    statement = dmp.get("/fhir/metadata").json()
    document = next(r for r in statement["rest"][0]["resource"] if r["type"] == "DocumentReference")
    names = {p["name"] for p in document["searchParam"]}
    assert {
        "patient.identifier",
        "status",
        "type",
        "category",
        "date",
        "creation",
        "period",
        "facility",
        "setting",
        "format",
        "security-label",
        "event",
        "identifier",
        "relatesto",
        "author.family",
        "isArchived",
    } <= names
    assert "author.identifier" in names
    assert {"read", "search-type", "patch", "create"} <= {i["code"] for i in document["interaction"]}


def test_find_submission_sets_since_a_date(dmp: TestClient, three: dict[str, str]) -> None:
    lists = dmp.get(
        "/fhir/List",
        params={
            **patient_query(),
            "code": "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes|submissionset",
            "date": "ge2026-11-20",
        },
        headers=as_pro(MT_IDNAT),
    ).json()
    assert lists["total"] == 3
    items = {e["resource"]["entry"][0]["item"]["reference"] for e in lists["entry"]}
    assert items == {f"DocumentReference/{d}" for d in three.values()}
    later = dmp.get(
        "/fhir/List", params={**patient_query(), "date": "ge2027-01-01"}, headers=as_pro(MT_IDNAT)
    ).json()
    assert later["total"] == 0
    folders = dmp.get(
        "/fhir/List", params={**patient_query(), "code": "folder"}, headers=as_pro(MT_IDNAT)
    ).json()
    assert folders["total"] == 0
