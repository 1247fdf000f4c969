"""FHIR R4 (4.0.1) helpers: parse with ``fhir.resources.R4B``, answer ``application/fhir+json``.

Parse errors become a 400 OperationOutcome whose ``expression`` names the element (FHIRPath-like path
built from the pydantic error location), so a vendor sees which field is wrong.
"""

from __future__ import annotations

import importlib
import json
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse

from .errors import BadRequest

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "4.0.1"
ACCEPTED_CONTENT_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")

R = TypeVar("R")


class FhirResponse(JSONResponse):
    media_type = FHIR_JSON

    def render(self, content: Any) -> bytes:
        if hasattr(content, "model_dump"):
            content = json.loads(content.json(exclude_none=True))
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def resource_class(resource_type: str) -> type[Any]:
    """The ``fhir.resources.R4B`` class of a resource type (raises BadRequest for an unknown one)."""
    if not resource_type.isalpha():
        raise BadRequest(f"unknown resource type {resource_type!r}", fhir_code="not-supported")
    try:
        module = importlib.import_module(f"fhir.resources.R4B.{resource_type.lower()}")
        return getattr(module, resource_type)  # type: ignore[no-any-return]
    except (ImportError, AttributeError):
        raise BadRequest(f"unknown resource type {resource_type!r}", fhir_code="not-supported") from None


def _expression(location: tuple[Any, ...], root: str) -> str:
    path = root
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "__root__":
            path += f".{part}"
    return path


def parse_resource(data: dict[str, Any] | bytes | str, expected: str | None = None) -> Any:
    """Validate a resource with fhir.resources; ``expected`` is the resourceType the caller must send.

    fhir.resources does not validate a Bundle's entry resources nor ``contained`` ones as their own types:
    parse each of those with this function too.
    """
    if isinstance(data, (bytes, str)):
        data = loads_json(data)
    if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
        raise BadRequest(
            "the body is not a FHIR resource (no resourceType)",
            expression=["resourceType"],
            fhir_code="structure",
        )
    resource_type = data["resourceType"]
    if expected and resource_type != expected:
        raise BadRequest(
            f"expected a {expected}, got a {resource_type}",
            expression=["resourceType"],
            fhir_code="structure",
        )
    cls = resource_class(resource_type)
    try:
        return cls.model_validate(data)
    except (KeyError, AttributeError, TypeError) as exc:
        # fhir_core raises these on some malformed shapes instead of a ValidationError
        raise BadRequest(
            f"{resource_type}: malformed resource ({type(exc).__name__})",
            expression=[resource_type],
            fhir_code="structure",
        ) from None
    except ValidationError as exc:
        errors = exc.errors()
        messages = [f"{_expression(e['loc'], resource_type)}: {e['msg']}" for e in errors[:10]]
        expressions = [_expression(e["loc"], resource_type) for e in errors[:10]]
        raise BadRequest("; ".join(messages), expression=expressions, fhir_code="structure") from None


def loads_json(body: bytes | str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # RecursionError: nested too deep
        raise BadRequest(f"invalid JSON: {exc}", fhir_code="structure") from None


async def read_json(request: Request) -> Any:
    """The request body as JSON; 400 with a clear message when it is not."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type and content_type not in ACCEPTED_CONTENT_TYPES:
        raise BadRequest(
            f"unsupported content type {content_type!r}: send application/fhir+json",
            fhir_code="not-supported",
            status=415,
        )
    return loads_json(await request.body())


def to_json(resource: Any) -> dict[str, Any]:
    """A fhir.resources model as plain JSON (None fields dropped)."""
    return json.loads(resource.json(exclude_none=True))  # type: ignore[no-any-return]


def now_instant() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def searchset(
    resources: list[dict[str, Any]],
    *,
    total: int | None,
    base_url: str,
    params: dict[str, str],
    offset: int,
    count: int,
    included: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A searchset Bundle with self / next / previous links (offset paging through ``_offset``)."""

    def link(relation: str, at: int) -> dict[str, str]:
        query = {k: v for k, v in params.items() if k not in ("_offset", "_count")}
        query.update({"_offset": str(at), "_count": str(count)})
        return {"relation": relation, "url": f"{base_url}?{urlencode(query)}"}

    links = [link("self", offset)]
    more = len(resources) >= count if total is None else offset + count < total
    if more:
        links.append(link("next", offset + count))
    if offset > 0:
        links.append(link("previous", max(0, offset - count)))
    entries = [
        {"fullUrl": _full_url(base_url, r), "resource": r, "search": {"mode": "match"}} for r in resources
    ]
    entries += [
        {"fullUrl": _full_url(base_url, r), "resource": r, "search": {"mode": "include"}}
        for r in included or []
    ]
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "timestamp": now_instant()}
    if total is not None:
        bundle["total"] = total
    bundle["link"] = links
    bundle["entry"] = entries
    return bundle


def _full_url(search_url: str, resource: dict[str, Any]) -> str:
    base = search_url.rsplit("/", 1)[0]
    return f"{base}/{resource.get('resourceType')}/{resource.get('id')}"


def paging(params: dict[str, str], *, default: int = 50, maximum: int = 1000) -> tuple[int, int]:
    """(offset, count) from ``_offset`` and ``_count``; 400 on non-numbers."""
    try:
        count = int(params.get("_count", default))
        offset = int(params.get("_offset", 0))
    except ValueError:
        raise BadRequest("_count and _offset take whole numbers", expression=["_count"]) from None
    if count < 0 or offset < 0:
        raise BadRequest("_count and _offset cannot be negative", expression=["_count"])
    return offset, min(count, maximum)


def capability_statement(
    *,
    name: str,
    title: str,
    base_url: str,
    resources: list[dict[str, Any]],
    operations: list[dict[str, str]] | None = None,
    instantiates: list[str] | None = None,
    security_service: str | None = "OAuth",
) -> dict[str, Any]:
    """A server CapabilityStatement. ``resources`` entries are CapabilityStatement.rest.resource items."""
    rest: dict[str, Any] = {"mode": "server", "resource": resources}
    if security_service:
        rest["security"] = {
            "service": [
                {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                            "code": security_service,
                        }
                    ]
                }
            ],
            "description": "Bearer access token issued by Pro Santé Connect",
        }
    if operations:
        rest["operation"] = operations
    statement: dict[str, Any] = {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": now_instant()[:10],
        "publisher": "socle",
        "kind": "instance",
        "name": name,
        "title": title,
        "software": {"name": "socle", "version": "0.1.0"},
        "implementation": {"description": title, "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["application/fhir+json", "json"],
        "rest": [rest],
    }
    if instantiates:
        statement["instantiates"] = instantiates
    return statement
