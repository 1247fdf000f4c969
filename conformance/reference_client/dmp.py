"""Feeding the DMP as a correct LPS does (dmp.md §3, §8, §9): status check (TD0.2), ITI-65 Provide
Document Bundle with the qualified INS, replacement in one transaction, masking and deletion by PATCH.

One transient failure of the DMP (5xx or a lost answer) is retried once; after a lost answer the client
first looks the document up by its uniqueId, so a retry never stores it twice. A second failure is
reported to the user.
"""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from typing import Any

import httpx

from .cda import Document
from .config import Config

NOS = "https://mos.esante.gouv.fr/NOS"
LOINC = "http://loinc.org"
TRE_A03 = f"{NOS}/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument"
TRE_A07 = f"{NOS}/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument"
TRE_A11 = f"{NOS}/TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode"
TRE_R02 = f"{NOS}/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite"
TRE_A01 = f"{NOS}/TRE_A01-CadreExercice/FHIR/TRE-A01-CadreExercice"
TRE_R209 = f"{NOS}/TRE_R209-TypeActivite/FHIR/TRE-R209-TypeActivite"
HL7_CONF = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
IDNPS = "urn:oid:1.2.250.1.71.4.2.1"
IDNST = "urn:oid:1.2.250.1.71.4.2.2"
MHD = "https://profiles.ihe.net/ITI/MHD"
RETRY_DELAY = 0.2
TIMEOUT = 30.0


class DmpUnavailable(Exception):
    """The DMP failed twice: the document was not stored, and the user is told so."""


def dmp_is_open(http: httpx.Client, cfg: Config, system: str) -> bool:
    """TD0.2: the patient's DMP exists and is open (a Patient with active true)."""
    response = http.get(f"{cfg.dmp_url}/fhir/Patient", params={"identifier": f"{system}|{cfg.patient_ins}"})
    response.raise_for_status()
    return any(
        (entry.get("resource") or {}).get("active") is True for entry in response.json().get("entry") or []
    )


def _sha1(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data).digest()).decode()


def _author(cfg: Config, id: str) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": id,
        "identifier": [{"system": IDNPS, "value": cfg.professional_idnat}],
    }


def document_reference(
    cfg: Config, system: str, document: Document, replaces: str | None, structure: str
) -> dict[str, Any]:
    created = document.created.isoformat()
    subject = {"reference": f"Patient?identifier={system}|{cfg.patient_ins}"}
    reference: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "contained": [
            _author(cfg, "author"),
            {
                "resourceType": "Patient",
                "id": "patient",
                "identifier": [{"system": system, "value": cfg.patient_ins}],
            },
        ],
        "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:oid:{document.unique_id}"},
        "status": "current",
        "type": {"coding": [{"system": LOINC, "code": document.type_code, "display": document.type_display}]},
        "category": [{"coding": [{"system": TRE_A03, "code": "10"}]}],
        "subject": subject,
        "date": created,
        "author": [{"reference": "#author"}],
        "custodian": {"identifier": {"system": IDNST, "value": structure}},
        "securityLabel": [{"coding": [{"system": HL7_CONF, "code": "N"}]}],
        "content": [
            {
                "attachment": {
                    "contentType": "text/xml",
                    "language": "fr-FR",
                    "url": "urn:uuid:binary-1",
                    "size": len(document.xml),
                    "hash": _sha1(document.xml),
                    "title": document.type_display,
                    "creation": created,
                },
                "format": {"system": TRE_A11, "code": "urn:ihe:iti:xds-sd:text:2008"},
            }
        ],
        "context": {
            "period": {"start": created},
            "facilityType": {"coding": [{"system": TRE_R02, "code": "SA07"}]},
            "practiceSetting": {"coding": [{"system": TRE_A01, "code": "AMBULATOIRE"}]},
            "sourcePatientInfo": {"reference": "#patient"},
        },
    }
    if replaces:
        reference["relatesTo"] = [
            {"code": "replaces", "target": {"reference": f"DocumentReference/{replaces}"}}
        ]
    return reference


