"""FHIR inputs of the INS API, pure: PDQm (ITI-78) search parameters and ITI-119 ``$match`` Parameters.

Values are normalised the INSi way (uppercase, no accents) so that ``family=Dupré`` finds ``DUPRE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.kernel.errors import BadRequest
from services.kernel.traits import InvalidTrait, fold

from .matching import InvalidQuery, TraitsQuery, check_birth_date, traits_query
from .representation import ins_from_identifier, ins_of_patient, traits_of_patient

SEARCH_PARAMETERS = ("_id", "identifier", "family", "given", "gender", "birthdate")
CONTROL_PARAMETERS = ("_count", "_offset", "_format", "_total")
GENDERS = {"male": "M", "female": "F"}


@dataclass(frozen=True)
class Criteria:
    """A PDQm search; every field is optional, all given ones must hold. ``impossible`` = no match."""

    ins: str | None = None
    oid: str | None = None
    family: str | None = None
    family_exact: bool = False
    given: str | None = None
    sex: str | None = None
    birth_date: str | None = None
    impossible: bool = False

    @property
    def only_ins(self) -> bool:
        """An INS lookup and nothing else (how the DMP asks whether a patient is known and qualified)."""
        return self.ins is not None and not (
            self.family or self.given or self.sex or self.birth_date or self.impossible
        )


def criteria(params: dict[str, str]) -> Criteria:
    """The criteria of a ``GET Patient?...`` search; 400 for an unknown parameter or a bad value."""
    fields: dict[str, Any] = {}
    for raw_name, value in params.items():
        name, _, modifier = raw_name.partition(":")
        if name in CONTROL_PARAMETERS:
            continue
        if name not in SEARCH_PARAMETERS:
            raise BadRequest(
                f"unsupported search parameter {raw_name!r}; supported: {', '.join(SEARCH_PARAMETERS)}",
                expression=[raw_name],
                fhir_code="not-supported",
            )
        if name == "_id" or name == "identifier":
            try:
                oid, ins = (None, value) if name == "_id" else ins_from_identifier(value)
            except ValueError:
                fields["impossible"] = True
                continue
            fields.update(ins=ins.strip().upper(), oid=oid)
        elif name == "family":
            fields.update(family=_folded(value, name), family_exact=modifier == "exact")
        elif name == "given":
            fields["given"] = _folded(value, name)
        elif name == "gender":
            if value not in ("male", "female", "other", "unknown"):
                raise BadRequest(
                    f"gender must be male, female, other or unknown, got {value!r}", expression=["gender"]
                )
            sex = GENDERS.get(value)
            fields["sex"] = sex
            fields["impossible"] = fields.get("impossible", False) or sex is None
        else:
            try:
                fields["birth_date"] = check_birth_date(value.removeprefix("eq"), "birthdate")
            except InvalidQuery as exc:
                raise BadRequest(exc.message, expression=["birthdate"]) from None
    if not fields:
        raise BadRequest(
            "give at least one of " + ", ".join(SEARCH_PARAMETERS) + ": the base is too large to list",
            fhir_code="too-costly",
        )
    return Criteria(**fields)


def _folded(value: str, name: str) -> str:
    folded = fold(value)
    if not folded:
        raise BadRequest(f"{name} is empty", expression=[name])
    return folded


@dataclass(frozen=True)
class MatchRequest:
    traits: TraitsQuery
    ins: str | None
    only_certain: bool
    count: int | None


def match_request(parameters: dict[str, Any]) -> MatchRequest:
    """The ``$match`` input (a validated Parameters resource as JSON) as INSi traits."""
    patient: dict[str, Any] | None = None
    only_certain, count = False, None
    for parameter in parameters.get("parameter") or []:
        name = parameter.get("name")
        if name == "resource":
            patient = parameter.get("resource")
        elif name == "onlyCertainMatches":
            only_certain = bool(parameter.get("valueBoolean"))
        elif name == "count":
            count = parameter.get("valueInteger")
    if not patient or patient.get("resourceType") != "Patient":
        raise BadRequest(
            "$match needs a 'resource' parameter holding a Patient", expression=["Parameters.parameter"]
        )
    try:
        traits = traits_query(**traits_of_patient(patient))
    except InvalidQuery as exc:
        raise BadRequest(f"{exc.message}", expression=[_PATIENT_PATHS.get(exc.field, "Patient")]) from None
    except InvalidTrait as exc:
        raise BadRequest(str(exc), expression=["Patient.name"]) from None
    ins = ins_of_patient(patient)
    return MatchRequest(traits, ins.strip().upper() if ins else None, only_certain, count)


_PATIENT_PATHS = {
    "NomNaissance": "Patient.name.family",
    "Prenom": "Patient.name.given",
    "Sexe": "Patient.gender",
    "DateNaissance": "Patient.birthDate",
    "LieuNaissance": "Patient.extension('http://hl7.org/fhir/StructureDefinition/patient-birthPlace')",
}
