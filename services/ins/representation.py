"""FR Core representation of an identity (profile ``fr-core-patient-ins``), and traits read back from a
Patient sent to ``$match``.

Emitted in the current FR Core form (annex A8): INS identifier with its OID system, FR Core type code
and use; birth place extension with the INSEE code; official name with the first birth first name and
the full list in ``fr-core-patient-birth-list-given-name``; identity reliability with ``identityStatus``.
On input the 2023 form (``fr-core-ident-reliability``, COG in ``valueAddress.district``) is accepted too.
"""

from __future__ import annotations

from typing import Any

from services.kernel.fhir import now_instant

from .identity import DEMO_NIR_OID, NIA_OID, NIR_OID, TEST_NIR_OID, InsNumber, Person
from .matching import FOUND, NOT_FOUND, Outcome
from .status import LABELS

CORE = "https://hl7.fr/ig/fhir/core"
PROFILE_PATIENT_INS = f"{CORE}/StructureDefinition/fr-core-patient-ins"
EXT_RELIABILITY = f"{CORE}/StructureDefinition/fr-core-identity-reliability"
EXT_BIRTH_LIST = f"{CORE}/StructureDefinition/fr-core-patient-birth-list-given-name"
EXT_INSEE_CODE = f"{CORE}/StructureDefinition/fr-core-address-insee-code"
EXT_BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
MATCH_GRADE = "http://hl7.org/fhir/StructureDefinition/match-grade"
CS_IDENTITY_STATUS = f"{CORE}/CodeSystem/fr-core-cs-identity-status"
CS_METHOD_COLLECTION = f"{CORE}/CodeSystem/fr-core-cs-method-collection"
CS_IDENTIFIER_TYPE = f"{CORE}/CodeSystem/fr-core-cs-v2-0203"
CS_COMMUNE = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"
OLD_EXT_RELIABILITY_SUFFIX = "/fr-core-ident-reliability"

IDENTIFIER_TYPES = {
    NIR_OID: ("INS-NIR", "NIR définitif", "official"),
    NIA_OID: ("INS-NIA", "NIR temporaire", "temp"),
    TEST_NIR_OID: ("INS-NIR-TEST", "NIR TEST", "official"),
    DEMO_NIR_OID: ("INS-NIR-DEMO", "NIR DEMO", "official"),
}
INS_SYSTEMS = {f"urn:oid:{oid}": oid for oid in IDENTIFIER_TYPES}
GENDERS = {"M": "male", "F": "female"}


def identifier(number: InsNumber, *, active: bool = True) -> dict[str, Any]:
    code, display, use = IDENTIFIER_TYPES.get(number.oid, IDENTIFIER_TYPES[NIR_OID])
    if not active and use == "official":
        use = "old"
    entry: dict[str, Any] = {
        "use": use,
        "type": {"coding": [{"system": CS_IDENTIFIER_TYPE, "code": code, "display": display}]},
        "system": f"urn:oid:{number.oid}",
        "value": number.value,
    }
    if number.start or number.end:
        entry["period"] = {k: v for k, v in (("start", number.start), ("end", number.end)) if v}
    return entry


def patient_resource(person: Person) -> dict[str, Any]:
    """The FR Core Patient (INS profile) of ``person``; its logical id is the 15-character INS."""
    history = [h for h in person.history if h.value != person.ins.value]
    reliability = [
        {
            "url": "identityStatus",
            "valueCoding": {
                "system": CS_IDENTITY_STATUS,
                "code": person.identity_status,
                "display": LABELS.get(person.identity_status, person.identity_status),
            },
        }
    ]
    if person.identity_status in ("RECUP", "QUAL"):
        reliability.append(
            {
                "url": "methodCollection",
                "valueCoding": {
                    "system": CS_METHOD_COLLECTION,
                    "code": "INSI",
                    "display": "Téléservice INSi",
                },
            }
        )
    extensions: list[dict[str, Any]] = [{"url": EXT_RELIABILITY, "extension": reliability}]
    if person.birth_place:
        extensions.append(
            {
                "url": EXT_BIRTH_PLACE,
                "valueAddress": {
                    "extension": [
                        {
                            "url": EXT_INSEE_CODE,
                            "valueCoding": {"system": CS_COMMUNE, "code": person.birth_place},
                        }
                    ]
                },
            }
        )
    return {
        "resourceType": "Patient",
        "id": person.ins.value,
        "meta": {"profile": [PROFILE_PATIENT_INS]},
        "extension": extensions,
        "identifier": [identifier(person.ins)] + [identifier(h, active=False) for h in history],
        "name": [
            {
                "extension": [{"url": EXT_BIRTH_LIST, "valueString": person.first_names_list}],
                "use": "official",
                "family": person.birth_name,
                "given": [person.first_name],
            }
        ],
        "gender": GENDERS.get(person.sex, "unknown"),
        "birthDate": person.birth_date,
    }


