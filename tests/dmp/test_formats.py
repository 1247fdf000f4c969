"""FHIR XML in and out (MHD: the Recipient and Responder accept and produce both), safely parsed."""

from __future__ import annotations

from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle
from lxml import etree

from tests.dmp.builders import MT_IDNAT, bundle
from tests.dmp.conftest import as_pro
from tests.dmp.helpers import assert_outcome, patient_query

FHIR = "{http://hl7.org/fhir}"


def test_bundle_in_xml_search_answer_in_xml(dmp: TestClient) -> None:
    xml = Bundle.model_validate(bundle()).model_dump_xml()
    response = dmp.post(
        "/fhir", content=xml, headers={**as_pro(MT_IDNAT), "Content-Type": "application/fhir+xml"}
    )
    assert response.status_code == 200, response.text
    answer = dmp.get(
        "/fhir/DocumentReference",
        params=patient_query(),
        headers={**as_pro(MT_IDNAT), "Accept": "application/fhir+xml"},
    )
    assert answer.headers["content-type"].startswith("application/fhir+xml")
    root = etree.fromstring(answer.content)
    assert root.tag == f"{FHIR}Bundle"
    assert root.find(f"{FHIR}total").get("value") == "1"
    assert root.find(f"{FHIR}entry/{FHIR}resource/{FHIR}DocumentReference") is not None


def test_invalid_xml_bodies_are_refused(dmp: TestClient) -> None:
    headers = {**as_pro(MT_IDNAT), "Content-Type": "application/fhir+xml"}
    xxe = b'<?xml version="1.0"?><!DOCTYPE Bundle [<!ENTITY x SYSTEM "file:///etc/passwd">]><Bundle xmlns="http://hl7.org/fhir">&x;</Bundle>'
    assert dmp.post("/fhir", content=xxe, headers=headers).status_code == 400
    assert dmp.post("/fhir", content=b"<Bundle>no namespace</Bundle>", headers=headers).status_code == 400
    invalid = b'<Bundle xmlns="http://hl7.org/fhir"><type value="transaction"/><entry><fullUrl value="x"/><bogus/></entry></Bundle>'
    assert_outcome(dmp.post("/fhir", content=invalid, headers=headers), 400, "Bundle")