def provide_bundle(
    cfg: Config, system: str, document: Document, *, structure: str, replaces: str | None = None
) -> dict[str, Any]:
    """ITI-65: SubmissionSet + DocumentReference + Binary (+ the PATCH superseding the replaced document)."""
    submission = {
        "resourceType": "List",
        "contained": [_author(cfg, "source")],
        "extension": [
            {
                "url": f"{MHD}/StructureDefinition/ihe-designationType",
                "valueCodeableConcept": {"coding": [{"system": TRE_R209, "code": "07"}]},
            },
            {
                "url": f"{MHD}/StructureDefinition/ihe-sourceId",
                "valueIdentifier": {"system": "urn:ietf:rfc:3986", "value": "urn:oid:1.2.250.1.999"},
            },
        ],
        "identifier": [
            {"system": "urn:ietf:rfc:3986", "value": f"urn:oid:1.2.250.1.999.2.{uuid.uuid4().int % 10**15}"}
        ],
        "status": "current",
        "mode": "working",
        "code": {"coding": [{"system": f"{MHD}/CodeSystem/MHDlistTypes", "code": "submissionset"}]},
        "subject": {"reference": f"Patient?identifier={system}|{cfg.patient_ins}"},
        "date": document.created.isoformat(),
        "source": {"reference": "#source"},
        "entry": [{"item": {"reference": "urn:uuid:doc-1"}}],
    }
    entries: list[dict[str, Any]] = [
        {"fullUrl": "urn:uuid:set-1", "resource": submission, "request": {"method": "POST", "url": "List"}},
        {
            "fullUrl": "urn:uuid:doc-1",
            "resource": document_reference(cfg, system, document, replaces, structure),
            "request": {"method": "POST", "url": "DocumentReference"},
        },
        {
            "fullUrl": "urn:uuid:binary-1",
            "resource": {
                "resourceType": "Binary",
                "contentType": "text/xml",
                "data": base64.b64encode(document.xml).decode(),
            },
            "request": {"method": "POST", "url": "Binary"},
        },
    ]
    if replaces:
        operation = [
            {"name": "type", "valueCode": "replace"},
            {"name": "path", "valueString": "DocumentReference.status"},
            {"name": "value", "valueCode": "superseded"},
        ]
        entries.append(
            {
                "resource": {
                    "resourceType": "Parameters",
                    "parameter": [{"name": "operation", "part": operation}],
                },
                "request": {"method": "PATCH", "url": f"DocumentReference/{replaces}"},
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def stored_id(http: httpx.Client, cfg: Config, unique_id: str) -> str | None:
    """The DocumentReference already stored under ``unique_id`` (ITI-67 by identifier), if any."""
    response = http.get(
        f"{cfg.dmp_url}/fhir/DocumentReference",
        params={"identifier": f"urn:ietf:rfc:3986|{unique_id}", "patient.identifier": cfg.patient_ins},
    )
    if response.status_code != 200:
        return None
    entries = [e for e in response.json().get("entry") or [] if (e.get("resource") or {}).get("id")]
    return str(entries[0]["resource"]["id"]) if entries else None


def publish(
    http: httpx.Client,
    cfg: Config,
    bundle: dict[str, Any],
    *,
    retry: bool = True,
    timeout: float = TIMEOUT,
    check_before_retry: bool = True,
) -> str:
    """POST the bundle; the id of the stored DocumentReference. Retries one transient failure; after a
    lost answer (timeout, broken connection) it first asks whether the document was stored, since the
    DMP does not refuse a second copy of the same uniqueId."""
    unique_id = bundle["entry"][1]["resource"]["masterIdentifier"]["value"]
    for attempt in range(2 if retry else 1):
        lost = False
        try:
            response = http.post(
                f"{cfg.dmp_url}/fhir",
                json=bundle,
                headers={"Content-Type": "application/fhir+json"},
                timeout=timeout,
            )
        except httpx.TransportError:
            response, lost = None, True
        if response is not None and response.status_code < 500:
            response.raise_for_status()
            for entry in response.json().get("entry") or []:
                location = (entry.get("response") or {}).get("location", "")
                if location.startswith("DocumentReference/"):
                    return location.split("/")[1]
            raise ValueError("the DMP answer names no DocumentReference")
        if lost and check_before_retry and (found := stored_id(http, cfg, unique_id)):
            return found
        if attempt == 0 and retry:
            time.sleep(RETRY_DELAY)
    raise DmpUnavailable("the DMP is unavailable: the document was not sent, try again later")


def patch(http: httpx.Client, cfg: Config, document_id: str, operations: list[dict[str, Any]]) -> None:
    response = http.patch(
        f"{cfg.dmp_url}/fhir/DocumentReference/{document_id}",
        json=operations,
        headers={"Content-Type": "application/json-patch+json"},
    )
    response.raise_for_status()


def mask(http: httpx.Client, cfg: Config, document_id: str) -> None:
    """TD3.3a: hide the document from other professionals (TRE_A07 MASQUE_PS)."""
    label = {"coding": [{"system": TRE_A07, "code": "MASQUE_PS"}]}
    patch(http, cfg, document_id, [{"op": "replace", "path": "/securityLabel/0", "value": label}])


def delete(http: httpx.Client, cfg: Config, document_id: str) -> None:
    """TD3.3c: logical deletion by its author (status entered-in-error)."""
    patch(http, cfg, document_id, [{"op": "replace", "path": "/status", "value": "entered-in-error"}])


def history(http: httpx.Client, cfg: Config, system: str) -> int:
    """The patient's DMP access history (AuditEvent), as the software shows it: how many accesses."""
    response = http.get(
        f"{cfg.dmp_url}/fhir/AuditEvent", params={"patient.identifier": f"{system}|{cfg.patient_ins}"}
    )
    response.raise_for_status()
    return int(response.json().get("total", 0))
