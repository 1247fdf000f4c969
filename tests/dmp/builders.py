"""Valid PDSm / DMP submissions for tests, built from parts so each test breaks exactly one thing."""

from __future__ import annotations

import base64
import copy
import hashlib
import uuid
from typing import Any

INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"
NOS = "https://mos.esante.gouv.fr/NOS"
LOINC = "http://loinc.org"
TRE_A03 = f"{NOS}/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument"
TRE_A07 = f"{NOS}/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument"
HL7_CONF = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
TRE_A11 = f"{NOS}/TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode"
TRE_R02 = f"{NOS}/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite"
TRE_A01 = f"{NOS}/TRE_A01-CadreExercice/FHIR/TRE-A01-CadreExercice"
TRE_R209 = f"{NOS}/TRE_R209-TypeActivite/FHIR/TRE-R209-TypeActivite"
IDNPS = "urn:oid:1.2.250.1.71.4.2.1"
IS_ARCHIVED = "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-archived"

REFERENCE_INS = "297022A02077878"
"""ADRTROIS DOMINIQUE: qualified, open DMP, médecin traitant = first professional."""
MT_IDNAT = "810000000017"
"""The first test professional: médecin généraliste, médecin traitant of the reference patient."""
OTHER_IDNAT = "810000000025"
"""A cardiologist (physician); blocked by ECETINSI."""


def cda(
    ins: str, *, type_code: str = "11488-4", author: str = MT_IDNAT, root: str = "1.2.250.1.213.1.4.8"
) -> bytes:
    """A minimal CDA R2 header whose patient, type and author are the given ones."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3">
  <typeId root="2.16.840.1.113883.1.3" extension="POCD_HD000040"/>
  <id root="1.2.250.1.999.1" extension="{uuid.uuid4().hex}"/>
  <code code="{type_code}" codeSystem="2.16.840.1.113883.6.1"/>
  <recordTarget><patientRole><id root="{root}" extension="{ins}"/></patientRole></recordTarget>
  <author><assignedAuthor><id root="1.2.250.1.71.4.2.1" extension="{author}"/></assignedAuthor></author>
</ClinicalDocument>""".encode()


def sha1(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data).digest()).decode()


def document_reference(
    ins: str,
    data: bytes,
    *,
    author: str = MT_IDNAT,
    type_code: str = "11488-4",
    class_code: str = "10",
    content_type: str = "application/xml",
    labels: tuple[tuple[str, str], ...] = ((HL7_CONF, "N"),),
    binary_url: str = "urn:uuid:binary-1",
    system: str = INS_NIR,
    date: str = "2026-11-20T10:00:00+01:00",
) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "contained": [
            {
                "resourceType": "Practitioner",
                "id": "author",
                "identifier": [{"system": IDNPS, "value": author}],
                "name": [{"family": "MARTIN-SOCLE", "given": ["JULIE"]}],
            },
            {"resourceType": "Patient", "id": "patient", "identifier": [{"system": system, "value": ins}]},
        ],
        "masterIdentifier": {
            "system": "urn:ietf:rfc:3986",
            "value": f"urn:oid:1.2.250.1.999.1.{uuid.uuid4().int % 10**12}",
        },
        "status": "current",
        "type": {"coding": [{"system": LOINC, "code": type_code}]},
        "category": [{"coding": [{"system": TRE_A03, "code": class_code}]}],
        "subject": {"reference": f"Patient?identifier={system}|{ins}"},
        "date": date,
        "author": [{"reference": "#author"}],
        "custodian": {"identifier": {"system": "urn:oid:1.2.250.1.71.4.2.2", "value": "1750000001"}},
        "securityLabel": [{"coding": [{"system": s, "code": c}]} for s, c in labels],
        "content": [
            {
                "attachment": {
                    "contentType": content_type,
                    "language": "fr-FR",
                    "url": binary_url,
                    "size": len(data),
                    "hash": sha1(data),
                    "title": "Compte rendu de consultation",
                    "creation": date,
                },
                "format": {"system": TRE_A11, "code": "urn:ihe:iti:xds-sd:pdf:2008"},
            }
        ],
        "context": {
            "period": {"start": "2026-11-20T09:00:00+01:00"},
            "facilityType": {"coding": [{"system": TRE_R02, "code": "SA07"}]},
            "practiceSetting": {"coding": [{"system": TRE_A01, "code": "AMBULATOIRE"}]},
            "sourcePatientInfo": {"reference": "#patient"},
        },
    }


