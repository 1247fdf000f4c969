"""Every kind of bad submission is refused with an OperationOutcome naming the element, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.dmp.builders import (
    DELETE,
    MT_IDNAT,
    OTHER_IDNAT,
    REFERENCE_INS,
    bundle,
    cda,
    mutated,
)
from tests.dmp.conftest import as_pro
from tests.dmp.helpers import assert_outcome, patient_query

DOC = "entry.1.resource"
DOC_PATH = "Bundle.entry[1].resource"
PROV_INS = "185056311320278"  # PROVISOIRE-SOCLE JEAN: provisional identity, test NIR OID
UNKNOWN_TO_INS = "279035121529976"  # valid shape, not in the INS base

CASES: list[tuple[str, dict[str, Any], int, str]] = [
    (
        "structure: unknown status code",
        mutated(bundle(), f"{DOC}.status", "bogus"),
        400,
        f"{DOC_PATH}.status",
    ),
    (
        "profile: submitted as superseded",
        mutated(bundle(), f"{DOC}.status", "superseded"),
        400,
        f"{DOC_PATH}.status",
    ),
    ("unknown type code (J66)", bundle(type_code="99999-9"), 400, f"{DOC_PATH}.type"),
    ("class does not match type (ASS_X16)", bundle(class_code="11"), 400, f"{DOC_PATH}.category[0]"),
    (
        "unknown facility code (J61)",
        mutated(bundle(), f"{DOC}.context.facilityType.coding.0.code", "SA99"),
        400,
        f"{DOC_PATH}.context.facilityType",
    ),
    (
        "unknown confidentiality code (J58)",
        bundle(labels=(("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "X"),)),
        400,
        f"{DOC_PATH}.securityLabel[0]",
    ),
    (
        "missing masterIdentifier",
        mutated(bundle(), f"{DOC}.masterIdentifier", DELETE),
        400,
        f"{DOC_PATH}.masterIdentifier",
    ),
    (
        "missing attachment language",
        mutated(bundle(), f"{DOC}.content.0.attachment.language", DELETE),
        400,
        f"{DOC_PATH}.content[0].attachment.language",
    ),
    (
        "missing format",
        mutated(bundle(), f"{DOC}.content.0.format", DELETE),
        400,
        f"{DOC_PATH}.content[0].format",
    ),
    (
        "missing service start",
        mutated(bundle(), f"{DOC}.context.period", DELETE),
        400,
        f"{DOC_PATH}.context.period.start",
    ),
    (
        "dangling Binary reference",
        mutated(bundle(), f"{DOC}.content.0.attachment.url", "urn:uuid:missing"),
        400,
        f"{DOC_PATH}.content[0].attachment.url",
    ),
    (
        "dangling author reference",
        mutated(bundle(), f"{DOC}.author.0.reference", "#ghost"),
        400,
        f"{DOC_PATH}.author[0]",
    ),
    (
        "dangling submission-set item",
        mutated(bundle(), "entry.0.resource.entry.0.item.reference", "urn:uuid:ghost"),
        400,
        "Bundle.entry[0].resource.entry[0].item",
    ),
    (
        "wrong hash",
        mutated(bundle(), f"{DOC}.content.0.attachment.hash", "AAAAAAAAAAAAAAAAAAAAAAAAAAA="),
        400,
        f"{DOC_PATH}.content[0].attachment.hash",
    ),
    (
        "wrong size",
        mutated(bundle(), f"{DOC}.content.0.attachment.size", 3),
        400,
        f"{DOC_PATH}.content[0].attachment.size",
    ),
    (
        "unsupported format",
        bundle(content_type="application/x-msdownload"),
        400,
        f"{DOC_PATH}.content[0].attachment.contentType",
    ),
    ("subject not an INS system", bundle(system="urn:oid:1.2.3.4"), 400, f"{DOC_PATH}.subject"),
    ("INS key wrong", bundle(ins="297022A02077800"), 400, f"{DOC_PATH}.subject"),
    (
        "INS not qualified (PROV)",
        bundle(ins=PROV_INS, system="urn:oid:1.2.250.1.213.1.4.10"),
        422,
        "Bundle.entry[0].resource.subject",
    ),
    ("INS unknown to INS", bundle(ins=UNKNOWN_TO_INS), 422, "Bundle.entry[0].resource.subject"),
    ("CDA patient differs", bundle(data=cda("275126322074974")), 400, f"{DOC_PATH}.subject"),
    ("CDA type differs", bundle(data=cda(REFERENCE_INS, type_code="34112-3")), 400, f"{DOC_PATH}.type"),
    ("CDA author differs", bundle(data=cda(REFERENCE_INS, author=OTHER_IDNAT)), 400, f"{DOC_PATH}.author"),
    (
        "XML entity bomb in the CDA",
        bundle(
            data=b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><a>&b;</a>'
        ),
        400,
        f"{DOC_PATH}.content[0].attachment",
    ),
    ("not a transaction", mutated(bundle(), "type", "batch"), 400, "Bundle.type"),
    ("no submission set", mutated(bundle(), "entry.0", DELETE), 400, "Bundle.entry"),
    (
        "folder not supported",
        mutated(bundle(), "entry.0.resource.code.coding.0.code", "folder"),
        400,
        "Bundle.entry",
    ),
]


@pytest.mark.parametrize(("name", "body", "status", "expression"), CASES, ids=[c[0] for c in CASES])
def test_bad_submission_is_refused_and_nothing_stored(
    dmp: TestClient, name: str, body: dict[str, Any], status: int, expression: str
) -> None:
    response = dmp.post("/fhir", json=body, headers=as_pro(MT_IDNAT))
    assert_outcome(response, status, expression)
    for ins in {REFERENCE_INS, "275126322074974"}:
        found = dmp.get("/fhir/DocumentReference", params=patient_query(ins), headers=as_pro(MT_IDNAT))
        assert found.json()["total"] == 0


def test_every_error_of_a_bundle_is_named_at_once(dmp: TestClient) -> None:
    body = mutated(bundle(type_code="99999-9"), f"{DOC}.masterIdentifier", DELETE)
    response = dmp.post("/fhir", json=body, headers=as_pro(MT_IDNAT))
    assert_outcome(response, 400, f"{DOC_PATH}.type")
    assert_outcome(response, 400, f"{DOC_PATH}.masterIdentifier")


def test_same_unique_id_twice_is_refused(dmp: TestClient) -> None:
    body = bundle()
    assert dmp.post("/fhir", json=body, headers=as_pro(MT_IDNAT)).status_code == 200
    again = mutated(body, "entry.0.resource.identifier.0.value", "urn:oid:1.2.250.1.999.2.1")
    assert_outcome(
        dmp.post("/fhir", json=again, headers=as_pro(MT_IDNAT)), 422, f"{DOC_PATH}.masterIdentifier"
    )
    assert (
        dmp.get("/fhir/DocumentReference", params=patient_query(), headers=as_pro(MT_IDNAT)).json()["total"]
        == 1
    )


def test_wrong_media_type_and_not_json(dmp: TestClient) -> None:
    response = dmp.post(
        "/fhir", content=b"Bundle", headers={**as_pro(MT_IDNAT), "Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    response = dmp.post(
        "/fhir", content=b"{not json", headers={**as_pro(MT_IDNAT), "Content-Type": "application/fhir+json"}
    )
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"


def test_simplified_publish_bad_input(dmp: TestClient) -> None:
    import base64

    from tests.dmp.builders import cda, document_reference

    data = cda(REFERENCE_INS)
    good = document_reference(REFERENCE_INS, data)
    del good["content"][0]["attachment"]["url"]
    good["content"][0]["attachment"]["data"] = base64.b64encode(data).decode()
    cases = [
        (
            mutated(good, "content.0.attachment.data", "not base64!"),
            "DocumentReference.content[0].attachment.data",
        ),
        (mutated(good, "status", "bogus"), "DocumentReference.status"),
        (mutated(good, "content.0.attachment.size", 1), "DocumentReference.content[0].attachment.size"),
        (
            mutated(good, "content.0.attachment.url", "urn:uuid:x"),
            "DocumentReference.content[0].attachment.url",
        ),
    ]
    for body, expression in cases:
        assert_outcome(
            dmp.post("/fhir/DocumentReference", json=body, headers=as_pro(MT_IDNAT)), 400, expression
        )
    found = dmp.get("/fhir/DocumentReference", params=patient_query(), headers=as_pro(MT_IDNAT))
    assert found.json()["total"] == 0
