"""PDSm / DMP checks of one submitted DocumentReference, and the search keys taken from it.

The structure (types, cardinality of FHIR core) is checked by ``fhir.resources`` first; this module
adds what PDSm Comprehensive and the DMP value sets require (dmp.md §10.1, §12) and reads the facts
the store indexes. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import codes
from .elements import (
    check_coding,
    check_date,
    contained_index,
    first_coding,
    idnat_of,
    name_of,
    patient_identifier,
    resolve_contained,
)
from .issues import Issues

SUPPORTED_CONTENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/xml",
        "text/xml",
        "application/hl7-v3+xml",
        "text/plain",
        "text/rtf",
        "image/jpeg",
        "image/tiff",
        "application/dicom",
        "application/fhir+json",
        "application/fhir+xml",
    }
)
"""MIME types of the DMP formats (J60: CDA, PDF/A, text, RTF, JPEG, TIFF, DICOM KOS, FHIR)."""
CDA_CONTENT_TYPES = frozenset({"application/xml", "text/xml", "application/hl7-v3+xml"})
AUTHOR_TYPES = frozenset(
    {"Practitioner", "PractitionerRole", "Organization", "Device", "Patient", "RelatedPerson"}
)


@dataclass
class DocumentFacts:
    """What a valid DocumentReference says, in the shape the store indexes."""

    resource: dict[str, Any]
    patient_system: str
    patient_ins: str
    unique_id: str
    type_system: str
    type_code: str
    class_code: str
    format_code: str
    facility_code: str
    setting_code: str
    security: list[str]
    event_codes: list[str]
    related: list[str]
    date: str
    creation: str
    period_start: str
    period_end: str
    authors: list[str]
    author_names: list[str]
    content_type: str
    size: int | None
    hash: str | None
    url: str | None
    data: str | None
    replaces: str | None
    relation_codes: list[str] = field(default_factory=list)
    is_archived: bool = False
    warnings: list[str] = field(default_factory=list)


def _security(issues: Issues, resource: dict[str, Any]) -> list[str]:
    labels = resource.get("securityLabel") or []
    if not labels:
        issues.add("DocumentReference.securityLabel", "securityLabel is required (1..4, JDV_J58)", "required")
    if len(labels) > 4:
        issues.add("DocumentReference.securityLabel", "the DMP accepts at most 4 confidentiality codes")
    vs = codes.confidentiality_codes()
    found = [
        check_coding(issues, f"DocumentReference.securityLabel[{i}]", c, vs)[1] for i, c in enumerate(labels)
    ]
    return [code for code in found if code]


def _format(issues: Issues, facts_warnings: list[str], content: dict[str, Any]) -> str:
    coding = first_coding({"coding": [content.get("format")]} if content.get("format") else None)
    path = "DocumentReference.content[0].format"
    if not coding:
        issues.add(path, f"{path} is required (JDV_J60)", "required")
        return ""
    system, code = codes.canonical_system(coding.get("system")), coding.get("code") or ""
    if (system, code) == (codes.IHE_FORMAT, codes.MIME_TYPE_SUFFICIENT):
        facts_warnings.append(f"{path}: {code} is not in JDV_J60 (accepted, as in the PDSm4DMP examples)")
    elif (system, code) not in codes.format_codes():
        issues.add(path, f"code {system}#{code} is not in JDV_J60_FormatCode_DMP", "code-invalid")
    return code


def _authors(
    issues: Issues, resource: dict[str, Any], contained: dict[str, dict[str, Any]]
) -> tuple[list[str], list[str]]:
    authors = resource.get("author") or []
    if not authors:
        issues.add("DocumentReference.author", "author is required (1..*, contained)", "required")
    ids, names = [], []
    for i, ref in enumerate(authors):
        actor = resolve_contained(issues, f"DocumentReference.author[{i}]", ref, contained, AUTHOR_TYPES)
        if actor:
            ids.append(idnat_of(actor, contained))
            names.append(name_of(actor, contained))
    if "authenticator" in resource:
        resolve_contained(
            issues,
            "DocumentReference.authenticator",
            resource["authenticator"],
            contained,
            frozenset({"Practitioner", "PractitionerRole", "Organization"}),
        )
    return [i for i in ids if i], [n for n in names if n]


def _relates(issues: Issues, resource: dict[str, Any], warnings: list[str]) -> tuple[str | None, list[str]]:
    relations = resource.get("relatesTo") or []
    codes_seen = [r.get("code", "") for r in relations]
    replaces = [r for r in relations if r.get("code") == "replaces"]
    for i, relation in enumerate(relations):
        if relation.get("code") != "replaces":
            name = {"transforms": "Transform", "appends": "Append"}.get(relation.get("code", ""), "Replace")
            warnings.append(f"DocumentReference.relatesTo[{i}]: Partial{name}ContentNotProcessed")
    if not replaces:
        return None, codes_seen
    if len(replaces) > 1:
        issues.add(
            "DocumentReference.relatesTo", "a replacement replaces exactly one document (constr-cdr-rempl)"
        )
    target = replaces[0].get("target") or {}
    ref = target.get("reference") or ""
    if ref.startswith("DocumentReference/") or "/DocumentReference/" in ref:
        return ref.rsplit("DocumentReference/", 1)[1], codes_seen
    identifier = target.get("identifier") or {}
    if identifier.get("value"):
        return f"identifier:{identifier['value']}", codes_seen
    issues.add(
        "DocumentReference.relatesTo[0].target",
        "the replaced document must be given as DocumentReference/<id> or by identifier",
        "required",
    )
    return None, codes_seen


def _archived(resource: dict[str, Any]) -> bool:
    return any(
        e.get("url") == codes.IS_ARCHIVED and e.get("valueBoolean") is True
        for e in resource.get("extension") or []
    )


def check_document(
    resource: dict[str, Any], *, simplified: bool = False
) -> tuple[DocumentFacts | None, Issues]:
    """Check a DocumentReference against PDSm (Comprehensive, or Simplified Publish for ITI-105)."""
    issues = Issues()
    warnings: list[str] = []
    contained = contained_index(resource)
    if not contained:
        issues.add(
            "DocumentReference.contained", "contained is required (authors are contained, 1..*)", "required"
        )
    master = resource.get("masterIdentifier") or {}
    if issues.required("DocumentReference.masterIdentifier", master):
        issues.required("DocumentReference.masterIdentifier.system", master.get("system"))
        issues.required("DocumentReference.masterIdentifier.value", master.get("value"))
    if resource.get("status") != "current":
        issues.add("DocumentReference.status", "a submitted document has status current", "value")
    type_system, type_code = check_coding(
        issues, "DocumentReference.type", resource.get("type"), codes.type_codes()
    )
    categories = resource.get("category") or []
    if len(categories) != 1:
        issues.add("DocumentReference.category", "category is required, exactly one (JDV_J57)", "required")
    _, class_code = check_coding(
        issues, "DocumentReference.category[0]", categories[0] if categories else None, codes.class_codes()
    )
    expected = codes.expected_class(type_system, type_code)
    if expected and class_code and class_code != expected:
        issues.add(
            "DocumentReference.category[0]",
            f"type {type_code} belongs to class {expected} (ASS_X16), not {class_code}",
            "code-invalid",
        )
    system, ins = patient_identifier(issues, "DocumentReference.subject", resource.get("subject"))
    date = check_date(issues, "DocumentReference.date", resource.get("date"))
    authors, names = _authors(issues, resource, contained)
    if not simplified or "custodian" in resource:
        issues.required("DocumentReference.custodian", resource.get("custodian"))
    security = _security(issues, resource)
    contents = resource.get("content") or []
    if len(contents) != 1:
        issues.add("DocumentReference.content", "exactly one content is required", "required")
    content = contents[0] if contents else {}
    attachment = content.get("attachment") or {}
    base = "DocumentReference.content[0].attachment"
    content_type = attachment.get("contentType") or ""
    if issues.required(f"{base}.contentType", content_type) and content_type not in SUPPORTED_CONTENT_TYPES:
        issues.add(f"{base}.contentType", f"unsupported format {content_type!r}", "not-supported")
    issues.required(f"{base}.title", attachment.get("title"))
    if simplified:
        issues.required(f"{base}.data", attachment.get("data"))
        if attachment.get("url"):
            issues.add(f"{base}.url", "url is not allowed in a simplified publish (0..0)")
    else:
        issues.required(f"{base}.language", attachment.get("language"))
        issues.required(f"{base}.url", attachment.get("url"))
        issues.required(f"{base}.size", attachment.get("size"))
        issues.required(f"{base}.hash", attachment.get("hash"))
        if attachment.get("data"):
            issues.add(f"{base}.data", "data is not allowed here: the content goes in a Binary entry (0..0)")
    creation = check_date(issues, f"{base}.creation", attachment.get("creation"), required=not simplified)
    format_code = _format(issues, warnings, content) if not simplified or content.get("format") else ""
    context = resource.get("context") or {}
    period = context.get("period") or {}
    required_context = not simplified
    period_start = check_date(
        issues, "DocumentReference.context.period.start", period.get("start"), required=required_context
    )
    period_end = check_date(issues, "DocumentReference.context.period.end", period.get("end"), required=False)
    _, facility = check_coding(
        issues,
        "DocumentReference.context.facilityType",
        context.get("facilityType"),
        codes.facility_codes(),
        required=required_context,
    )
    _, setting = check_coding(
        issues,
        "DocumentReference.context.practiceSetting",
        context.get("practiceSetting"),
        codes.practice_codes(),
        required=required_context,
    )
    if required_context:
        resolve_contained(
            issues,
            "DocumentReference.context.sourcePatientInfo",
            context.get("sourcePatientInfo"),
            contained,
            frozenset({"Patient"}),
        )
    events = [first_coding(e).get("code", "") for e in context.get("event") or []]
    replaces, relation_codes = _relates(issues, resource, warnings)
    if issues:
        return None, issues
    return (
        DocumentFacts(
            resource=resource,
            patient_system=system,
            patient_ins=ins,
            unique_id=str(master.get("value") or ""),
            type_system=type_system,
            type_code=type_code,
            class_code=class_code,
            format_code=format_code,
            facility_code=facility,
            setting_code=setting,
            security=security,
            event_codes=[e for e in events if e],
            related=[
                str((r.get("identifier") or {}).get("value") or "") for r in context.get("related") or []
            ],
            date=date,
            creation=creation or date,
            period_start=period_start or date,
            period_end=period_end,
            authors=authors,
            author_names=names,
            content_type=content_type,
            size=attachment.get("size"),
            hash=attachment.get("hash"),
            url=attachment.get("url"),
            data=attachment.get("data"),
            replaces=replaces,
            relation_codes=relation_codes,
            is_archived=_archived(resource),
            warnings=warnings,
        ),
        issues,
    )
