"""FHIR JSON and FHIR XML on the wire: MHD's Recipient and Responder SHALL accept and produce both.

XML bodies are refused if they carry a DOCTYPE (defusedxml, so no entity expansion and no external
fetch), then read by ``fhir.resources`` through a hardened lxml parser into the same JSON shape the
rest of the service checks. Answers are XML when the request asks for it (``Accept`` or ``_format``).
"""

from __future__ import annotations

import json
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from lxml import etree
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import Response

from services.kernel.errors import BadRequest, SocleError
from services.kernel.fhir import FhirResponse, loads_json, resource_class

FHIR_XML = "application/fhir+xml"
XML_TYPES = (FHIR_XML, "application/xml", "text/xml", "application/xml+fhir")
JSON_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def json_from_xml(body: bytes) -> dict[str, Any]:
    """A FHIR XML resource as FHIR JSON (400 naming the problem when it is not safe, valid FHIR XML)."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise BadRequest("XML with a DOCTYPE or entities is refused", fhir_code="security") from None
    except ParseError as exc:
        raise BadRequest(f"not well-formed XML: {exc}", fhir_code="structure") from None
    kind = root.tag.removeprefix("{http://hl7.org/fhir}")
    if kind == root.tag:
        raise BadRequest("not FHIR XML (namespace http://hl7.org/fhir)", fhir_code="structure")
    try:
        model = resource_class(kind).model_validate_xml(body, xmlparser=_parser())
    except (ValidationError, ValueError, KeyError, TypeError, AttributeError) as exc:
        # fhir_core reports an unknown element as a KeyError: each of these means "not valid FHIR XML"
        raise BadRequest(
            f"invalid FHIR XML {kind}: {type(exc).__name__} {exc}"[:2000],
            expression=[kind],
            fhir_code="structure",
        ) from None
    return json.loads(model.model_dump_json(exclude_none=True))  # type: ignore[no-any-return]


async def read_resource(request: Request) -> Any:
    """The request body as FHIR JSON, whether it came as JSON or as XML."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    body = await request.body()
    if content_type in XML_TYPES:
        return json_from_xml(body)
    if content_type and content_type not in JSON_TYPES:
        raise SocleError(
            f"unsupported content type {content_type!r}: application/fhir+json or application/fhir+xml",
            fhir_code="not-supported",
            status=415,
        )
    return loads_json(body)


def wants_xml(request: Request) -> bool:
    wanted = request.query_params.get("_format", "") + " " + request.headers.get("accept", "")
    return "xml" in wanted and "json" not in wanted


def respond(
    request: Request, content: dict[str, Any], status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """FHIR JSON, or FHIR XML when the client asked for it."""
    if wants_xml(request):
        model = resource_class(content["resourceType"]).model_validate(content)
        return Response(model.model_dump_xml(), status_code=status_code, headers=headers, media_type=FHIR_XML)
    return FhirResponse(content, status_code=status_code, headers=headers)
