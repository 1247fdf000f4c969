"""The INSi SOAP façade (``/insi``): the WSDL and schemas on GET, the two operations on POST.

Every failure is a SOAP fault in the real service's shape; nothing here writes to the base.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.kernel.errors import NotFound
from services.kernel.traffic import annotate

from .insi_messages import TRAITS, operation_of, read_call, resultat
from .lookup import Lookups
from .matching import TraitsQuery, VitaleQuery, match_traits, match_vitale
from .settings import InsSettings
from .soap import SOAP_CONTENT_TYPE, SoapFault, envelope_bytes, fault_bytes, parse_envelope, read_context
from .wsdl import schema, wsdl

router = APIRouter()
XML = "text/xml; charset=utf-8"


def content_type_action(content_type: str) -> str | None:
    """The ``action`` parameter of ``application/soap+xml`` (SOAP 1.2's SOAPAction), if sent."""
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.strip().partition("=")
        if name.lower() == "action":
            return value.strip().strip('"') or None
    return None


def endpoint(request: Request) -> str:
    return request.app.state.settings.base_url + "/insi"


@router.get("/insi")
async def describe(request: Request) -> Response:
    """``?wsdl`` gives the WSDL, ``?xsd=<file>`` one of its schemas."""
    name = request.query_params.get("xsd")
    if name is None:
        return Response(wsdl(endpoint(request)), media_type=XML)
    document = schema(name, endpoint(request))
    if document is None:
        raise NotFound(f"no schema {name!r}")
    return Response(document, media_type=XML)


@router.post("/insi")
async def call(request: Request) -> Response:
    settings: InsSettings = request.app.state.ins_settings
    try:
        envelope = parse_envelope(await request.body())
        context = read_context(envelope)
        annotate(request, client_id=f"insi:{context.idam}", insi_message_id=context.message_id)
        if not settings.idam_accepted(context.idam):
            raise SoapFault("unknown_idam", "", context.message_id)
        action = context.action or content_type_action(request.headers.get("content-type", ""))
        operation = operation_of(envelope.body, action, context.message_id)
        query = read_call(envelope.body, operation, context.message_id).query
        lookups: Lookups = request.app.state.lookups
        if operation == TRAITS:
            assert isinstance(query, TraitsQuery)
            candidates = await lookups.by_traits(
                birth_name=query.birth_name, birth_date=query.birth_date, sex=query.sex
            )
            outcome = match_traits(query, candidates)
        else:
            assert isinstance(query, VitaleQuery)
            # the beneficiary's own matricule when the card carries it, else the holder's (one is required)
            matricule = query.individual or query.holder or ""
            candidates = await lookups.by_matricule(nir=matricule)
            outcome = match_vitale(query, candidates)
    except SoapFault as fault:
        annotate(request, insi_fault=fault.kind, insi_detail=fault.detail)
        return Response(
            fault_bytes(fault), status_code=settings.insi_fault_status, media_type=SOAP_CONTENT_TYPE
        )
    annotate(request, insi_operation=operation, insi_code=outcome.code)
    if outcome.person is not None:
        annotate(request, patient=outcome.person.ins.value)
    return Response(envelope_bytes(resultat(outcome)), media_type=SOAP_CONTENT_TYPE)
