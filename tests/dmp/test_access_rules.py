"""Each DMP access rule, shown by its refusal (and by what still works next to it)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.dmp.builders import INS_NIR, MT_IDNAT, OTHER_IDNAT, REFERENCE_INS, bundle
from tests.dmp.conftest import as_pro
from tests.dmp.helpers import assert_outcome, patient_query

NO_DMP = "160012B02077713"  # ADRTROIS TOUSSAINT
CLOSED = "180032B02040123"  # CORSE ANTHONY
OPPOSED = "236066322083656"  # TCHITCHI CATARINA BELLA
BLOCKS_DUROC = "109076322083489"  # ECETINSI: blocked the cardiologist (OTHER_IDNAT)
PROV_TEST = ("185056311320278", "urn:oid:1.2.250.1.213.1.4.10")
PHARMACIST = "810000000033"


def search(dmp: TestClient, ins: str, idnat: str = MT_IDNAT, **headers: str):  # type: ignore[no-untyped-def]
    return dmp.get("/fhir/DocumentReference", params=patient_query(ins), headers=as_pro(idnat, **headers))


def test_a_token_is_required(dmp: TestClient) -> None:
    response = dmp.post("/fhir", json=bundle())
    assert response.status_code == 401


def test_no_dmp(dmp: TestClient) -> None:
    assert_outcome(search(dmp, NO_DMP), 404, "patient.identifier")
    assert_outcome(
        dmp.post("/fhir", json=bundle(NO_DMP), headers=as_pro(MT_IDNAT)),
        404,
        "Bundle.entry[0].resource.subject",
    )


def test_closed_dmp(dmp: TestClient) -> None:
    assert_outcome(search(dmp, CLOSED), 403, "patient.identifier")
    assert_outcome(
        dmp.post("/fhir", json=bundle(CLOSED), headers=as_pro(MT_IDNAT)),
        403,
        "Bundle.entry[0].resource.subject",
    )


def test_opposition_refuses_reading_in_every_mode_but_not_feeding(dmp: TestClient) -> None:
    assert_outcome(search(dmp, OPPOSED), 403, "patient.identifier")
    emergency = {"X-DMP-Access-Mode": "bris_de_glace", "X-DMP-Access-Reason": "urgence vitale"}
    assert_outcome(search(dmp, OPPOSED, **emergency), 403, "patient.identifier")
    assert_outcome(search(dmp, OPPOSED, **{"X-DMP-Access-Mode": "centre_15"}), 403, "patient.identifier")
    assert dmp.post("/fhir", json=bundle(OPPOSED), headers=as_pro(MT_IDNAT)).status_code == 200


def test_blocked_professional(dmp: TestClient) -> None:
    assert search(dmp, BLOCKS_DUROC, MT_IDNAT).status_code == 200
    assert_outcome(search(dmp, BLOCKS_DUROC, OTHER_IDNAT), 403, "patient.identifier")
    emergency = {"X-DMP-Access-Mode": "bris_de_glace", "X-DMP-Access-Reason": "urgence"}
    assert_outcome(search(dmp, BLOCKS_DUROC, OTHER_IDNAT, **emergency), 403, "patient.identifier")
    refused = dmp.post("/fhir", json=bundle(BLOCKS_DUROC, author=OTHER_IDNAT), headers=as_pro(OTHER_IDNAT))
    assert_outcome(refused, 403, "Bundle.entry[0].resource.subject")


def test_identity_must_be_qualified_to_read(dmp: TestClient) -> None:
    ins, system = PROV_TEST
    response = dmp.get("/fhir/DocumentReference", params=patient_query(ins, system), headers=as_pro(MT_IDNAT))
    assert_outcome(response, 422, "patient.identifier")


def test_access_modes(dmp: TestClient) -> None:
    assert_outcome(search(dmp, REFERENCE_INS, **{"X-DMP-Access-Mode": "vip"}), 400, "X-DMP-Access-Mode")
    assert_outcome(
        search(dmp, REFERENCE_INS, **{"X-DMP-Access-Mode": "bris_de_glace"}), 400, "patient.identifier"
    )
    assert_outcome(
        search(dmp, REFERENCE_INS, PHARMACIST, **{"X-DMP-Access-Mode": "centre_15"}),
        403,
        "patient.identifier",
    )
    assert search(dmp, REFERENCE_INS, OTHER_IDNAT, **{"X-DMP-Access-Mode": "centre_15"}).status_code == 200


def test_search_needs_patient_and_status(dmp: TestClient) -> None:
    no_status = dmp.get(
        "/fhir/DocumentReference",
        params={"patient.identifier": f"{INS_NIR}|{REFERENCE_INS}"},
        headers=as_pro(MT_IDNAT),
    )
    assert_outcome(no_status, 400, "status")
    no_patient = dmp.get("/fhir/DocumentReference", params={"status": "current"}, headers=as_pro(MT_IDNAT))
    assert_outcome(no_patient, 400, "patient.identifier")
    wrong_system = dmp.get(
        "/fhir/DocumentReference",
        params={"patient.identifier": f"urn:oid:1.2.3|{REFERENCE_INS}", "status": "current"},
        headers=as_pro(MT_IDNAT),
    )
    assert_outcome(wrong_system, 400, "patient.identifier")


def test_patient_side_cannot_state_an_access_mode(dmp: TestClient) -> None:
    response = dmp.get(
        "/fhir/DocumentReference", params=patient_query(), headers={"X-DMP-Access-Mode": "bris_de_glace"}
    )
    assert_outcome(response, 400, "patient.identifier")
    assert dmp.get("/fhir/DocumentReference", params=patient_query()).status_code == 200
