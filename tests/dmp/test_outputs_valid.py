"""What the DMP serves is valid FHIR R4 (checked with fhir.resources): searchsets of DocumentReference,
List and AuditEvent, the transaction-response, the TD02 Patient, Parameters, the CapabilityStatement."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.parameters import Parameters

from services.kernel.fhir import parse_resource
from tests.dmp.builders import MT_IDNAT, REFERENCE_INS, bundle
from tests.dmp.conftest import as_pro
from tests.dmp.helpers import patient_query

NIR = "urn:oid:1.2.250.1.213.1.4.8"


def valid_bundle(data: dict[str, Any]) -> Bundle:
    """A Bundle whose every entry resource is itself valid (fhir.resources does not descend into them)."""
    parsed = Bundle.model_validate(data)
    for entry in data.get("entry", []):
        if "resource" in entry:
            parse_resource(entry["resource"])
    return parsed


def test_served_resources_are_valid_fhir(dmp: TestClient) -> None:
    headers = as_pro(MT_IDNAT)
    answer = dmp.post("/fhir", json=bundle(), headers=headers).json()
    assert valid_bundle(answer).type == "transaction-response"
    assert (
        valid_bundle(dmp.get("/fhir/DocumentReference", params=patient_query(), headers=headers).json()).total
        == 1
    )
    assert valid_bundle(dmp.get("/fhir/List", params=patient_query(), headers=headers).json()).total == 1
    assert valid_bundle(
        dmp.get("/fhir/AuditEvent", params={"patient": REFERENCE_INS}, headers=headers).json()
    ).total
    assert (
        valid_bundle(
            dmp.get("/fhir/Patient", params={"identifier": f"{NIR}|{REFERENCE_INS}"}, headers=headers).json()
        ).total
        == 1
    )
    Parameters.model_validate(dmp.get(f"/fhir/Patient/{REFERENCE_INS}/$dmp-status", headers=headers).json())
    CapabilityStatement.model_validate(dmp.get("/fhir/metadata").json())
