"""DMP administration (create, close, reopen, opposition, blocks, médecin traitant), the TD02 status
read before feeding, and the access history as AuditEvents."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.dmp.builders import MT_IDNAT, OTHER_IDNAT, REFERENCE_INS, bundle
from tests.dmp.conftest import as_pro
from tests.dmp.helpers import assert_outcome, patient_query

DE_VINCI = "114026322010112"  # qualified, no DMP yet
NIR = "urn:oid:1.2.250.1.213.1.4.8"
THIRD_IDNAT = "810000000090"


def parameters(**values: Any) -> dict[str, Any]:
    def one(name: str, value: Any) -> dict[str, Any]:
        kind = (
            "valueBoolean"
            if isinstance(value, bool)
            else "valueString"
            if name in ("idnat", "reason")
            else "valueCode"
        )
        return {"name": name, kind: value}

    return {"resourceType": "Parameters", "parameter": [one(k, v) for k, v in values.items()]}


def td02(dmp: TestClient, ins: str, idnat: str = MT_IDNAT) -> list[dict[str, Any]]:
    response = dmp.get("/fhir/Patient", params={"identifier": f"{NIR}|{ins}"}, headers=as_pro(idnat))
    assert response.status_code == 200, response.text
    return [e["resource"] for e in response.json()["entry"]]


def operation(dmp: TestClient, ins: str, name: str, caller: str = MT_IDNAT, **values: Any):  # type: ignore[no-untyped-def]
    body = parameters(**values) if values else None
    return dmp.post(f"/fhir/Patient/{ins}/${name}", json=body, headers=as_pro(caller))


def test_td02_tells_whether_the_dmp_is_open_and_who_is_medecin_traitant(dmp: TestClient) -> None:
    [patient] = td02(dmp, REFERENCE_INS)
    assert patient["active"] is True
    assert patient["extension"][0]["valueBoolean"] is True  # the caller is the médecin traitant
    [patient] = td02(dmp, REFERENCE_INS, OTHER_IDNAT)
    assert patient["extension"][0]["valueBoolean"] is False
    assert td02(dmp, DE_VINCI) == []


def test_create_close_reopen_cycle(dmp: TestClient) -> None:
    assert operation(dmp, DE_VINCI, "create-dmp").status_code == 200
    assert td02(dmp, DE_VINCI)[0]["active"] is True
    assert dmp.post("/fhir", json=bundle(DE_VINCI), headers=as_pro(MT_IDNAT)).status_code == 200
    assert operation(dmp, DE_VINCI, "create-dmp").status_code == 409
    closed = operation(dmp, DE_VINCI, "close-dmp", motif="patient-demande", reason="déménagement")
    assert closed.status_code == 200, closed.text
    [patient] = td02(dmp, DE_VINCI)
    assert patient["active"] is False
    closure = next(e for e in patient["extension"] if e["url"].endswith("dmp-fermeture"))
    assert {"url": "raisonFermeture", "valueString": "déménagement"} in closure["extension"]
    assert dmp.post("/fhir", json=bundle(DE_VINCI), headers=as_pro(MT_IDNAT)).status_code == 403
    assert operation(dmp, DE_VINCI, "reopen-dmp").status_code == 200
    assert (
        dmp.get("/fhir/DocumentReference", params=patient_query(DE_VINCI), headers=as_pro(MT_IDNAT)).json()[
            "total"
        ]
        == 1
    )


def test_bad_close_motif_and_unknown_operation(dmp: TestClient) -> None:
    assert_outcome(
        operation(dmp, REFERENCE_INS, "close-dmp", motif="caprice"), 400, "Parameters.parameter:motif"
    )
    assert operation(dmp, REFERENCE_INS, "explode").status_code == 404


def test_opposition_block_and_medecin_traitant(dmp: TestClient) -> None:
    assert operation(dmp, REFERENCE_INS, "opposition", opposition=True).status_code == 200
    assert (
        dmp.get("/fhir/DocumentReference", params=patient_query(), headers=as_pro(THIRD_IDNAT)).status_code
        == 403
    )
    assert operation(dmp, REFERENCE_INS, "opposition", opposition=False).status_code == 200
    blocked = operation(dmp, REFERENCE_INS, "block", idnat=THIRD_IDNAT)
    assert {
        "name": "blocked",
        "valueIdentifier": {"system": "urn:oid:1.2.250.1.71.4.2.1", "value": THIRD_IDNAT},
    } in blocked.json()["parameter"]
    assert (
        dmp.get("/fhir/DocumentReference", params=patient_query(), headers=as_pro(THIRD_IDNAT)).status_code
        == 403
    )
    assert operation(dmp, REFERENCE_INS, "unblock", idnat=THIRD_IDNAT).status_code == 200
    assert (
        dmp.get("/fhir/DocumentReference", params=patient_query(), headers=as_pro(THIRD_IDNAT)).status_code
        == 200
    )
    assert_outcome(operation(dmp, REFERENCE_INS, "block", idnat="8123"), 400, "Parameters.parameter:idnat")
    assert operation(dmp, REFERENCE_INS, "medecin-traitant", idnat=THIRD_IDNAT).status_code == 200
    assert td02(dmp, REFERENCE_INS, THIRD_IDNAT)[0]["extension"][0]["valueBoolean"] is True
    status = dmp.get(f"/fhir/Patient/{REFERENCE_INS}/$dmp-status", headers=as_pro(MT_IDNAT)).json()
    assert {"name": "state", "valueCode": "open"} in status["parameter"]


def test_access_history_records_accesses_refusals_and_first_access(dmp: TestClient) -> None:
    dmp.post("/fhir", json=bundle(), headers=as_pro(MT_IDNAT))
    dmp.get("/fhir/DocumentReference", params=patient_query(), headers=as_pro(THIRD_IDNAT))
    dmp.get("/fhir/DocumentReference", params=patient_query(), headers=as_pro(THIRD_IDNAT))
    operation(dmp, REFERENCE_INS, "block", idnat=OTHER_IDNAT)
    dmp.get("/fhir/DocumentReference", params=patient_query(), headers=as_pro(OTHER_IDNAT))
    history = dmp.get("/fhir/AuditEvent", params={"patient.identifier": f"{NIR}|{REFERENCE_INS}"}).json()
    events = [e["resource"] for e in history["entry"]]
    who = [
        (e["subtype"][0]["code"], e["agent"][0]["who"].get("identifier", {}).get("value"), e["outcome"])
        for e in events
    ]
    assert ("ITI-65", MT_IDNAT, "0") in who
    assert who.count(("ITI-67", THIRD_IDNAT, "0")) == 2
    assert who.count(("first-access-notification", THIRD_IDNAT, "0")) == 1
    assert ("ITI-67", OTHER_IDNAT, "4") in who
    assert history["total"] == len(events)


def test_sim_reset_clears_documents_and_restores_the_fixed_state(dmp: TestClient) -> None:
    dmp.post("/fhir", json=bundle(), headers=as_pro(MT_IDNAT))
    operation(dmp, REFERENCE_INS, "opposition", opposition=True)
    assert dmp.post("/_sim/reset", json={"services": ["dmp"]}).status_code == 200
    response = dmp.get("/fhir/DocumentReference", params=patient_query(), headers=as_pro(MT_IDNAT))
    assert response.status_code == 200
    assert response.json()["total"] == 0
