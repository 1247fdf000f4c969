"""Systems, profiles and code lists the Annuaire Santé publishes (spec C2, C4, C7, C8; B2, B7).

URLs are those of the ANS IG ``ans.fhir.fr.annuaire`` and FR Core; the code lists are data files copied
from the spec into ``data/`` (see ``data/SOURCES.md``), read once.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

AS_IG = "https://interop.esante.gouv.fr/ig/fhir/annuaire"
AS_SD = f"{AS_IG}/StructureDefinition"
FR_CORE_SD = "https://hl7.fr/ig/fhir/core/StructureDefinition"
NOS = "https://mos.esante.gouv.fr/NOS"

META_SOURCE = "https://annuaire.sante.fr"
"""``meta.source`` of every resource, as the API documentation shows it (spec C1)."""

PROFILES = {
    "Practitioner": [f"{FR_CORE_SD}/fr-core-practitioner", f"{AS_SD}/as-dp-practitioner"],
    "PractitionerRole": [f"{FR_CORE_SD}/fr-core-practitioner-role", f"{AS_SD}/as-dp-practitionerrole"],
    "Organization": [f"{FR_CORE_SD}/fr-core-organization", f"{AS_SD}/as-dp-organization"],
    "HealthcareService": [f"{AS_SD}/as-dp-healthcareservice-healthcare-activity"],
    "Device": [f"{AS_SD}/as-dp-device"],
}

# Identifier systems (spec C4).
IDNAT_PS = "urn:oid:1.2.250.1.71.4.2.1"
IDNAT_ST = "urn:oid:1.2.250.1.71.4.2.2"
RPPS = "https://rpps.esante.gouv.fr"
FINESS = "https://finess.esante.gouv.fr"
SIRENE = "https://sirene.fr"
RPPS_RANG = "https://rppsrang.esante.gouv.fr"
IDENTIFIER_TYPES = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
ORGANIZATION_KINDS = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-3307"

# Extensions (spec B7, C8).
EMAIL_TYPE_EXT = f"{FR_CORE_SD}/fr-core-contact-point-email-type"
MAILBOX_METADATA_EXT = f"{AS_SD}/as-ext-mailbox-mss-metadata"
DATA_TRACE_EXT = f"{AS_SD}/as-ext-data-trace"
SMARTCARD_EXT = f"{AS_SD}/as-ext-smartcard"
ORGANIZATION_TYPES_EXT = f"{AS_SD}/as-ext-organization-types"
PHARMACY_LICENCE_EXT = f"{AS_SD}/as-ext-organization-pharmacy-licence"
INSEE_CODE_EXT = f"{FR_CORE_SD}/fr-core-address-insee-code"


def nos(table: str) -> str:
    """The FHIR system of a NOS terminology, e.g. ``TRE_R23-ModeExercice``."""
    return f"{NOS}/{table}/FHIR/{table.replace('_', '-')}"


PROFESSION = nos("TRE_G15-ProfessionSante")
CATEGORY = nos("TRE_R09-CategorieProfessionnelle")
SPECIALTY = nos("TRE_R38-SpecialiteOrdinale")
GENRE = nos("TRE_R22-GenreActivite")
MODE = nos("TRE_R23-ModeExercice")
FUNCTION = nos("TRE_R21-Fonction")
CNOP_SECTION = nos("TRE_R06-SectionTableauCNOP")
SECTOR = nos("TRE_R02-SecteurActivite")
CARD_TYPE = nos("TRE_R87-TypeCarte")
REGISTRATION_AUTHORITY = nos("TRE_R60-AutoriteEnregistrement")
ACTIVITY_FORM = nos("TRE_R276-FormeActivite")
ACTIVITY_TYPE = nos("TRE_R209-TypeActivite")
DEVICE_TYPE = nos("TRE_R272-EquipementMaterielLourd")
COMMUNE = nos("TRE_R13-Commune")

ORDER_OF_PROFESSION = {"10": "CNOM", "21": "CNOP"}
"""Registration authority (TRE_R60) of the professions whose code the IG examples show; others omitted."""


@cache
def _data(name: str) -> Any:
    return json.loads(resources.files("services.annuaire").joinpath("data", name).read_text("utf-8"))


def identifier_type(code: str) -> dict[str, Any]:
    """The FR Core ``identifier.type`` CodeableConcept for an identifier type code (IDNPS, RPPS, FINEG…)."""
    display = next(
        c["display"] for c in _data("fr-core-v2-0203-identifier-types.json")["concept"] if c["code"] == code
    )
    return {"coding": [{"system": IDENTIFIER_TYPES, "code": code, "display": display}]}


def bal_type(code: str) -> dict[str, Any]:
    """The TRE_R257 coding of a mailbox type (PER, ORG, APP, CAB)."""
    data = _data("mss-bal-types.json")
    concept = next(c for c in data["concept"] if c["code"] == code)
    return {"system": data["system"], "code": code, "display": concept["display"]}


def mssante_email_type() -> dict[str, str]:
    """The ``emailType`` coding that marks a telecom as an MSSanté mailbox."""
    email_type = _data("mss-bal-types.json")["emailType"]
    return {"system": email_type["system"], "code": email_type["code"]}
