"""PDSm checks of the submission-set List of an ITI-65 bundle (dmp.md §10.2). Pure."""

from __future__ import annotations

from typing import Any

from . import codes
from .dates import normalise
from .elements import check_coding, contained_index, first_coding, patient_identifier, resolve_contained
from .issues import Issues

SOURCE_TYPES = frozenset({"PractitionerRole", "Practitioner", "Device", "Patient", "Organization"})


def list_kind(resource: dict[str, Any]) -> str:
    """``submissionset`` or ``folder`` (MHDlistTypes), or what the List's code says otherwise."""
    coding = first_coding(resource.get("code"))
    return str(coding.get("code") or "")


def check_submission_set(resource: dict[str, Any]) -> tuple[tuple[str, str], str, Issues]:
    """((INS system, INS), submission date) of a valid submission set, and the issues found."""
    issues = Issues()
    root = "List"
    contained = contained_index(resource)
    if not contained:
        issues.add(f"{root}.contained", "contained is required (the source author)", "required")
    coding = first_coding(resource.get("code"))
    if (coding.get("system"), coding.get("code")) != (codes.MHD_LIST_TYPES, "submissionset"):
        issues.add(f"{root}.code", f"code must be {codes.MHD_LIST_TYPES}#submissionset", "value")
    if resource.get("status") != "current":
        issues.add(f"{root}.status", "a submission set has status current", "value")
    if resource.get("mode") != "working":
        issues.add(f"{root}.mode", "a submission set has mode working", "value")
    patient = patient_identifier(issues, f"{root}.subject", resource.get("subject"))
    date = ""
    if issues.required(f"{root}.date", resource.get("date")):
        try:
            date = normalise(str(resource["date"]))
        except ValueError:
            issues.add(f"{root}.date", "not a FHIR dateTime", "value")
    source = resource.get("source") or {}
    if source.get("reference"):
        resolve_contained(issues, f"{root}.source", source, contained, SOURCE_TYPES)
    elif not any(
        e.get("url") == "https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-authorOrg"
        for e in source.get("extension") or []
    ):
        issues.add(f"{root}.source", "source is required (contained author, or authorOrg)", "required")
    extensions = {e.get("url"): e for e in resource.get("extension") or [] if isinstance(e, dict)}
    designation = extensions.get(codes.DESIGNATION_TYPE)
    if designation is None:
        issues.add(f"{root}.extension:designationType", "designationType is required (JDV_J59)", "required")
    else:
        check_coding(
            issues,
            f"{root}.extension:designationType.valueCodeableConcept",
            designation.get("valueCodeableConcept"),
            codes.content_type_codes(),
        )
    source_id = extensions.get(codes.SOURCE_ID)
    if source_id is None or not (source_id.get("valueIdentifier") or {}).get("value"):
        issues.add(
            f"{root}.extension:sourceId", "sourceId is required (OID of the sending system)", "required"
        )
    for i, identifier in enumerate(resource.get("identifier") or []):
        value = identifier.get("value") or ""
        if identifier.get("system") == codes.RFC3986 and not value.startswith(("urn:oid:", "urn:uuid:")):
            issues.add(
                f"{root}.identifier[{i}].value",
                "a uniqueId is urn:oid:… (or an entryUUID urn:uuid:…)",
                "value",
            )
    return patient, date, issues
