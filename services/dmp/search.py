"""ITI-67 Find Document References: the query string as a typed query. Pure.

The consumer must send the patient (``patient`` or ``patient.identifier`` with an INS system) and
``status`` (MHD ITI-67 §2:3.67.4.1.2.1); other parameters narrow the result, unknown ones are ignored.
Token parameters match on the code (J66, J57… codes do not collide across their systems).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.kernel.errors import BadRequest
from services.kernel.fhir import paging

from . import codes
from .dates import parse_bound

STATUSES = ("current", "superseded")
TOKEN_COLUMNS = {
    "type": "type_code",
    "category": "class_code",
    "format": "format_code",
    "facility": "facility_code",
    "setting": "setting_code",
}
FRAMED_COLUMNS = {
    "security-label": "security",
    "event": "event_codes",
    "author.identifier": "authors",
    "related": "related",
}
DATE_COLUMNS = {
    "date": "date",
    "creation": "creation",
    "period-start": "period_start",
    "period-end": "period_end",
}
SUPPORTED = (
    "patient",
    "patient.identifier",
    "status",
    *TOKEN_COLUMNS,
    *FRAMED_COLUMNS,
    *DATE_COLUMNS,
    "period",
    "identifier",
    "relatesto",
    "author",
    "author.given",
    "author.family",
    "isArchived",
    "_id",
    "_count",
    "_offset",
)


@dataclass
class DocumentQuery:
    patient_ins: str
    statuses: list[str]
    ids: list[str] = field(default_factory=list)
    tokens: dict[str, list[str]] = field(default_factory=dict)
    """column → accepted codes (OR)."""
    framed: dict[str, list[str]] = field(default_factory=dict)
    dates: list[tuple[str, str, str]] = field(default_factory=list)
    """(column, prefix, normalised value), ANDed."""
    identifiers: list[str] = field(default_factory=list)
    relates_to: list[str] = field(default_factory=list)
    author_names: list[str] = field(default_factory=list)
    is_archived: bool | None = None
    offset: int = 0
    count: int = 50


def codes_of(value: str) -> list[str]:
    """The codes of a token parameter (``a,b`` is OR; ``system|code`` keeps the code)."""
    return [part.rsplit("|", 1)[-1] for part in value.split(",") if part.rsplit("|", 1)[-1]]


def patient_of(params: dict[str, list[str]]) -> str:
    """The INS the query is about, from ``patient.identifier`` (INS system) or ``patient``."""
    if "patient.identifier" in params:
        system, bar, value = params["patient.identifier"][0].partition("|")
        if not bar:
            system, value = "", system
        if system and system not in codes.INS_SYSTEMS:
            raise BadRequest(
                f"{system!r} is not an INS system (expected urn:oid:1.2.250.1.213.1.4.8 …)",
                expression=["patient.identifier"],
                fhir_code="code-invalid",
            )
        return value
    if "patient" in params:
        return params["patient"][0].rsplit("/", 1)[-1]
    raise BadRequest(
        "the search must name the patient: patient.identifier=urn:oid:1.2.250.1.213.1.4.8|<INS> (or patient)",
        expression=["patient.identifier"],
        fhir_code="required",
    )


def parse_query(params: dict[str, list[str]]) -> DocumentQuery:
    """A DocumentQuery from the (possibly repeated) query parameters."""
    ins = patient_of(params)
    if "status" not in params:
        raise BadRequest(
            "status is required (current, superseded)", expression=["status"], fhir_code="required"
        )
    statuses = [code for value in params["status"] for code in codes_of(value)]
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise BadRequest(f"unknown status {unknown[0]!r}", expression=["status"], fhir_code="code-invalid")
    offset, count = paging(
        {k: v[-1] for k, v in params.items() if k in ("_count", "_offset")}, default=50, maximum=500
    )
    query = DocumentQuery(patient_ins=ins, statuses=statuses, offset=offset, count=count)
    for name, column in TOKEN_COLUMNS.items():
        for value in params.get(name, []):
            query.tokens.setdefault(column, []).extend(codes_of(value))
    for name, column in FRAMED_COLUMNS.items():
        for value in params.get(name, []):
            query.framed.setdefault(column, []).extend(codes_of(value))
    for name, column in DATE_COLUMNS.items():
        for value in params.get(name, []):
            query.dates.append((column, *parse_bound(value, name)))
    for value in params.get("period", []):
        prefix, bound = parse_bound(value, "period")
        query.dates.append(("period_end" if prefix in ("lt", "le", "eb") else "period_start", prefix, bound))
    for value in params.get("identifier", []):
        query.identifiers.extend(part.split("|", 1)[-1] for part in value.split(","))
    for value in params.get("_id", []):
        query.ids.extend(value.split(","))
    for value in params.get("relatesto", []):
        query.relates_to.extend(part.rsplit("/", 1)[-1] for part in value.split(","))
    for value in params.get("author", []):
        query.framed.setdefault("authors", []).extend(part.rsplit("/", 1)[-1] for part in value.split(","))
    for name in ("author.given", "author.family"):
        query.author_names.extend(value.upper() for value in params.get(name, []))
    if "isArchived" in params:
        flag = params["isArchived"][-1].rsplit("|", 1)[-1].lower()
        if flag not in ("true", "false"):
            raise BadRequest("isArchived takes true or false", expression=["isArchived"], fhir_code="value")
        query.is_archived = flag == "true"
    return query
