"""DMP records as a person reads them: FHIR DocumentReferences and AuditEvents turned into rows. Pure.

Field choices follow IHE MHD / ANS PDSm (dmp.md §10): type and class from J66/J57, visibility from the
TRE_A07 security labels (MASQUE_PS, INVISIBLE_PATIENT...), versions from ``meta.versionId`` and the
``relatesTo`` replace chain, archiving from the PDSm ``isArchived`` extension.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .codes import label

VISIBILITY = {
    "MASQUE_PS": "masqué aux professionnels",
    "INVISIBLE_PATIENT": "invisible au patient",
    "INVISIBLE_REPRESENTANTS_LEGAUX": "invisible aux représentants légaux",
    "N": "normal",
    "R": "restreint",
    "V": "très restreint",
}
ARCHIVED_SUFFIX = "pdsm-ext-is-archived"


def patient_identifier(oid: str, ins: str) -> str:
    """The ``patient.identifier`` token of an ITI-67 query (dmp.md §5: ``urn:oid:<INS OID>|<INS>``)."""
    return f"urn:oid:{oid}|{ins}"


def _display(concept: dict[str, Any] | None) -> str:
    if not concept:
        return ""
    coding = (concept.get("coding") or [{}])[0]
    code = str(coding.get("code") or "")
    return str(concept.get("text") or coding.get("display") or label(code) or code)


def _human_name(resource: dict[str, Any]) -> str:
    name = (resource.get("name") or [{}])[0]
    parts = [*name.get("prefix", []), *name.get("given", []), name.get("family", "")]
    return " ".join(part for part in parts if part)


def author_name(document: dict[str, Any]) -> str:
    """The first author: a contained Practitioner/PractitionerRole, or the reference's display."""
    contained = {f"#{c.get('id')}": c for c in document.get("contained") or []}
    for author in document.get("author") or []:
        target = contained.get(author.get("reference", ""))
        if target and target.get("resourceType") == "PractitionerRole":
            target = contained.get((target.get("practitioner") or {}).get("reference", ""), target)
        if target and _human_name(target):
            return _human_name(target)
        if author.get("display"):
            return str(author["display"])
        identifier = (author.get("identifier") or {}).get("value")
        if identifier:
            return str(identifier)
    return ""


@dataclass(frozen=True)
class DocumentRow:
    id: str
    title: str
    type: str
    category: str
    author: str
    date: str
    status: str
    visibility: list[str]
    version: str
    archived: bool
    replaces: str
    content_type: str
    url: str


def document_row(document: dict[str, Any]) -> DocumentRow:
    labels = [
        (label.get("coding") or [{}])[0].get("code", "") for label in document.get("securityLabel") or []
    ]
    attachment = ((document.get("content") or [{}])[0]).get("attachment") or {}
    archived = any(
        str(e.get("url", "")).endswith(ARCHIVED_SUFFIX) and e.get("valueBoolean")
        for e in document.get("extension") or []
    )
    replaces = next(
        (
            (r.get("target") or {}).get("reference", "")
            or ((r.get("target") or {}).get("identifier") or {}).get("value", "")
            for r in document.get("relatesTo") or []
            if r.get("code") == "replaces"
        ),
        "",
    )
    return DocumentRow(
        id=str(document.get("id", "")),
        title=str(attachment.get("title") or document.get("description") or _display(document.get("type"))),
        type=_display(document.get("type")),
        category=_display((document.get("category") or [None])[0]),
        author=author_name(document),
        date=str(document.get("date", "")),
        status=str(document.get("status", "")),
        visibility=[VISIBILITY.get(code, code) for code in labels if code],
        version=str((document.get("meta") or {}).get("versionId", "")),
        archived=archived,
        replaces=replaces.removeprefix("DocumentReference/"),
        content_type=str(attachment.get("contentType", "")),
        url=str(attachment.get("url", "")),
    )


def bundle_resources(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        entry["resource"]
        for entry in bundle.get("entry") or []
        if (entry.get("resource") or {}).get("resourceType") == resource_type
    ]


@dataclass(frozen=True)
class AccessRow:
    recorded: str
    action: str
    subtype: str
    who: str
    client: str
    mode: str
    outcome: str
    documents: list[str]


ACTIONS = {"C": "création", "R": "lecture", "U": "modification", "D": "suppression", "E": "exécution"}


def access_row(event: dict[str, Any]) -> AccessRow:
    agents = event.get("agent") or []
    person = next((a for a in agents if a.get("requestor")), agents[0] if agents else {})
    others = [a for a in agents if a is not person]
    who = person.get("who") or {}
    purpose = (person.get("purposeOfUse") or [{}])[0]
    return AccessRow(
        recorded=str(event.get("recorded", "")),
        action=ACTIONS.get(str(event.get("action", "")), str(event.get("action", ""))),
        subtype=", ".join(str(s.get("code", "")) for s in event.get("subtype") or []),
        who=str((who.get("identifier") or {}).get("value") or who.get("display") or ""),
        client=", ".join(str((a.get("who") or {}).get("display", "")) for a in others),
        mode=str(((purpose.get("coding") or [{}])[0]).get("code", "")),
        outcome=str(event.get("outcome", "")),
        documents=[
            str((e.get("what") or {}).get("reference", "")).removeprefix("DocumentReference/")
            for e in event.get("entity") or []
            if (e.get("what") or {}).get("reference")
        ],
    )


def is_text(content_type: str) -> bool:
    """Whether the console can show the document inline (CDA, FHIR, plain text) rather than offer a download."""
    base = content_type.split(";")[0].strip().lower()
    return base.startswith("text/") or base.endswith(("+xml", "/xml", "+json", "/json"))
