"""The FHIR resources the DMP serves: stored DocumentReferences, transaction responses, AuditEvents,
the TD02 Patient. Pure: built from domain facts and rows, never from a request."""

from __future__ import annotations

import copy
import json
from typing import Any

from . import codes
from .bundle import Submission
from .documents import DocumentFacts

LABEL_SYSTEMS = {code: codes.TRE_A07 for code in codes.VISIBILITY_CODES} | {
    code: codes.HL7_CONFIDENTIALITY for code in codes.CONFIDENTIALITY_LEVELS
}
DMP_FERMETURE = "https://interop.esante.gouv.fr/ig/fhir/dmp/StructureDefinition/dmp-fermeture"
DMP_MEDECIN_TRAITANT = "https://interop.esante.gouv.fr/ig/fhir/dmp/StructureDefinition/dmp-medecin-traitant"
DMP_MOTIF = "https://interop.esante.gouv.fr/ig/fhir/dmp/CodeSystem/dmp-motif-fermeture"
DCM = "http://dicom.nema.org/resources/ontology/DCM"
AUDIT_TYPE = {"system": DCM, "code": "110110", "display": "Patient Record"}


def stored_document(
    facts: DocumentFacts, *, id: str, binary_url: str, version: int, last_updated: str
) -> dict[str, Any]:
    """The DocumentReference as the DMP stores it: server id, version, entryUUID, relative retrieval URL."""
    resource = copy.deepcopy(facts.resource)
    resource["id"] = id
    resource["meta"] = {
        "versionId": str(version),
        "lastUpdated": last_updated,
        "profile": [codes.profile("PDSm_ComprehensiveDocumentReference")],
    }
    identifiers = [i for i in resource.get("identifier") or [] if i.get("value") != f"urn:uuid:{id}"]
    identifiers.append({"use": "official", "system": codes.RFC3986, "value": f"urn:uuid:{id}"})
    resource["identifier"] = identifiers
    attachment = resource["content"][0]["attachment"]
    attachment.pop("data", None)
    attachment["url"] = binary_url
    if facts.data is not None:
        attachment.setdefault("size", facts.size)
        attachment.setdefault("hash", facts.hash)
    subject = resource.setdefault("subject", {})
    subject["identifier"] = {"system": facts.patient_system, "value": facts.patient_ins}
    if facts.replaces and not facts.replaces.startswith("identifier:"):
        resource["relatesTo"][0]["target"] = {"reference": f"DocumentReference/{facts.replaces}"}
    return resource


def served(stored: str, base_url: str) -> dict[str, Any]:
    """A stored DocumentReference with its retrieval URL made absolute for this deployment (MHD ITI-67)."""
    resource: dict[str, Any] = json.loads(stored)
    attachment = resource["content"][0]["attachment"]
    if not attachment.get("url", "").startswith(("http://", "https://")):
        attachment["url"] = f"{base_url}/fhir/{attachment['url']}"
    return resource


def with_metadata(
    resource: dict[str, Any],
    *,
    status: str,
    labels: list[str],
    archived: bool,
    version: int,
    last_updated: str,
) -> dict[str, Any]:
    """A new version of a stored DocumentReference after a metadata change."""
    updated = copy.deepcopy(resource)
    updated["status"] = status
    kept = {
        (label.get("coding") or [{}])[0].get("code"): label for label in updated.get("securityLabel") or []
    }
    updated["securityLabel"] = [
        kept.get(code) or {"coding": [{"system": LABEL_SYSTEMS.get(code, codes.TRE_A07), "code": code}]}
        for code in labels
    ]
    extensions = [e for e in updated.get("extension") or [] if e.get("url") != codes.IS_ARCHIVED]
    if archived:
        extensions.append({"url": codes.IS_ARCHIVED, "valueBoolean": True})
    if extensions:
        updated["extension"] = extensions
    else:
        updated.pop("extension", None)
    updated["meta"] = {**updated.get("meta", {}), "versionId": str(version), "lastUpdated": last_updated}
    return updated


def stored_submission_set(
    plan: Submission, *, base_url: str, document_urls: dict[str, str]
) -> dict[str, Any]:
    resource = copy.deepcopy(plan.set_resource)
    resource["id"] = plan.set_id
    for item in resource.get("entry") or []:
        ref = (item.get("item") or {}).get("reference")
        if ref in document_urls:
            item["item"]["reference"] = document_urls[ref]
    return resource


