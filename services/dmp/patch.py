"""Metadata updates (PDSm Flux 03, DMP TD3.3a–d): a JSON Patch or FHIRPath Patch as a typed change. Pure.

Only ``status``, ``securityLabel`` and the ``isArchived`` extension may change; any other path is
405 (PDSm st_maj.md). Security labels follow add/remove semantics (dmp.md §16.3): a TRE_A07 code is
added in front of the labels, and "replace a visibility label with N" removes that label while the
N/R/V level stays. So the P4D calls (``replace /securityLabel/0``) mask and unmask as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from services.kernel.errors import BadRequest, MethodNotAllowed, Unprocessable

from . import codes
from .elements import check_structure
from .issues import Issues


@dataclass
class MetadataChange:
    status: str | None = None
    add: list[str] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)
    level: str | None = None
    archived: bool | None = None

    @property
    def deletes(self) -> bool:
        return self.status == "entered-in-error"


def _code_of(value: Any, path: str) -> str:
    """The code of a Coding or CodeableConcept in J58 (TRE_A07 / TRE_A08 / HL7 confidentiality)."""
    coding = value
    if isinstance(value, dict) and "coding" in value:
        coding = (value.get("coding") or [{}])[0]
    if not isinstance(coding, dict):
        raise BadRequest("a security label is a Coding or a CodeableConcept", expression=[path])
    pair = (coding.get("system") or "", coding.get("code") or "")
    if pair not in codes.confidentiality_codes():
        raise Unprocessable(
            f"{pair[0]}#{pair[1]} is not in JDV_J58", expression=[path], fhir_code="code-invalid"
        )
    return pair[1]


def _not_allowed(path: str) -> MethodNotAllowed:
    return MethodNotAllowed(
        f"{path!r} cannot be changed: only status, securityLabel and the isArchived extension (PDSm)",
        expression=[path],
    )


def _label(change: MetadataChange, op: str, index: int | None, code: str, current: list[str]) -> None:
    if code in codes.VISIBILITY_CODES:
        if op == "remove":
            change.remove.append(code)
        else:
            change.add.append(code)
        return
    existing = current[index] if index is not None and index < len(current) else None
    if existing in codes.VISIBILITY_CODES:
        change.remove.append(existing)
    else:
        change.level = code


def from_json_patch(
    operations: Any, current_labels: list[str], current_extensions: list[dict[str, Any]]
) -> MetadataChange:
    """A change from RFC 6902 operations against the document's current labels and extensions."""
    if not isinstance(operations, list) or not operations:
        raise BadRequest("a JSON Patch is a non-empty array of operations", expression=["PATCH"])
    change = MetadataChange()
    for operation in operations:
        if not isinstance(operation, dict):
            raise BadRequest("each JSON Patch operation is an object", expression=["PATCH"])
        op, path, value = operation.get("op"), str(operation.get("path") or ""), operation.get("value")
        if op not in ("add", "replace", "remove"):
            raise MethodNotAllowed(f"JSON Patch op {op!r} is not supported here", expression=[path])
        if path == "/status" and op == "replace":
            change.status = str(value)
        elif path.startswith("/securityLabel"):
            tail = path.removeprefix("/securityLabel").strip("/")
            index = int(tail) if tail.isdigit() else None
            if op == "remove":
                if index is None or index >= len(current_labels):
                    raise Unprocessable("no security label at that index", expression=[path])
                code = current_labels[index]
                if code not in codes.VISIBILITY_CODES:
                    raise Unprocessable(
                        "the confidentiality level (N/R/V) cannot be removed", expression=[path]
                    )
                change.remove.append(code)
            else:
                _label(change, op, index, _code_of(value, path), current_labels)
        elif path.startswith("/extension") and _archive_path(path, current_extensions, value):
            change.archived = _archive_value(value, path)
        else:
            raise _not_allowed(path)
    return change


def _archive_path(path: str, extensions: list[dict[str, Any]], value: Any) -> bool:
    if codes.IS_ARCHIVED in path:
        return True
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(extensions):
        return extensions[int(parts[1])].get("url") == codes.IS_ARCHIVED
    return isinstance(value, dict) and value.get("url") == codes.IS_ARCHIVED


def _archive_value(value: Any, path: str) -> bool:
    if isinstance(value, dict):
        value = value.get("valueBoolean")
    if not isinstance(value, bool):
        raise BadRequest("isArchived takes a boolean", expression=[path])
    return value


_WHERE_CODE = re.compile(r"securityLabel\.where\((?:coding\.)?code\s*=\s*'([^']+)'\)")


def from_fhirpath_patch(parameters: dict[str, Any], current_labels: list[str]) -> MetadataChange:
    """A change from a FHIRPath Patch ``Parameters`` resource (operation parts type/path/name/value)."""
    change = MetadataChange()
    issues = Issues()
    if not check_structure(issues, "Parameters", parameters):
        issues.raise_if_any()
    operations = [p for p in parameters.get("parameter") or [] if p.get("name") == "operation"]
    if not operations:
        raise BadRequest("a FHIRPath Patch has operation parameters", expression=["Parameters.parameter"])
    for i, operation in enumerate(operations):
        parts = {p.get("name"): p for p in operation.get("part") or []}
        kind = (parts.get("type") or {}).get("valueCode")
        path = str((parts.get("path") or {}).get("valueString") or "")
        name = (parts.get("name") or {}).get("valueString")
        value_part = parts.get("value") or {}
        value = next((v for k, v in value_part.items() if k.startswith("value")), None)
        where = f"Parameters.parameter[{i}]"
        if kind == "replace" and path == "DocumentReference.status":
            change.status = str(value)
        elif kind == "add" and path == "DocumentReference" and name == "securityLabel":
            _label(change, "add", None, _code_of(value, where), current_labels)
        elif kind == "delete" and (match := _WHERE_CODE.search(path)):
            if match.group(1) not in codes.VISIBILITY_CODES:
                raise Unprocessable("the confidentiality level (N/R/V) cannot be removed", expression=[where])
            change.remove.append(match.group(1))
        elif kind == "replace" and "extension" in path and codes.IS_ARCHIVED in path:
            change.archived = _archive_value(value, where)
        else:
            raise _not_allowed(path or where)
    return change


def apply_labels(current: list[str], change: MetadataChange) -> list[str]:
    """The security-label codes after the change: visibility codes first, then the N/R/V level."""
    visibility = [c for c in current if c in codes.VISIBILITY_CODES]
    levels = [c for c in current if c not in codes.VISIBILITY_CODES]
    for code in change.add:
        if code not in visibility:
            visibility.insert(0, code)
    visibility = [c for c in visibility if c not in change.remove]
    if change.level:
        levels = [change.level]
    return visibility + (levels or ["N"])
