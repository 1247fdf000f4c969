"""Read a FHIR search (query string or ``_search`` form) into a :class:`Search`, refusing what is unknown.

Like the live API (HAPI FHIR behind the gateway), an unknown parameter, modifier or malformed value is a
400 OperationOutcome rather than silently ignored: a client that misspells ``mailbox-mss`` learns it at
once instead of receiving the whole directory. Values follow FHIR R4 search: comma = OR, repeated
parameter = AND; strings match case- and accent-insensitively from the start (``:contains`` anywhere,
``:exact`` as published; ``name:family``/``name:given`` narrow a Practitioner name, spec C3), except
``mailbox-mss`` which matches the whole address by default (an address lookup, as MSSanté uses it;
``:contains`` for a fragment). A reference parameter chains one level (``practitioner.identifier=…``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.kernel.errors import BadRequest
from services.kernel.traits import fold

from .parameters import INCLUDES, OF_TYPE, PARAMETERS, REVINCLUDES

DEFAULT_COUNT = 50
MAX_COUNT = 1000
MAX_ALTERNATIVES = 100
"""Values of one parameter (comma = OR): enough for any batch lookup, and a bound on the SQL built."""
MAX_CRITERIA = 30
REFERENCE_TARGETS = {"organization": "Organization", "practitioner": "Practitioner", "partof": "Organization"}
MODIFIERS = {"string": {"", "exact", "contains", "text"}, "token": {""}, "reference": {""}}
DATE_PREFIXES = ("eq", "ne", "gt", "ge", "lt", "le")
STANDARD = ("_id", "_lastUpdated", "_profile")
"""Parameters of every resource answered from the resource row itself, not the index."""
IGNORED = {"_format", "_pretty", "_totalMethod"}
"""Accepted without effect: the API answers JSON either way and always counts exactly (fhirpy's
``count()`` sends ``_totalMethod``)."""


@dataclass(frozen=True)
class TokenValue:
    system: str | None
    """None: any system; "": no system."""
    code: str | None


@dataclass(frozen=True)
class DateRange:
    prefix: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Criterion:
    param: str
    kind: str
    """string, token, reference, id, date, profile or chain."""
    modifier: str
    values: tuple[str | TokenValue | DateRange | Chain, ...]
    """Alternatives (OR); a chain has one value."""


@dataclass(frozen=True)
class Chain:
    """``practitioner.identifier=…``: the reference must point at a ``target`` that ``criterion`` selects."""

    target: str
    criterion: Criterion


@dataclass(frozen=True)
class Search:
    resource_type: str
    criteria: tuple[Criterion, ...]
    count: int
    includes: tuple[tuple[str, str], ...]
    """(source type, reference parameter) pairs whose targets join the page."""
    revincludes: tuple[tuple[str, str], ...]
    elements: tuple[str, ...]
    with_total: bool
    only_total: bool
    query: tuple[tuple[str, str], ...]
    """The parameters as received, for the ``self`` link and the next pages."""


def _token(raw: str) -> TokenValue:
    if "|" not in raw:
        return TokenValue(None, raw)
    system, code = raw.split("|", 1)
    if not system and not code:
        raise BadRequest("a token value cannot be a lone '|'")
    return TokenValue(system, code or None)


def _of_type(raw: str) -> TokenValue:
    """``identifier:of-type=[type system]|[type code]|[value]``."""
    parts = raw.split("|")
    if len(parts) != 3 or not parts[1] or not parts[2]:
        raise BadRequest(
            f"identifier:of-type takes system|type-code|value, not {raw!r}", expression=["identifier"]
        )
    return TokenValue(parts[0] or None, f"{parts[1]}|{parts[2]}")


def _reference(raw: str, param: str) -> str:
    target = REFERENCE_TARGETS[param]
    parts = raw.rstrip("/").split("/")
    if len(parts) >= 2 and parts[-2] == target:
        return f"{target}/{parts[-1]}"
    if len(parts) == 1 and parts[0]:
        return f"{target}/{parts[0]}"
    raise BadRequest(f"{param}: {raw!r} is not a reference to a {target}", expression=[param])


def _date(raw: str) -> DateRange:
    prefix = raw[:2] if raw[:2] in DATE_PREFIXES else "eq"
    text = raw[2:] if raw[:2] in DATE_PREFIXES else raw
    try:
        if len(text) == 4:
            start = datetime(int(text), 1, 1, tzinfo=UTC)
            end = datetime(int(text) + 1, 1, 1, tzinfo=UTC)
        elif len(text) == 7:
            year, month = int(text[:4]), int(text[5:7])
            start = datetime(year, month, 1, tzinfo=UTC)
            end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        elif len(text) == 10:
            start = datetime.fromisoformat(text).replace(tzinfo=UTC)
            end = start + timedelta(days=1)
        else:
            start = datetime.fromisoformat(text.replace("Z", "+00:00"))
            start = start if start.tzinfo else start.replace(tzinfo=UTC)
            end = start + timedelta(seconds=1)
    except ValueError:
        raise BadRequest(f"_lastUpdated: {raw!r} is not a FHIR date", expression=["_lastUpdated"]) from None
    return DateRange(prefix, start.astimezone(UTC), end.astimezone(UTC))


def _chain(resource_type: str, key: str, raw: str) -> Criterion:
    """One level of chaining on a reference parameter, to an indexed parameter of its target."""
    reference, _, chained = key.partition(".")
    parameter = PARAMETERS[resource_type].get(reference)
    if parameter is None or parameter.kind != "reference":
        raise BadRequest(f"{reference!r} is not a reference parameter of {resource_type}", expression=[key])
    target = REFERENCE_TARGETS[reference]
    inner = _criterion(target, chained, raw)
    if inner.kind == "id":
        return Criterion(reference, "reference", "", tuple(f"{target}/{value}" for value in inner.values))
    if inner.kind not in ("string", "token", "reference"):
        raise BadRequest(f"chaining to {chained!r} is not supported", expression=[key])
    return Criterion(reference, "chain", "", (Chain(target, inner),))


def _criterion(resource_type: str, key: str, raw: str) -> Criterion:
    if "." in key.split(":", 1)[0]:
        return _chain(resource_type, key, raw)
    name, _, modifier = key.partition(":")
    alternatives = [part for part in raw.split(",") if part != ""]
    if not alternatives:
        raise BadRequest(f"parameter {key!r} has no value", expression=[key])
    if len(alternatives) > MAX_ALTERNATIVES:
        raise BadRequest(f"parameter {key!r} has more than {MAX_ALTERNATIVES} values", expression=[key])
    if name in STANDARD and modifier:
        raise BadRequest(f"modifier ':{modifier}' is not supported on {name!r}", expression=[key])
    if name == "_id":
        return Criterion(name, "id", "", tuple(alternatives))
    if name == "_profile":
        return Criterion(name, "profile", "", tuple(alternatives))
    if name == "_lastUpdated":
        return Criterion(name, "date", "", tuple(_date(value) for value in alternatives))
    if resource_type == "Practitioner" and name == "name" and modifier in ("family", "given"):
        name, modifier = modifier, ""
    if name == "identifier" and modifier == "of-type" and OF_TYPE in PARAMETERS[resource_type]:
        return Criterion(OF_TYPE, "token", "", tuple(_of_type(value) for value in alternatives))
    parameter = PARAMETERS[resource_type].get(name) if name != OF_TYPE else None
    if parameter is None:
        raise BadRequest(
            f"Unknown search parameter {name!r} for resource type {resource_type!r}. Valid search "
            f"parameters for this search are: {sorted({*PARAMETERS[resource_type], *STANDARD} - {OF_TYPE})}",
            expression=[name],
        )
    if modifier not in MODIFIERS[parameter.kind]:
        raise BadRequest(f"modifier ':{modifier}' is not supported on {name!r}", expression=[key])
    if parameter.kind == "token":
        return Criterion(name, "token", "", tuple(_token(value) for value in alternatives))
    if parameter.kind == "reference":
        return Criterion(name, "reference", "", tuple(_reference(value, name) for value in alternatives))
    if modifier == "text":
        modifier = "contains"
    if not modifier and name == "mailbox-mss":
        modifier = "address"
    values = tuple(value if modifier == "exact" else fold(value) for value in alternatives)
    return Criterion(name, "string", modifier, values)


def _count(raw: str) -> int:
    if not raw.isdigit():
        raise BadRequest(f"_count takes a whole number, not {raw!r}", expression=["_count"])
    return min(int(raw), MAX_COUNT)


def _include(resource_type: str, raw: str, *, reverse: bool) -> list[tuple[str, str]]:
    allowed = (REVINCLUDES if reverse else INCLUDES)[resource_type]
    if not reverse and raw == "*":
        return [tuple(value.split(":", 1)) for value in allowed]  # type: ignore[misc]
    if raw not in allowed:
        name = "_revinclude" if reverse else "_include"
        raise BadRequest(
            f"{name}={raw} is not supported on {resource_type}; supported: {', '.join(allowed) or 'none'}",
            expression=[name],
        )
    source, param = raw.split(":", 1)
    return [(source, param)]


def parse_search(resource_type: str, items: list[tuple[str, str]]) -> Search:
    """The search that ``items`` (query or form pairs, in order) asks of ``resource_type``."""
    criteria: list[Criterion] = []
    includes: list[tuple[str, str]] = []
    revincludes: list[tuple[str, str]] = []
    count, elements, with_total, only_total = DEFAULT_COUNT, (), True, False
    for key, raw in items:
        base = key.split(":", 1)[0]
        if base in IGNORED:
            continue
        if key == "_count":
            count = _count(raw)
        elif base == "_include":
            includes += _include(resource_type, raw, reverse=False)
        elif base == "_revinclude":
            revincludes += _include(resource_type, raw, reverse=True)
        elif key == "_elements":
            elements = tuple(part.strip() for part in raw.split(",") if part.strip())
        elif key == "_total":
            if raw not in ("none", "estimate", "accurate"):
                raise BadRequest("_total takes none, estimate or accurate", expression=["_total"])
            with_total = raw != "none"
        elif key == "_summary":
            if raw != "count":
                raise BadRequest("only _summary=count is supported", expression=["_summary"])
            only_total = True
        else:
            criteria.append(_criterion(resource_type, key, raw))
    if len(criteria) > MAX_CRITERIA:
        raise BadRequest(f"a search takes at most {MAX_CRITERIA} criteria")
    return Search(
        resource_type=resource_type,
        criteria=tuple(criteria),
        count=count,
        includes=tuple(dict.fromkeys(includes)),
        revincludes=tuple(dict.fromkeys(revincludes)),
        elements=elements,
        with_total=with_total or only_total or count == 0,
        only_total=only_total or count == 0,
        query=tuple(items),
    )
