"""How DMP resources and traffic filters are read for the pages (pure functions, no server)."""

from __future__ import annotations

from services.console.records import access_row, document_row, is_text, patient_identifier
from services.console.timeline import PAGE_SIZE, TimelineQuery

DOCUMENT = {
    "resourceType": "DocumentReference",
    "id": "d2",
    "meta": {"versionId": "3"},
    "status": "current",
    "contained": [
        {
            "resourceType": "Practitioner",
            "id": "a1",
            "name": [{"family": "MARTIN-SOCLE", "given": ["JULIE"], "prefix": ["DR"]}],
        },
        {"resourceType": "PractitionerRole", "id": "r1", "practitioner": {"reference": "#a1"}},
    ],
    "author": [{"reference": "#r1"}],
    "type": {
        "coding": [{"system": "http://loinc.org", "code": "11488-4", "display": "Note de consultation"}]
    },
    "category": [{"coding": [{"code": "10", "display": "Compte rendu"}]}],
    "date": "2026-11-20T10:00:00+01:00",
    "securityLabel": [{"coding": [{"code": "N"}]}, {"coding": [{"code": "MASQUE_PS"}]}],
    "relatesTo": [{"code": "replaces", "target": {"reference": "DocumentReference/d1"}}],
    "extension": [
        {
            "url": "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-archived",
            "valueBoolean": True,
        }
    ],
    "content": [
        {"attachment": {"contentType": "text/xml", "url": "http://x/dmp/fhir/Binary/b2", "title": "CR"}}
    ],
}


def test_a_document_row_reads_author_visibility_versions_and_archiving() -> None:
    row = document_row(DOCUMENT)
    assert row.author == "DR JULIE MARTIN-SOCLE"
    assert row.type == "Note de consultation" and row.category == "Compte rendu"
    assert row.visibility == ["normal", "masqué aux professionnels"]
    assert (row.version, row.replaces, row.archived) == ("3", "d1", True)
    assert row.title == "CR" and row.url.endswith("/Binary/b2")


def test_a_bare_document_still_makes_a_row() -> None:
    row = document_row({"resourceType": "DocumentReference", "id": "x", "author": [{"display": "Dr X"}]})
    assert (row.id, row.author, row.visibility, row.archived, row.replaces) == ("x", "Dr X", [], False, "")


def test_an_audit_event_names_the_professional_and_the_software() -> None:
    event = {
        "action": "R",
        "recorded": "2026-11-25T10:00:00Z",
        "outcome": "0",
        "subtype": [{"code": "ITI-67"}],
        "agent": [
            {
                "who": {"identifier": {"value": "810000000018"}},
                "requestor": True,
                "purposeOfUse": [{"coding": [{"code": "normal"}]}],
            },
            {"who": {"display": "socle-demo"}, "requestor": False},
        ],
        "entity": [
            {"what": {"identifier": {"value": "297022A02077878"}}},
            {"what": {"reference": "DocumentReference/d2"}},
        ],
    }
    row = access_row(event)
    assert (row.action, row.who, row.client, row.mode, row.subtype) == (
        "lecture",
        "810000000018",
        "socle-demo",
        "normal",
        "ITI-67",
    )
    assert row.documents == ["d2"]


def test_patient_identifier_and_inline_content_types() -> None:
    assert (
        patient_identifier("1.2.250.1.213.1.4.8", "297022A02077878")
        == "urn:oid:1.2.250.1.213.1.4.8|297022A02077878"
    )
    assert (
        is_text("text/xml; charset=utf-8")
        and is_text("application/fhir+json")
        and not is_text("application/pdf")
    )


def test_timeline_query_keeps_known_filters_and_pages_newest_first() -> None:
    query = TimelineQuery.from_params(
        {"service": "dmp", "status": "abc", "bogus": "1", "run": " r1 ", "page": "3"}
    )
    assert query.filters == {"service": "dmp", "run": "r1"}
    params = query.api_params()
    assert params["order"] == "desc" and params["offset"] == 2 * PAGE_SIZE and params["bodies"] == "false"
    assert query.link(4) == "/traffic?service=dmp&run=r1&page=4"
    assert TimelineQuery.from_params({"page": "0"}).page == 1
    assert query.pages(PAGE_SIZE + 1) == 2 and query.pages(0) == 1


def test_bare_codes_read_with_their_ans_labels() -> None:
    row = document_row(
        {"type": {"coding": [{"code": "11488-4"}]}, "category": [{"coding": [{"code": "10"}]}], "id": "z"}
    )
    assert row.category == "Compte rendu"
    assert row.type and row.type != "11488-4"