def submission_set(ins: str, *, items: list[str], system: str = INS_NIR) -> dict[str, Any]:
    return {
        "resourceType": "List",
        "contained": [
            {
                "resourceType": "Practitioner",
                "id": "source",
                "identifier": [{"system": IDNPS, "value": MT_IDNAT}],
            }
        ],
        "extension": [
            {
                "url": "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-designationType",
                "valueCodeableConcept": {"coding": [{"system": TRE_R209, "code": "07"}]},
            },
            {
                "url": "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId",
                "valueIdentifier": {"system": "urn:ietf:rfc:3986", "value": "urn:oid:1.2.250.1.999"},
            },
        ],
        "identifier": [
            {"system": "urn:ietf:rfc:3986", "value": f"urn:oid:1.2.250.1.999.2.{uuid.uuid4().int % 10**12}"}
        ],
        "status": "current",
        "mode": "working",
        "code": {
            "coding": [
                {
                    "system": "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes",
                    "code": "submissionset",
                }
            ]
        },
        "subject": {"reference": f"Patient?identifier={system}|{ins}"},
        "date": "2026-11-20T10:05:00+01:00",
        "source": {"reference": "#source"},
        "entry": [{"item": {"reference": item}} for item in items],
    }


def bundle(
    ins: str = REFERENCE_INS,
    *,
    author: str = MT_IDNAT,
    data: bytes | None = None,
    replaces: str | None = None,
    **document: Any,
) -> dict[str, Any]:
    """A one-document Provide Document Bundle (with the PATCH of the old one when replacing)."""
    content = (
        data if data is not None else cda(ins, author=author, type_code=document.get("type_code", "11488-4"))
    )
    reference = document_reference(ins, content, author=author, **document)
    if replaces:
        reference["relatesTo"] = [
            {"code": "replaces", "target": {"reference": f"DocumentReference/{replaces}"}}
        ]
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": "urn:uuid:set-1",
            "resource": submission_set(ins, items=["urn:uuid:doc-1"], system=document.get("system", INS_NIR)),
            "request": {"method": "POST", "url": "List"},
        },
        {
            "fullUrl": "urn:uuid:doc-1",
            "resource": reference,
            "request": {"method": "POST", "url": "DocumentReference"},
        },
        {
            "fullUrl": "urn:uuid:binary-1",
            "resource": {
                "resourceType": "Binary",
                "contentType": reference["content"][0]["attachment"]["contentType"],
                "data": base64.b64encode(content).decode(),
            },
            "request": {"method": "POST", "url": "Binary"},
        },
    ]
    if replaces:
        entries.append(
            {
                "resource": {
                    "resourceType": "Parameters",
                    "parameter": [
                        {
                            "name": "operation",
                            "part": [
                                {"name": "type", "valueCode": "replace"},
                                {"name": "path", "valueString": "DocumentReference.status"},
                                {"name": "value", "valueCode": "superseded"},
                            ],
                        }
                    ],
                },
                "request": {"method": "PATCH", "url": f"DocumentReference/{replaces}"},
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def mutated(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy with one element set (``value=...``) or removed (``value=DELETE``), path like a.b.0.c."""
    copied = copy.deepcopy(data)
    *parents, last = path.split(".")
    node: Any = copied
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    key: Any = int(last) if last.isdigit() else last
    if value is DELETE:
        del node[key]
    else:
        node[key] = value
    return copied


DELETE = object()
