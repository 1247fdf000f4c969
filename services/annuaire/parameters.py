"""The search parameters of each resource type (spec C3; IG CapabilityStatement v2) and what they index.

Each parameter names its FHIR type and a function that pulls its values out of a resource: strings for
``string``, ``(system, code)`` pairs for ``token``, ``Type/id`` for ``reference``. The store writes these
values into indexed rows when a resource is saved, and searches only those rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from services.kernel.traits import fold

from .codes import DATA_TRACE_EXT, PHARMACY_LICENCE_EXT, SMARTCARD_EXT
from .mailboxes import is_mailbox

Kind = Literal["string", "token", "reference"]
Resource = dict[str, Any]
Value = str | tuple[str, str]


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: Kind
    extract: Callable[[Resource], Iterable[Value]]


def _codings(concepts: Iterable[Resource | None]) -> Iterator[tuple[str, str]]:
    for concept in concepts:
        for coding in (concept or {}).get("coding", ()):
            if coding.get("code"):
                yield coding.get("system", ""), coding["code"]


def _extensions(element: Resource, url: str) -> Iterator[Resource]:
    return (ext for ext in element.get("extension", ()) if ext.get("url") == url)


def _sub(extension: Resource, url: str) -> Iterator[Resource]:
    return (ext for ext in extension.get("extension", ()) if ext.get("url") == url)


def _identifiers(r: Resource) -> Iterator[tuple[str, str]]:
    return ((i.get("system", ""), i["value"]) for i in r.get("identifier", ()) if i.get("value"))


def _identifier_types(r: Resource) -> Iterator[tuple[str, str]]:
    return _codings(i.get("type") for i in r.get("identifier", ()))


OF_TYPE = "identifier-of-type"
"""Index of ``identifier:of-type`` (FHIR R4 §3.1.1.5.12): ``(type system, "type code|value")`` per
identifier, so type and value match within one identifier. Reached only through the modifier."""


def _typed_identifiers(r: Resource) -> Iterator[tuple[str, str]]:
    for identifier in r.get("identifier", ()):
        if identifier.get("value"):
            for system, code in _codings([identifier.get("type")]):
                yield system, f"{code}|{identifier['value']}"


def _active(r: Resource) -> list[tuple[str, str]]:
    return [("", "true" if r.get("active", True) else "false")]


def _mailboxes(r: Resource) -> Iterator[str]:
    return (t["value"] for t in r.get("telecom", ()) if is_mailbox(t) and t.get("value"))


def _information_system(r: Resource) -> Iterator[tuple[str, str]]:
    for trace in _extensions(r.get("meta", {}), DATA_TRACE_EXT):
        for sub in _sub(trace, "systeme-information"):
            yield "", sub["valueCode"]


def _registration_authority(r: Resource) -> Iterator[tuple[str, str]]:
    for trace in _extensions(r.get("meta", {}), DATA_TRACE_EXT):
        yield from _codings(sub.get("valueCodeableConcept") for sub in _sub(trace, "autorite-enregistrement"))


def _names(r: Resource, *parts: str) -> Iterator[str]:
    for name in r.get("name", ()):
        for part in parts:
            value = name.get(part)
            yield from (value if isinstance(value, list) else [value] if value else [])


def _smartcards(r: Resource, field: str) -> Iterator[Any]:
    for card in _extensions(r, SMARTCARD_EXT):
        for sub in _sub(card, field):
            yield sub.get("valueString") or sub.get("valueCodeableConcept")


def _addresses(r: Resource, *parts: str) -> Iterator[str]:
    for address in r.get("address", ()):
        for part in parts:
            value = address.get(part)
            yield from (value if isinstance(value, list) else [value] if value else [])


def _reference(element: Resource | None) -> list[str]:
    return [element["reference"]] if element and element.get("reference") else []


def _common() -> list[Parameter]:
    return [
        Parameter("data-information-system", "token", _information_system),
        Parameter("data-registration-authority", "token", _registration_authority),
    ]


PARAMETERS: dict[str, dict[str, Parameter]] = {
    resource_type: {p.name: p for p in [*_common(), *params]}
    for resource_type, params in {
        "Practitioner": [
            Parameter("active", "token", _active),
            Parameter("identifier", "token", _identifiers),
            Parameter("identifier-type", "token", _identifier_types),
            Parameter(OF_TYPE, "token", _typed_identifiers),
            Parameter("family", "string", lambda r: _names(r, "family")),
            Parameter("given", "string", lambda r: _names(r, "given")),
            Parameter("name", "string", lambda r: _names(r, "family", "given", "prefix", "suffix", "text")),
            Parameter("mailbox-mss", "string", _mailboxes),
            Parameter("number-smartcard", "string", lambda r: _smartcards(r, "number")),
            Parameter("type-smartcard", "token", lambda r: _codings(_smartcards(r, "type"))),
            Parameter(
                "qualification-code",
                "token",
                lambda r: _codings(q.get("code") for q in r.get("qualification", ())),
            ),
        ],
        "PractitionerRole": [
            Parameter("active", "token", _active),
            Parameter("identifier", "token", _identifiers),
            Parameter("mailbox-mss", "string", _mailboxes),
            Parameter("organization", "reference", lambda r: _reference(r.get("organization"))),
            Parameter("practitioner", "reference", lambda r: _reference(r.get("practitioner"))),
            Parameter("role", "token", lambda r: _codings(r.get("code", ()))),
        ],
        "Organization": [
            Parameter("active", "token", _active),
            Parameter("identifier", "token", _identifiers),
            Parameter("identifier-type", "token", _identifier_types),
            Parameter(OF_TYPE, "token", _typed_identifiers),
            Parameter("name", "string", lambda r: [r["name"], *r.get("alias", ())] if r.get("name") else []),
            Parameter("mailbox-mss", "string", _mailboxes),
            Parameter(
                "address", "string", lambda r: _addresses(r, "line", "city", "postalCode", "country", "text")
            ),
            Parameter("address-city", "string", lambda r: _addresses(r, "city")),
            Parameter("address-line", "string", lambda r: _addresses(r, "line")),
            Parameter("address-postalcode", "string", lambda r: _addresses(r, "postalCode")),
            Parameter("partof", "reference", lambda r: _reference(r.get("partOf"))),
            Parameter(
                "pharmacy-licence",
                "string",
                lambda r: (e["valueString"] for e in _extensions(r, PHARMACY_LICENCE_EXT)),
            ),
            Parameter("type", "token", lambda r: _codings(r.get("type", ()))),
        ],
        "HealthcareService": [
            Parameter("active", "token", _active),
            Parameter("identifier", "token", _identifiers),
            Parameter("organization", "reference", lambda r: _reference(r.get("providedBy"))),
            Parameter("characteristic", "token", lambda r: _codings(r.get("characteristic", ()))),
            Parameter("service-category", "token", lambda r: _codings(r.get("category", ()))),
            Parameter("service-type", "token", lambda r: _codings(r.get("type", ()))),
        ],
        "Device": [
            Parameter("identifier", "token", _identifiers),
            Parameter("type", "token", lambda r: _codings([r.get("type")])),
            Parameter("status", "token", lambda r: [("", r["status"])] if r.get("status") else []),
            Parameter(
                "manufacturer", "string", lambda r: [r["manufacturer"]] if r.get("manufacturer") else []
            ),
            Parameter("model", "string", lambda r: [r["modelNumber"]] if r.get("modelNumber") else []),
            Parameter("organization", "reference", lambda r: _reference(r.get("owner"))),
        ],
    }.items()
}

INCLUDES: dict[str, tuple[str, ...]] = {
    "Practitioner": (),
    "PractitionerRole": ("PractitionerRole:organization", "PractitionerRole:practitioner"),
    "Organization": ("Organization:partof",),
    "HealthcareService": ("HealthcareService:organization",),
    "Device": ("Device:organization",),
}
"""``_include`` values each type accepts besides ``*`` (all of its own reference parameters)."""

REVINCLUDES: dict[str, tuple[str, ...]] = {
    "Practitioner": ("PractitionerRole:practitioner",),
    "PractitionerRole": (),
    "Organization": (
        "Device:organization",
        "HealthcareService:organization",
        "PractitionerRole:organization",
    ),
    "HealthcareService": (),
    "Device": (),
}

RESOURCE_TYPES = tuple(sorted(PARAMETERS))


def index_values(resource: Resource) -> Iterator[tuple[str, str, str, str]]:
    """``(param, system, value, exact)`` rows of a resource: ``value`` folded for strings, ``exact`` the
    string as published (only strings have an ``:exact``)."""
    for parameter in PARAMETERS[resource["resourceType"]].values():
        for value in parameter.extract(resource):
            if parameter.kind == "token":
                system, code = value
                yield parameter.name, system, code, ""
            else:
                text = str(value)
                normalised = fold(text) if parameter.kind == "string" else text
                yield parameter.name, "", normalised, text