def transaction_response(plan: Submission, entry_count: int, *, last_updated: str) -> dict[str, Any]:
    """One response entry per request entry, same order (MHD ITI-65 §2:3.65.4.2)."""
    responses: list[dict[str, Any] | None] = [None] * entry_count
    responses[plan.set_entry] = {"status": "201 Created", "location": f"List/{plan.set_id}/_history/1"}
    for document in plan.documents:
        responses[document.entry] = {
            "status": "201 Created",
            "location": f"DocumentReference/{document.id}/_history/1",
            "etag": 'W/"1"',
            "lastModified": last_updated,
        }
    for binary in plan.binaries:
        responses[binary.entry] = {"status": "201 Created", "location": f"Binary/{binary.id}/_history/1"}
    for patch in plan.patches:
        responses[patch.entry] = {"status": "200 OK", "location": f"DocumentReference/{patch.target_id}"}
    if plan.warnings:
        first = next(i for i, r in enumerate(responses) if r is not None)
        responses[first] = {  # type: ignore[index]
            **responses[first],  # type: ignore[dict-item]
            "outcome": {
                "resourceType": "OperationOutcome",
                "issue": [
                    {"severity": "warning", "code": "informational", "diagnostics": w} for w in plan.warnings
                ],
            },
        }
    return {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "meta": {"profile": [codes.profile("IHE.MHD.ProvideDocumentBundleResponse")]},
        "entry": [{"response": r} for r in responses],
    }


def audit_event(row: Any, *, base_url: str) -> dict[str, Any]:
    """An access or change as a FHIR AuditEvent in the IHE BALP style (who, what patient, which mode)."""
    agent: dict[str, Any] = {
        "type": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/extra-security-role-type",
                    "code": "humanuser",
                }
            ]
        },
        "who": {"identifier": {"system": codes.IDNPS, "value": row.idnat}}
        if row.idnat
        else {"display": "patient"},
        "requestor": True,
        "purposeOfUse": [
            {"coding": [{"system": codes.ACCESS_MODE_SYSTEM, "code": row.mode}], "text": row.reason or None}
        ],
    }
    if not row.reason:
        agent["purposeOfUse"][0].pop("text")
    entities: list[dict[str, Any]] = [
        {
            "what": {"identifier": {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": row.patient_ins}},
            "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "1"},
            "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1"},
        }
    ]
    for document_id in filter(None, row.documents.split(",")):
        entities.append(
            {
                "what": {"reference": f"DocumentReference/{document_id}"},
                "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2"},
                "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "3"},
            }
        )
    event: dict[str, Any] = {
        "resourceType": "AuditEvent",
        "id": row.id,
        "meta": {
            "profile": ["https://profiles.ihe.net/ITI/BALP/StructureDefinition/IHE.BasicAudit.PatientRead"]
        },
        "type": AUDIT_TYPE,
        "subtype": [{"system": "urn:ihe:event-type-code", "code": row.subtype}],
        "action": row.action,
        "recorded": row.recorded,
        "outcome": row.outcome,
        "agent": [agent],
        "source": {"site": base_url, "observer": {"display": "socle DMP"}},
        "entity": entities,
    }
    if row.client_id:
        event["agent"].append(
            {"type": {"text": "application"}, "who": {"display": row.client_id}, "requestor": False}
        )
    if row.description:
        event["outcomeDesc"] = row.description
    return event


def dmp_patient(record: Any, *, system: str, caller_idnat: str) -> dict[str, Any]:
    """TD02: the DMP as a Patient (active = open), with closure and médecin-traitant facts."""
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "id": record.ins,
        "meta": {"profile": [codes.profile("FRCorePatientProfile")]},
        "identifier": [{"use": "official", "system": system, "value": record.ins}],
        "active": record.state == "open",
        "extension": [
            {
                "url": DMP_MEDECIN_TRAITANT,
                "valueBoolean": bool(caller_idnat) and record.medecin_traitant == caller_idnat,
            }
        ],
    }
    if record.state == "closed":
        closure: list[dict[str, Any]] = [{"url": "dateFermeture", "valueDate": (record.closed_at or "")[:10]}]
        if record.close_motif:
            closure.append(
                {
                    "url": "motifFermeture",
                    "valueCodeableConcept": {"coding": [{"system": DMP_MOTIF, "code": record.close_motif}]},
                }
            )
        if record.close_reason:
            closure.append({"url": "raisonFermeture", "valueString": record.close_reason})
        patient["extension"].append({"url": DMP_FERMETURE, "extension": closure})
    return patient
