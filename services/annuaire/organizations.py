"""Organization, HealthcareService and Device resources of the fixed structures (spec C2, C4, C8).

The legal entity (EJ, FINESS juridique + SIREN) and its sites (EG, FINESS géographique + SIRET, ``partOf``
the EJ), the cabinet (RPPS rang), each with its organisational mailbox (ORG). The hospital site and
the laboratory get one authorised healthcare activity each, and the hospital a heavy device (EML), so
that every resource type of the API has data. Activity and device codes are synthetic (see report).
"""

from __future__ import annotations

from typing import Any

from services.kernel.fixtures import SECTORS, Organisation

from .codes import (
    ACTIVITY_FORM,
    ACTIVITY_TYPE,
    COMMUNE,
    DEVICE_TYPE,
    FINESS,
    IDNAT_ST,
    INSEE_CODE_EXT,
    ORGANIZATION_KINDS,
    ORGANIZATION_TYPES_EXT,
    PHARMACY_LICENCE_EXT,
    RPPS_RANG,
    SECTOR,
    SIRENE,
    identifier_type,
)
from .mailboxes import mailbox_telecom
from .metadata import meta

Resource = dict[str, Any]


def organization_id(organisation: Organisation) -> str:
    return f"001-{national_structure_id(organisation)}"


def national_structure_id(organisation: Organisation) -> str:
    """idNatSt: ``1`` + FINESS for FINESS structures, ``4`` + RPPS rang for a cabinet (spec C5)."""
    return f"1{organisation.finess}" if organisation.finess else f"4{organisation.rpps_rang}"


def _identifier(type_code: str, system: str, value: str) -> Resource:
    return {"use": "official", "type": identifier_type(type_code), "system": system, "value": value}


def _identifiers(o: Organisation) -> list[Resource]:
    identifiers = [_identifier("IDNST", IDNAT_ST, national_structure_id(o))]
    if o.finess:
        identifiers.append(_identifier("FINEJ" if o.kind == "legal-entity" else "FINEG", FINESS, o.finess))
    if o.rpps_rang:
        identifiers.append(_identifier("INTRN", RPPS_RANG, o.rpps_rang))
    if o.siret:
        identifiers.append(_identifier("SIRET", SIRENE, o.siret))
    else:
        identifiers.append(_identifier("SIREN", SIRENE, o.siren))
    return identifiers


def _typed(kind: str, coding: dict[str, str]) -> Resource:
    return {"extension": [{"url": ORGANIZATION_TYPES_EXT, "valueCode": kind}], "coding": [coding]}


def _types(o: Organisation) -> list[Resource]:
    entity = "LEGAL-ENTITY" if o.kind == "legal-entity" else "GEOGRAPHICAL-ENTITY"
    return [
        _typed("organizationType", {"system": ORGANIZATION_KINDS, "code": entity}),
        _typed("secteurActiviteRASS", {"system": SECTOR, "code": o.sector, "display": SECTORS[o.sector]}),
    ]


def organization(o: Organisation, ids: dict[str, str]) -> Resource:
    address = o.address
    resource: Resource = {
        "resourceType": "Organization",
        "id": ids[o.key],
        "meta": meta("Organization", system="RPPS" if o.rpps_rang else "FINESS"),
        "language": "fr",
    }
    if o.kind == "pharmacy":
        resource["extension"] = [
            {"url": PHARMACY_LICENCE_EXT, "valueString": f"{address.postal_code[:2]}#000042"}
        ]
    resource |= {
        "identifier": _identifiers(o),
        "active": True,
        "type": _types(o),
        "name": o.name,
        "telecom": [mailbox_telecom(o.mailbox, "ORG", description=f"Secrétariat {o.name}")],
        "address": [
            {
                "extension": [
                    {"url": INSEE_CODE_EXT, "valueCoding": {"system": COMMUNE, "code": address.insee_code}}
                ],
                "use": "work",
                "type": "both",
                "line": [address.line],
                "city": address.city,
                "postalCode": address.postal_code,
                "country": "FRANCE",
            }
        ],
    }
    if o.part_of:
        resource["partOf"] = {"reference": f"Organization/{ids[o.part_of]}"}
    return resource


def healthcare_service(
    o: Organisation, ids: dict[str, str], *, number: int, name: str, form: str, kind: str
) -> Resource:
    return {
        "resourceType": "HealthcareService",
        "id": f"004-{o.finess}-{number:02d}",
        "meta": meta("HealthcareService", system="FINESS"),
        "language": "fr",
        "identifier": [{"value": f"{o.address.postal_code[:2]}-{o.address.postal_code[:2]}-{number:05d}"}],
        "active": True,
        "providedBy": {"reference": f"Organization/{ids[o.key]}"},
        "category": [{"coding": [{"system": ACTIVITY_TYPE, "code": kind}]}],
        "type": [{"coding": [{"system": ACTIVITY_TYPE, "code": kind}]}],
        "name": name,
        "characteristic": [
            {"coding": [{"system": ACTIVITY_FORM, "code": form}]},
            {"coding": [{"system": ACTIVITY_TYPE, "code": kind}]},
        ],
    }


def device(o: Organisation, ids: dict[str, str]) -> Resource:
    return {
        "resourceType": "Device",
        "id": f"002-{o.finess}-01",
        "meta": meta("Device", system="FINESS"),
        "language": "fr",
        "identifier": [{"value": f"{o.address.postal_code[:2]}-{o.address.postal_code[:2]}-90001"}],
        "status": "active",
        "manufacturer": "SOCLE IMAGERIE",
        "modelNumber": "SCANNER-64",
        "type": {
            "coding": [
                {"system": DEVICE_TYPE, "code": "05602", "display": "Scanographe à utilisation médicale"}
            ]
        },
        "owner": {"reference": f"Organization/{ids[o.key]}"},
    }


def structure_resources(organisations: tuple[Organisation, ...]) -> tuple[list[Resource], dict[str, str]]:
    """Every structure resource, and the Organization id of each fixture key (for PractitionerRole)."""
    ids = {o.key: organization_id(o) for o in organisations}
    resources = [organization(o, ids) for o in organisations]
    for o in organisations:
        if o.kind == "hospital":
            resources.append(healthcare_service(o, ids, number=1, name="Médecine", form="01", kind="01"))
            resources.append(device(o, ids))
        elif o.kind == "laboratory":
            resources.append(
                healthcare_service(o, ids, number=2, name="Biologie médicale", form="07", kind="14")
            )
    return resources, ids