def ins_from_identifier(token: str) -> tuple[str | None, str]:
    """(OID or None for any INS system, value) of an ``identifier`` search token or a Patient identifier.

    Raises ValueError for a system that is not an INS one (the caller answers "no match").
    """
    system, bar, value = token.rpartition("|")
    if not bar:
        return None, value
    if system in INS_SYSTEMS:
        return INS_SYSTEMS[system], value
    if system in IDENTIFIER_TYPES:
        return system, value
    raise ValueError(f"{system!r} is not an INS identifier system")


def _extension(items: list[dict[str, Any]] | None, url_suffix: str) -> dict[str, Any] | None:
    return next((e for e in items or [] if str(e.get("url", "")).endswith(url_suffix)), None)


def traits_of_patient(patient: dict[str, Any]) -> dict[str, Any]:
    """The traits of an input Patient as keyword arguments of ``matching.traits_query``.

    Family name from the official name (else the first); first names from the birth-list extension
    when present (the whole list), else ``given[0]``; birth place from the INSEE code extension or the
    2023 form's ``district``.
    """
    names = patient.get("name") or [{}]
    name = next((n for n in names if n.get("use") == "official"), names[0])
    given_list = _extension(name.get("extension"), "/fr-core-patient-birth-list-given-name")
    given = name.get("given") or []
    first_names = [given_list["valueString"]] if given_list else given[:1]
    place = None
    birth_place = _extension(patient.get("extension"), "/patient-birthPlace")
    if birth_place:
        address = birth_place.get("valueAddress") or {}
        code = _extension(address.get("extension"), "/fr-core-address-insee-code")
        place = (code or {}).get("valueCoding", {}).get("code") or address.get("district")
    sex = {"male": "M", "female": "F"}.get(patient.get("gender", ""), patient.get("gender"))
    return {
        "birth_name": name.get("family"),
        "first_names": first_names,
        "sex": sex,
        "birth_date": patient.get("birthDate"),
        "birth_place": place,
    }


def ins_of_patient(patient: dict[str, Any]) -> str | None:
    """The INS value of an input Patient (an identifier with an INS system), if it carries one."""
    for item in patient.get("identifier") or []:
        if item.get("system") in INS_SYSTEMS and item.get("value"):
            return str(item["value"])
    return None


def match_bundle(outcome: Outcome, *, only_certain: bool, count: int | None) -> dict[str, Any]:
    """ITI-119 answer: the one certain match, or every candidate graded, or an OperationOutcome saying why."""
    entries: list[dict[str, Any]] = []
    if outcome.code == FOUND or (outcome.candidates and not only_certain):
        grade, score = ("certain", 1.0) if outcome.code == FOUND else ("possible", 0.5)
        for person in outcome.candidates[: count or None]:
            resource = patient_resource(person)
            entries.append(
                {
                    "fullUrl": f"Patient/{resource['id']}",
                    "resource": resource,
                    "search": {
                        "extension": [{"url": MATCH_GRADE, "valueCode": grade}],
                        "mode": "match",
                        "score": score,
                    },
                }
            )
    if outcome.code != FOUND:
        issue_code = "not-found" if outcome.code == NOT_FOUND else "multiple-matches"
        advice = (
            "check the traits, or try another birth first name"
            if outcome.code == NOT_FOUND
            else "several identities match: add another birth first name or the birth place"
        )
        entries.append(
            {
                "resource": {
                    "resourceType": "OperationOutcome",
                    "issue": [
                        {
                            "severity": "information" if entries else "warning",
                            "code": issue_code,
                            "details": {
                                "coding": [{"system": "urn:socle:insi:CodeCR", "code": outcome.code}],
                                "text": outcome.label,
                            },
                            "diagnostics": f"INSi {outcome.code} ({outcome.label}): {advice}",
                        }
                    ],
                },
                "search": {"mode": "outcome"},
            }
        )
    matches = sum(1 for e in entries if e["search"]["mode"] == "match")
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": now_instant(),
        "total": matches,
        "entry": entries,
    }
