"""ITI-65 Provide Document Bundle: from a transaction Bundle to a checked plan of what to store. Pure.

Every entry is checked (FHIR structure, PDSm profile, DMP value sets, references inside the bundle,
hash and size of each Binary, CDA cross-checks) before anything is written, so the store applies a
plan that is already known to be whole: all-or-nothing (dmp.md §3).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from services.kernel.errors import BadRequest

from .cda import check_cda
from .documents import CDA_CONTENT_TYPES, DocumentFacts, check_document
from .elements import check_structure
from .issues import Issues
from .submission import check_submission_set, list_kind


@dataclass
class PlannedDocument:
    entry: int
    id: str
    facts: DocumentFacts
    binary_id: str
    full_url: str = ""


@dataclass
class PlannedBinary:
    entry: int
    id: str
    content_type: str
    data: bytes


@dataclass
class PlannedPatch:
    entry: int
    target_id: str


@dataclass
class Submission:
    """A whole, checked ITI-65 submission; ``patient`` is (INS system, INS)."""

    patient: tuple[str, str]
    set_entry: int
    set_id: str
    set_resource: dict[str, Any]
    set_unique_id: str
    date: str
    documents: list[PlannedDocument] = field(default_factory=list)
    binaries: list[PlannedBinary] = field(default_factory=list)
    patches: list[PlannedPatch] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def new_id() -> str:
    return str(uuid.uuid4())


def sha1_base64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha1(data).digest()).decode()


def decode_base64(issues: Issues, path: str, value: Any) -> bytes:
    try:
        return base64.b64decode(str(value or ""), validate=True)
    except (binascii.Error, ValueError):
        issues.add(path, "not valid base64", "value")
        return b""


def _structure(issues: Issues, index: int, resource: Any) -> dict[str, Any] | None:
    """The entry's resource if fhir.resources accepts its structure, contained resources included
    (fhir.resources does not descend into a Bundle's entries nor into ``contained``)."""
    base = f"Bundle.entry[{index}].resource"
    if not isinstance(resource, dict):
        issues.add(base, "each entry carries a resource", "required")
        return None
    contained = resource.get("contained") if isinstance(resource.get("contained"), list) else []
    parts = [(base, resource)] + [
        (f"{base}.contained[{i}]", item) for i, item in enumerate(contained) if isinstance(item, dict)
    ]
    valid = [check_structure(issues, where, part) for where, part in parts]
    return resource if all(valid) else None


def _shell(bundle: dict[str, Any]) -> None:
    """The Bundle's own structure (entries, requests, fullUrls), its entries' resources set aside."""
    issues = Issues()
    entries = bundle.get("entry")
    shell = dict(bundle)
    if isinstance(entries, list):
        shell["entry"] = [
            {k: v for k, v in entry.items() if k != "resource"} if isinstance(entry, dict) else entry
            for entry in entries
        ]
    check_structure(issues, "Bundle", shell)
    issues.raise_if_any()


def _patch_target(issues: Issues, index: int, entry: dict[str, Any], resource: dict[str, Any]) -> str:
    """The id of the document an UpdateDocumentRefs entry deprecates (MHD Patch Parameters)."""
    base = f"Bundle.entry[{index}]"
    url = str((entry.get("request") or {}).get("url") or "")
    if not url.startswith("DocumentReference/") or not url.removeprefix("DocumentReference/"):
        issues.add(f"{base}.request.url", "an update entry targets DocumentReference/<id>", "value")
        return ""
    parts = {
        p.get("name"): p
        for parameter in resource.get("parameter") or []
        if parameter.get("name") == "operation"
        for p in parameter.get("part") or []
    }
    operation = (
        (parts.get("type") or {}).get("valueCode"),
        (parts.get("path") or {}).get("valueString"),
        (parts.get("value") or {}).get("valueCode"),
    )
    if operation != ("replace", "DocumentReference.status", "superseded"):
        issues.add(
            f"{base}.resource.parameter",
            "the only update allowed in a bundle is replace DocumentReference.status with superseded",
            "not-supported",
        )
    return url.removeprefix("DocumentReference/")


def plan_bundle(bundle: Any) -> Submission:
    """Check a Provide Document Bundle; BadRequest / Unprocessable naming every faulty element."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BadRequest("ITI-65 expects a Bundle", expression=["Bundle"], fhir_code="structure")
    if bundle.get("type") != "transaction":
        raise BadRequest("the Bundle type must be transaction", expression=["Bundle.type"], fhir_code="value")
    _shell(bundle)
    entries = bundle.get("entry") or []
    if not isinstance(entries, list) or not entries:
        raise BadRequest("the Bundle has no entry", expression=["Bundle.entry"], fhir_code="required")
    issues = Issues()
    sets, documents, binaries, patches = [], [], {}, []
    for index, entry in enumerate(entries):
        resource = _structure(issues, index, (entry or {}).get("resource"))
        if resource is None:
            continue
        method = str(((entry or {}).get("request") or {}).get("method") or "")
        kind = resource["resourceType"]
        base = f"Bundle.entry[{index}]"
        if kind == "Parameters" and method == "PATCH":
            patches.append(PlannedPatch(index, _patch_target(issues, index, entry, resource)))
        elif method != "POST":
            issues.add(f"{base}.request.method", f"{kind} entries are created with POST", "not-supported")
        elif kind == "List" and list_kind(resource) == "submissionset":
            sets.append((index, resource))
        elif kind == "List":
            issues.add(
                f"{base}.resource",
                "folders are not supported by the DMP (PartialFolderContentNotProcessed)",
                "not-supported",
            )
        elif kind == "DocumentReference":
            documents.append((index, resource))
        elif kind == "Binary":
            binaries[str(entry.get("fullUrl") or "")] = (index, resource)
        elif kind == "Bundle":
            issues.add(
                f"{base}.resource",
                "FHIRDocumentNotSupported: the ITI-65 FHIR Document Publish option is not supported",
                "not-supported",
            )
        else:
            issues.add(
                f"{base}.resource", f"{kind} is not allowed in a Provide Document Bundle", "not-supported"
            )
    if len(sets) != 1:
        issues.add(
            "Bundle.entry", "exactly one submission set (List, code submissionset) is required", "required"
        )
    if not documents:
        issues.add("Bundle.entry", "at least one DocumentReference is required (PDSm)", "required")
    issues.raise_if_any()
    set_index, set_resource = sets[0]
    patient, date, set_issues = check_submission_set(set_resource)
    set_issues.rebase("List", f"Bundle.entry[{set_index}].resource")
    issues.extend(set_issues)
    plan = Submission(
        patient=patient,
        set_entry=set_index,
        set_id=new_id(),
        set_resource=set_resource,
        set_unique_id=next(
            (str(i.get("value")) for i in set_resource.get("identifier") or [] if i.get("value")), ""
        ),
        date=date,
        patches=patches,
    )
    full_urls = {str(entries[i].get("fullUrl") or ""): i for i, _ in documents}
    for j, item in enumerate(set_resource.get("entry") or []):
        ref = (item.get("item") or {}).get("reference") or ""
        if ref not in full_urls:
            issues.add(
                f"Bundle.entry[{set_index}].resource.entry[{j}].item",
                f"dangling reference {ref!r}",
                "not-found",
            )
    used: set[str] = set()
    for index, resource in documents:
        _plan_document(issues, plan, index, resource, binaries, used)
        if plan.documents and plan.documents[-1].entry == index:
            plan.documents[-1].full_url = str(entries[index].get("fullUrl") or "")
    for full_url, (index, _) in binaries.items():
        if full_url not in used and not issues:
            issues.add(
                f"Bundle.entry[{index}]", "this Binary is referenced by no DocumentReference", "invalid"
            )
    replaced = {d.facts.replaces for d in plan.documents if d.facts.replaces}
    for patch in plan.patches:
        if patch.target_id and patch.target_id not in replaced:
            issues.add(
                f"Bundle.entry[{patch.entry}].request.url",
                "no DocumentReference of the bundle replaces this one",
                "invalid",
            )
    patched = {p.target_id for p in plan.patches}
    for document in plan.documents:
        target = document.facts.replaces
        if target and not target.startswith("identifier:") and target not in patched:
            issues.add(
                f"Bundle.entry[{document.entry}].resource.relatesTo[0]",
                "a replacement must deprecate the old document in the same bundle (PATCH status superseded)",
                "required",
            )
    issues.raise_if_any()
    return plan


def _plan_document(
    issues: Issues,
    plan: Submission,
    index: int,
    resource: dict[str, Any],
    binaries: dict[str, tuple[int, dict[str, Any]]],
    used: set[str],
) -> None:
    base = f"Bundle.entry[{index}].resource"
    facts, found = check_document(resource)
    found.rebase("DocumentReference", base)
    issues.extend(found)
    if facts is None:
        return
    plan.warnings.extend(w.replace("DocumentReference", base, 1) for w in facts.warnings)
    if (facts.patient_system, facts.patient_ins) != plan.patient:
        issues.add(
            f"{base}.subject",
            "every document of a submission is about the submission set's patient",
            "invalid",
        )
    url = facts.url or ""
    if url not in binaries:
        issues.add(
            f"{base}.content[0].attachment.url",
            f"dangling reference {url!r}: no Binary entry with that fullUrl",
            "not-found",
        )
        return
    binary_index, binary = binaries[url]
    used.add(url)
    data = decode_base64(issues, f"Bundle.entry[{binary_index}].resource.data", binary.get("data"))
    if binary.get("contentType") != facts.content_type:
        issues.add(
            f"{base}.content[0].attachment.contentType", "differs from the Binary's contentType", "invalid"
        )
    if facts.size != len(data):
        issues.add(
            f"{base}.content[0].attachment.size",
            f"declared {facts.size} bytes, the Binary has {len(data)}",
            "invalid",
        )
    if facts.hash != sha1_base64(data):
        issues.add(
            f"{base}.content[0].attachment.hash", "is not the SHA-1 (base64) of the Binary's bytes", "invalid"
        )
    if facts.content_type in CDA_CONTENT_TYPES and data:
        issues.extend(
            check_cda(
                data, base=base, ins=facts.patient_ins, type_code=facts.type_code, authors=facts.authors
            )
        )
    binary_id = new_id()
    plan.binaries.append(PlannedBinary(binary_index, binary_id, facts.content_type, data))
    plan.documents.append(PlannedDocument(index, new_id(), facts, binary_id))


def plan_simplified(resource: Any) -> Submission:
    """ITI-105: one DocumentReference with its content inline, checked like a one-document bundle."""
    if not isinstance(resource, dict) or resource.get("resourceType") != "DocumentReference":
        raise BadRequest(
            "ITI-105 expects a DocumentReference", expression=["DocumentReference"], fhir_code="structure"
        )
    issues = Issues()
    _structure(issues, 0, resource)
    issues.rebase("Bundle.entry[0].resource", "DocumentReference")
    issues.raise_if_any()
    facts, found = check_document(resource, simplified=True)
    found.raise_if_any()
    assert facts is not None  # check_document gives facts whenever it found no issue
    base = "DocumentReference.content[0].attachment"
    data = decode_base64(issues, f"{base}.data", facts.data)
    if facts.size is not None and facts.size != len(data):
        issues.add(f"{base}.size", f"declared {facts.size} bytes, the data has {len(data)}", "invalid")
    if facts.hash is not None and facts.hash != sha1_base64(data):
        issues.add(f"{base}.hash", "is not the SHA-1 (base64) of the data", "invalid")
    if facts.content_type in CDA_CONTENT_TYPES and data:
        issues.extend(
            check_cda(
                data,
                base="DocumentReference",
                ins=facts.patient_ins,
                type_code=facts.type_code,
                authors=facts.authors,
            )
        )
    issues.raise_if_any()
    facts.size, facts.hash = len(data), sha1_base64(data)
    plan = Submission(
        patient=(facts.patient_system, facts.patient_ins),
        set_entry=0,
        set_id=new_id(),
        set_resource={},
        set_unique_id="",
        date=facts.date,
    )
    binary_id = new_id()
    plan.binaries.append(PlannedBinary(0, binary_id, facts.content_type, data))
    plan.documents.append(PlannedDocument(0, new_id(), facts, binary_id))
    return plan
