"""Reading PDSm elements shared by every resource of a submission: codings checked against a value
set, contained actors and their national ids, the patient's INS, dates. Pure."""

from __future__ import annotations

from typing import Any

from services.kernel.errors import SocleError
from services.kernel.fhir import parse_resource
from services.kernel.identifiers import is_valid_ins

from . import codes
from .dates import normalise
from .issues import Issues


def first_coding(concept: Any) -> dict[str, Any]:
    if isinstance(concept, dict):
        codings = concept.get("coding") or []
        if codings and isinstance(codings[0], dict):
            return codings[0]
    return {}


def check_coding(
    issues: Issues, path: str, concept: Any, value_set: codes.ValueSet, *, required: bool = True
) -> tuple[str, str]:
    """The (system, code) of a CodeableConcept after checking it is in ``value_set``."""
    coding = first_coding(concept)
    if not coding:
        if required:
            issues.add(path, f"{path} is required and must carry a coding from {value_set.name}", "required")
        return "", ""
    system, code = codes.canonical_system(coding.get("system")), coding.get("code") or ""
    if (system, code) not in value_set:
        issues.add(
            f"{path}.coding[0]",
            f"code {system}#{code} is not in {value_set.name} ({value_set.url} version {value_set.version})",
            "code-invalid",
        )
    return system, code


def contained_index(resource: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c.get("id"): c for c in resource.get("contained") or [] if isinstance(c, dict) and c.get("id")}


def resolve_contained(
    issues: Issues, path: str, reference: Any, contained: dict[str, dict[str, Any]], allowed: frozenset[str]
) -> dict[str, Any] | None:
    """The contained resource a ``#id`` reference points to (PDSm: actors are contained)."""
    ref = (reference or {}).get("reference") if isinstance(reference, dict) else None
    if not ref:
        issues.add(path, f"{path} must reference a contained resource (#id)", "required")
        return None
    if not ref.startswith("#") or ref[1:] not in contained:
        issues.add(
            f"{path}.reference", f"dangling reference {ref!r}: no such contained resource", "not-found"
        )
        return None
    target = contained[ref[1:]]
    if target.get("resourceType") not in allowed:
        issues.add(path, f"{path} cannot reference a {target.get('resourceType')}", "invalid")
        return None
    return target


def idnat_of(actor: dict[str, Any], contained: dict[str, dict[str, Any]]) -> str:
    """The national id (IDNPS) of an author, looking through a PractitionerRole to its practitioner."""
    for identifier in actor.get("identifier") or []:
        if identifier.get("system") == codes.IDNPS and identifier.get("value"):
            return str(identifier["value"])
    practitioner = actor.get("practitioner") or {}
    if practitioner.get("identifier", {}).get("system") == codes.IDNPS:
        return str(practitioner["identifier"].get("value", ""))
    ref = practitioner.get("reference", "")
    if ref.startswith("#") and ref[1:] in contained:
        return idnat_of(contained[ref[1:]], contained)
    return ""


def name_of(actor: dict[str, Any], contained: dict[str, dict[str, Any]]) -> str:
    names = actor.get("name")
    if isinstance(names, list) and names and isinstance(names[0], dict):
        parts = [g for g in names[0].get("given") or [] if isinstance(g, str)] + [
            str(names[0].get("family") or "")
        ]
        return " ".join(parts).strip().upper()
    ref = (actor.get("practitioner") or {}).get("reference", "")
    if ref.startswith("#") and ref[1:] in contained:
        return name_of(contained[ref[1:]], contained)
    return ""


def patient_identifier(issues: Issues, path: str, subject: Any) -> tuple[str, str]:
    """(system, INS) of a subject given as ``Patient?identifier=system|value`` or by identifier."""
    if not isinstance(subject, dict):
        issues.add(path, f"{path} is required: the patient's INS", "required")
        return "", ""
    system = value = ""
    reference = subject.get("reference") or ""
    if reference.startswith("Patient?identifier="):
        token = reference.removeprefix("Patient?identifier=")
        system, _, value = token.partition("|")
    elif isinstance(subject.get("identifier"), dict):
        system = subject["identifier"].get("system") or ""
        value = subject["identifier"].get("value") or ""
    else:
        issues.add(
            path,
            f"{path} must identify the patient by INS: Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|<INS>",
            "invalid",
        )
        return "", ""
    if system not in codes.INS_SYSTEMS:
        issues.add(path, f"{system!r} is not an INS identifier system (XDSUnknownPatientId)", "code-invalid")
    elif not is_valid_ins(value):
        issues.add(path, f"{value!r} is not a valid INS (15 characters, key checked)", "value")
    return system, value


def check_date(issues: Issues, path: str, value: Any, *, required: bool = True) -> str:
    if value in (None, ""):
        if required:
            issues.required(path, value)
        return ""
    try:
        return normalise(str(value))
    except ValueError:
        issues.add(path, f"{value!r} is not a FHIR date", "value")
        return ""


def check_structure(issues: Issues, where: str, resource: dict[str, Any]) -> bool:
    """Structure check of one resource by fhir.resources; False (and the issues named) when it fails."""
    kind = str(resource.get("resourceType"))
    try:
        parse_resource(resource)
    except SocleError as exc:
        for expression in exc.expression or [where]:
            named = where + expression[len(kind) :] if expression.startswith(kind) else expression
            issues.add(named, exc.message, "structure")
        return False
    except (KeyError, AttributeError, TypeError, ValueError) as exc:
        # fhir_core raises these, not a ValidationError, on some shapes (a resource where a type is due)
        issues.add(where, f"not a valid {kind}: {type(exc).__name__} {exc}", "structure")
        return False
    return True
