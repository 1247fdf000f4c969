"""FHIR dates and instants as sortable strings, and the date-search prefixes of ITI-67.

Stored dates are normalised to UTC (``YYYY-MM-DDTHH:MM:SSZ``) or kept as a plain date, so string
order is time order and a search bound compares with one indexed ``<``/``>=``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.kernel.errors import BadRequest

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")


def normalise(value: str) -> str:
    """A FHIR date/dateTime/instant as a UTC string that sorts in time order; ValueError if invalid."""
    if len(value) in (4, 7, 10):
        datetime.strptime(value, {4: "%Y", 7: "%Y-%m", 10: "%Y-%m-%d"}[len(value)])
        return value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("a time must carry a time zone")
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def upper_bound(value: str) -> str:
    """The first string after every instant that ``value`` (a partial date) covers."""
    return value + "~" if len(value) <= 10 else value


def parse_bound(raw: str, name: str) -> tuple[str, str]:
    """(prefix, normalised value) of a date search parameter."""
    prefix, value = ("eq", raw)
    if raw[:2] in PREFIXES and not raw[:2].isdigit():
        prefix, value = raw[:2], raw[2:]
    if prefix not in ("eq", "gt", "lt", "ge", "le", "sa", "eb"):
        raise BadRequest(f"date prefix {prefix!r} is not supported on {name}", expression=[name])
    try:
        return prefix, normalise(value)
    except ValueError:
        raise BadRequest(f"{name}: {value!r} is not a FHIR date", expression=[name]) from None
