"""The DMP value sets (NOS JDV lists, copied with their source into ``data/``) and membership checks.

A coding is accepted when its (system, code) pair is in the value set. The NOS lists name their code
systems by their FHIR URL; vendors also send the ``urn:oid:`` form of the same system, so both are
recognised. Confidentiality ``N``/``R``/``V`` is accepted from both the TRE_A08 and the HL7 v3 system
(dmp.md §12.4: official examples use the HL7 one).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

NOS = "https://mos.esante.gouv.fr/NOS"
TRE_A03 = f"{NOS}/TRE_A03-ClasseDocument/FHIR/TRE-A03-ClasseDocument"
TRE_A07 = f"{NOS}/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument"
TRE_A08 = f"{NOS}/TRE_A08-HL7Confidentiality/FHIR/TRE-A08-HL7Confidentiality"
HL7_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
LOINC = "http://loinc.org"
IHE_FORMAT = "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode"
MIME_TYPE_SUFFICIENT = "urn:ihe:iti:xds:2017:mimeTypeSufficient"

MASQUE_PS = "MASQUE_PS"
INVISIBLE_PATIENT = "INVISIBLE_PATIENT"
INVISIBLE_REPRESENTANTS_LEGAUX = "INVISIBLE_REPRESENTANTS_LEGAUX"
VISIBILITY_CODES = (MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX)
CONFIDENTIALITY_LEVELS = ("N", "R", "V")

SYSTEM_OIDS = {
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "urn:oid:1.2.250.1.213.1.1.4.1": TRE_A03,
    "urn:oid:1.2.250.1.213.1.1.4.13": TRE_A07,
    "urn:oid:2.16.840.1.113883.5.25": HL7_CONFIDENTIALITY,
    "urn:oid:1.2.250.1.213.1.1.4.12": f"{NOS}/TRE_A05-TypeDocComplementaire/FHIR/TRE-A05-TypeDocComplementaire",
    "urn:oid:1.2.250.1.213.1.1.4.6": f"{NOS}/TRE_A00-ProducteurDocNonPS/FHIR/TRE-A00-ProducteurDocNonPS",
    "urn:oid:1.2.250.1.71.4.2.4": f"{NOS}/TRE_R02-SecteurActivite/FHIR/TRE-R02-SecteurActivite",
    "urn:oid:1.2.250.1.213.2.2": f"{NOS}/TRE_R209-TypeActivite/FHIR/TRE-R209-TypeActivite",
    "urn:oid:1.3.6.1.4.1.19376.1.2.3": f"{NOS}/TRE_A11-IheFormatCode/FHIR/TRE-A11-IheFormatCode",
    "urn:oid:1.2.250.1.213.1.1.4.2.282": f"{NOS}/TRE_A06-FormatCodeComplementaire/FHIR/TRE-A06-FormatCodeComplementaire",
}


def canonical_system(system: str | None) -> str:
    """The NOS URL of a code system given by URL or by ``urn:oid:``."""
    return SYSTEM_OIDS.get(system or "", system or "")


@dataclass(frozen=True)
class ValueSet:
    name: str
    url: str
    version: str
    codes: frozenset[tuple[str, str]]

    def __contains__(self, coding: object) -> bool:
        if not isinstance(coding, tuple) or len(coding) != 2:
            return False
        system, code = coding
        return (canonical_system(system), code) in self.codes


@cache
def _raw(name: str) -> dict[str, Any]:
    text = resources.files("services.dmp").joinpath("data", f"{name}.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


@cache
def value_set(name: str) -> ValueSet:
    raw = _raw(name)
    codes = frozenset((c["system"], c["code"]) for c in raw["concepts"])
    return ValueSet(raw["name"], raw["url"], raw["version"], codes)


def type_codes() -> ValueSet:
    return value_set("jdv_j66_typecode_dmp")


def class_codes() -> ValueSet:
    return value_set("jdv_j57_classcode_dmp")


def format_codes() -> ValueSet:
    return value_set("jdv_j60_formatcode_dmp")


def facility_codes() -> ValueSet:
    return value_set("jdv_j61_healthcarefacilitytypecode_dmp")


def practice_codes() -> ValueSet:
    return value_set("jdv_j04_practicesettingcode_cisis")


def content_type_codes() -> ValueSet:
    return value_set("jdv_j59_contenttypecode_dmp")


def confidentiality_codes() -> ValueSet:
    base = value_set("jdv_j58_confidentialitycode_dmp")
    extra = frozenset((HL7_CONFIDENTIALITY, code) for code in CONFIDENTIALITY_LEVELS)
    return ValueSet(base.name, base.url, base.version, base.codes | extra)


@cache
def class_of_type() -> dict[tuple[str, str], str]:
    """ASS_X16: the class code (J57) each type code (J66) must carry."""
    return {
        (m["typeSystem"], m["typeCode"]): m["classCode"] for m in _raw("ass_x16_type_classe_dmp")["mappings"]
    }


def expected_class(system: str, code: str) -> str | None:
    return class_of_type().get((canonical_system(system), code))


@cache
def constants() -> dict[str, Any]:
    return _raw("pdsm_dmp_fhir_constants")


def profile(name: str) -> str:
    return str(constants()["profiles"][name])


IS_ARCHIVED = "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/pdsm-ext-is-archived"
DESIGNATION_TYPE = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-designationType"
SOURCE_ID = "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId"
MHD_LIST_TYPES = "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes"
RFC3986 = "urn:ietf:rfc:3986"
IDNPS = "urn:oid:1.2.250.1.71.4.2.1"
INS_SYSTEMS = {
    "urn:oid:1.2.250.1.213.1.4.8": "INS-NIR",
    "urn:oid:1.2.250.1.213.1.4.9": "INS-NIA",
    "urn:oid:1.2.250.1.213.1.4.10": "INS-NIR-TEST",
    "urn:oid:1.2.250.1.213.1.4.11": "INS-NIR-DEMO",
}
"""Identifier systems of a qualified INS; legacy INS-C / INS-A are refused (dmp.md §14)."""
ACCESS_MODE_SYSTEM = f"{NOS}/TRE_R248-ModeAcces/FHIR/TRE-R248-ModeAcces"
