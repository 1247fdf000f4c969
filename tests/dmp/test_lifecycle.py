"""Publish, retrieve, replace, mask, archive and delete: the cycles a vendor's software goes through."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from tests.dmp.builders import IS_ARCHIVED, MT_IDNAT, OTHER_IDNAT, REFERENCE_INS, TRE_A07, bundle
from tests.dmp.conftest import as_pro
from tests.dmp.helpers import JSON_PATCH, assert_outcome, ids, json_patch, location_id, patient_query

THIRD_IDNAT = "810000000090"  # LAMBERT, radiologist: neither author nor médecin traitant


def publish(dmp: TestClient, author: str = OTHER_IDNAT, **kwargs: object) -> tuple[str, str]:
    response = dmp.post("/fhir", json=bundle(author=author, **kwargs), headers=as_pro(author))  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return location_id(response, 1), location_id(response, 2)


def search(dmp: TestClient, idnat: str = MT_IDNAT, **params: str) -> dict:  # type: ignore[type-arg]
    response = dmp.get("/fhir/DocumentReference", params=patient_query(**params), headers=as_pro(idnat))
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_publish_answers_one_entry_per_request_entry_in_order(dmp: TestClient) -> None:
    body = bundle()
    response = dmp.post("/fhir", json=body, headers=as_pro(MT_IDNAT))
    assert response.status_code == 200
    answer = response.json()
    assert answer["type"] == "transaction-response"
    locations = [e["response"]["location"].split("/")[0] for e in answer["entry"]]
    assert locations == ["List", "DocumentReference", "Binary"]
    assert all(e["response"]["status"].startswith("201") for e in answer["entry"])


def test_retrieve_gives_the_bytes_as_declared(dmp: TestClient) -> None:
    body = bundle()
    sent = base64.b64decode(body["entry"][2]["resource"]["data"])
    response = dmp.post("/fhir", json=body, headers=as_pro(MT_IDNAT))
    document = search(dmp)["entry"][0]["resource"]
    url = document["content"][0]["attachment"]["url"]
    assert url.endswith(f"/fhir/Binary/{location_id(response, 2)}")
    raw = dmp.get(f"/fhir/Binary/{location_id(response, 2)}", headers=as_pro(MT_IDNAT))
    assert raw.status_code == 200
    assert raw.content == sent
    assert raw.headers["content-type"].startswith("application/xml")
    assert document["content"][0]["attachment"]["size"] == len(sent)
    as_fhir = dmp.get(
        f"/fhir/Binary/{location_id(response, 2)}",
        headers={**as_pro(MT_IDNAT), "Accept": "application/fhir+json"},
    )
    assert base64.b64decode(as_fhir.json()["data"]) == sent
    refused = dmp.get(
        f"/fhir/Binary/{location_id(response, 2)}", headers={**as_pro(MT_IDNAT), "Accept": "image/png"}
    )
    assert refused.status_code == 406
    assert dmp.get("/fhir/Binary/nope", headers=as_pro(MT_IDNAT)).status_code == 404


def test_replacement_supersedes_the_old_version_in_the_same_bundle(dmp: TestClient) -> None:
    old, old_binary = publish(dmp)
    response = dmp.post("/fhir", json=bundle(author=OTHER_IDNAT, replaces=old), headers=as_pro(OTHER_IDNAT))
    assert response.status_code == 200, response.text
    assert response.json()["entry"][3]["response"]["status"].startswith("200")
    new = location_id(response, 1)
    assert ids(search(dmp)) == [new]
    assert ids(search(dmp, status="superseded")) == [old]
    assert ids(search(dmp, relatesto=f"DocumentReference/{old}")) == [new]
    gone = dmp.get(f"/fhir/Binary/{old_binary}", headers=as_pro(MT_IDNAT))
    assert gone.status_code == 410
    assert new in gone.json()["issue"][0]["diagnostics"]
    replaced = dmp.get(f"/fhir/DocumentReference/{new}", headers=as_pro(MT_IDNAT)).json()
    assert replaced["relatesTo"][0] == {
        "code": "replaces",
        "target": {"reference": f"DocumentReference/{old}"},
    }
    again = dmp.post("/fhir", json=bundle(author=OTHER_IDNAT, replaces=old), headers=as_pro(OTHER_IDNAT))
    assert_outcome(again, 409, "DocumentReference.relatesTo")


def test_replacement_without_the_patch_entry_is_refused(dmp: TestClient) -> None:
    old, _ = publish(dmp)
    body = bundle(author=OTHER_IDNAT, replaces=old)
    del body["entry"][3]
    assert_outcome(
        dmp.post("/fhir", json=body, headers=as_pro(OTHER_IDNAT)), 400, "Bundle.entry[1].resource.relatesTo"
    )
    assert ids(search(dmp)) == [old]


def test_masking_cycle(dmp: TestClient) -> None:
    doc, binary = publish(dmp)
    masked = dmp.patch(
        f"/fhir/DocumentReference/{doc}",
        json=json_patch("/securityLabel/0", {"coding": [{"system": TRE_A07, "code": "MASQUE_PS"}]}),
        headers={**as_pro(OTHER_IDNAT), **JSON_PATCH},
    )
    assert masked.status_code == 200, masked.text
    assert masked.json()["meta"]["versionId"] == "2"
    assert [label["coding"][0]["code"] for label in masked.json()["securityLabel"]] == ["MASQUE_PS", "N"]
    assert ids(search(dmp, THIRD_IDNAT)) == []
    assert_outcome(
        dmp.get(f"/fhir/Binary/{binary}", headers=as_pro(THIRD_IDNAT)), 403, "DocumentReference.securityLabel"
    )
    assert ids(search(dmp, OTHER_IDNAT)) == [doc]  # author
    assert ids(search(dmp, MT_IDNAT)) == [doc]  # médecin traitant
    emergency = {
        "X-DMP-Access-Mode": "bris_de_glace",
        "X-DMP-Access-Reason": "patient inconscient aux urgences",
    }
    found = dmp.get(
        "/fhir/DocumentReference", params=patient_query(), headers=as_pro(THIRD_IDNAT, **emergency)
    )
    assert ids(found.json()) == [doc]
    unmasked = dmp.patch(
        f"/fhir/DocumentReference/{doc}",
        json=json_patch(
            "/securityLabel/0",
            {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "N"},
        ),
        headers={**as_pro(MT_IDNAT), **JSON_PATCH},
    )
    assert [label["coding"][0]["code"] for label in unmasked.json()["securityLabel"]] == ["N"]
    assert ids(search(dmp, THIRD_IDNAT)) == [doc]


def test_archiving_cycle_by_conditional_patch(dmp: TestClient) -> None:
    body = bundle(author=OTHER_IDNAT)
    unique_id = body["entry"][1]["resource"]["masterIdentifier"]["value"]
    doc = location_id(dmp.post("/fhir", json=body, headers=as_pro(OTHER_IDNAT)), 1)
    archived = dmp.patch(
        "/fhir/DocumentReference",
        params={"identifier": f"urn:ietf:rfc:3986|{unique_id}"},
        json=json_patch(f"/extension[url:'{IS_ARCHIVED}']/valueBoolean", True),
        headers={**as_pro(MT_IDNAT), **JSON_PATCH},
    )
    assert archived.status_code == 200, archived.text
    assert archived.json()["status"] == "current"
    assert ids(search(dmp, isArchived="true")) == [doc]
    assert ids(search(dmp, isArchived="false")) == []
    dmp.patch(
        f"/fhir/DocumentReference/{doc}",
        json=json_patch("/extension/0/valueBoolean", False),
        headers={**as_pro(MT_IDNAT), **JSON_PATCH},
    )
    assert ids(search(dmp, isArchived="false")) == [doc]


def test_only_the_author_deletes_and_deleted_documents_are_gone(dmp: TestClient) -> None:
    doc, binary = publish(dmp)
    delete = json_patch("/status", "entered-in-error")
    refused = dmp.patch(
        f"/fhir/DocumentReference/{doc}", json=delete, headers={**as_pro(MT_IDNAT), **JSON_PATCH}
    )
    assert_outcome(refused, 403, "DocumentReference.status")
    deleted = dmp.patch(
        f"/fhir/DocumentReference/{doc}", json=delete, headers={**as_pro(OTHER_IDNAT), **JSON_PATCH}
    )
    assert deleted.status_code == 200, deleted.text
    assert ids(search(dmp)) == []
    assert ids(search(dmp, status="current,superseded")) == []
    assert dmp.get(f"/fhir/Binary/{binary}", headers=as_pro(OTHER_IDNAT)).status_code == 410
    assert dmp.get(f"/fhir/DocumentReference/{doc}", headers=as_pro(OTHER_IDNAT)).status_code == 410


def test_only_metadata_may_change(dmp: TestClient) -> None:
    doc, _ = publish(dmp)
    headers = {**as_pro(OTHER_IDNAT), **JSON_PATCH}
    other = dmp.patch(
        f"/fhir/DocumentReference/{doc}", json=json_patch("/type/coding/0/code", "34112-3"), headers=headers
    )
    assert_outcome(other, 405, "/type")
    assert dmp.put(f"/fhir/DocumentReference/{doc}", json={}, headers=as_pro(OTHER_IDNAT)).status_code == 405
    assert dmp.delete(f"/fhir/DocumentReference/{doc}", headers=as_pro(OTHER_IDNAT)).status_code == 405
    superseded = dmp.patch(
        f"/fhir/DocumentReference/{doc}", json=json_patch("/status", "superseded"), headers=headers
    )
    assert_outcome(superseded, 422, "DocumentReference.status")
    xml = dmp.patch(
        f"/fhir/DocumentReference/{doc}",
        content=b"<diff/>",
        headers={**as_pro(OTHER_IDNAT), "Content-Type": "application/xml-patch+xml"},
    )
    assert xml.status_code == 415


def test_fhirpath_patch_masks_too(dmp: TestClient) -> None:
    doc, _ = publish(dmp)
    parameters = {
        "resourceType": "Parameters",
        "parameter": [
            {
                "name": "operation",
                "part": [
                    {"name": "type", "valueCode": "add"},
                    {"name": "path", "valueString": "DocumentReference"},
                    {"name": "name", "valueString": "securityLabel"},
                    {
                        "name": "value",
                        "valueCodeableConcept": {
                            "coding": [{"system": TRE_A07, "code": "INVISIBLE_PATIENT"}]
                        },
                    },
                ],
            }
        ],
    }
    response = dmp.patch(
        f"/fhir/DocumentReference/{doc}",
        json=parameters,
        headers={**as_pro(OTHER_IDNAT), "Content-Type": "application/fhir+json"},
    )
    assert response.status_code == 200, response.text
    patient_side = dmp.get("/fhir/DocumentReference", params=patient_query())
    assert ids(patient_side.json()) == []
    assert ids(search(dmp, THIRD_IDNAT)) == [doc]


def test_simplified_publish(dmp: TestClient) -> None:
    from tests.dmp.builders import cda, document_reference

    data = cda(REFERENCE_INS, author=OTHER_IDNAT)
    resource = document_reference(REFERENCE_INS, data, author=OTHER_IDNAT)
    attachment = resource["content"][0]["attachment"]
    del attachment["url"]
    attachment["data"] = base64.b64encode(data).decode()
    response = dmp.post("/fhir/DocumentReference", json=resource, headers=as_pro(OTHER_IDNAT))
    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"].startswith(f"DocumentReference/{created['id']}")
    assert "data" not in created["content"][0]["attachment"]
    assert ids(search(dmp)) == [created["id"]]
    retrieved = dmp.get(
        created["content"][0]["attachment"]["url"].split("8080", 1)[-1], headers=as_pro(MT_IDNAT)
    )
    assert retrieved.content == data


def test_simplified_publish_replacement_deprecates_the_target(dmp: TestClient) -> None:
    from tests.dmp.builders import cda, document_reference

    old, _ = publish(dmp)
    data = cda(REFERENCE_INS, author=OTHER_IDNAT)
    resource = document_reference(REFERENCE_INS, data, author=OTHER_IDNAT)
    attachment = resource["content"][0]["attachment"]
    del attachment["url"]
    attachment["data"] = base64.b64encode(data).decode()
    resource["relatesTo"] = [{"code": "replaces", "target": {"reference": f"DocumentReference/{old}"}}]
    response = dmp.post("/fhir/DocumentReference", json=resource, headers=as_pro(OTHER_IDNAT))
    assert response.status_code == 201, response.text
    assert ids(search(dmp)) == [response.json()["id"]]
    assert ids(search(dmp, status="superseded")) == [old]


def test_the_patient_may_mask_but_not_hide_a_document_from_themselves(dmp: TestClient) -> None:
    doc, _ = publish(dmp)
    mask = json_patch("/securityLabel/0", {"system": TRE_A07, "code": "MASQUE_PS"})
    assert dmp.patch(f"/fhir/DocumentReference/{doc}", json=mask, headers=JSON_PATCH).status_code == 200
    assert ids(search(dmp, THIRD_IDNAT)) == []
    hide = json_patch("/securityLabel/0", {"system": TRE_A07, "code": "INVISIBLE_PATIENT"})
    refused = dmp.patch(f"/fhir/DocumentReference/{doc}", json=hide, headers=JSON_PATCH)
    assert_outcome(refused, 403, "DocumentReference.securityLabel")
    delete = dmp.patch(
        f"/fhir/DocumentReference/{doc}", json=json_patch("/status", "entered-in-error"), headers=JSON_PATCH
    )
    assert_outcome(delete, 403, "DocumentReference.status")


def test_a_masked_document_id_does_not_leak_through_lists_or_history(dmp: TestClient) -> None:
    doc, _ = publish(
        dmp,
        labels=((TRE_A07, "MASQUE_PS"), ("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "N")),
    )
    lists = dmp.get("/fhir/List", params=patient_query(), headers=as_pro(THIRD_IDNAT)).json()
    assert doc not in str(lists)
    history = dmp.get(
        "/fhir/AuditEvent", params={"patient": REFERENCE_INS}, headers=as_pro(THIRD_IDNAT)
    ).json()
    assert doc not in str(history)
    own = dmp.get("/fhir/List", params=patient_query(), headers=as_pro(OTHER_IDNAT)).json()
    assert doc in str(own)
