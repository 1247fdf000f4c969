"""The DMP's FHIR REST surface (base ``/fhir``): parse, call the transaction, serialise. No rule here."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.kernel.errors import BadRequest, MethodNotAllowed, NotFound, SocleError
from services.kernel.fhir import loads_json
from services.kernel.tokens import CurrentCaller, CurrentProfessional

from . import admin, lists, operations
from .capability import capability
from .formats import FHIR_XML, XML_TYPES, json_from_xml, read_resource, respond

router = APIRouter(prefix="/fhir")
ADMIN_OPERATIONS = {
    "$create-dmp": "create",
    "$close-dmp": "close",
    "$reopen-dmp": "reopen",
    "$opposition": "opposition",
    "$block": "block",
    "$unblock": "unblock",
    "$medecin-traitant": "medecin-traitant",
}
FHIR_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")


def query(request: Request, extra: list[tuple[str, str]] | None = None) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for key, value in [*request.query_params.multi_items(), *(extra or [])]:
        params.setdefault(key, []).append(value)
    return params


@router.get("/metadata")
async def metadata(request: Request) -> Response:
    return respond(request, capability(str(request.app.state.settings.base_url)))


@router.post("")
async def provide_document_bundle(request: Request, caller: CurrentProfessional) -> Response:
    """ITI-65 Provide Document Bundle."""
    return respond(request, await operations.provide_bundle(request, caller, await read_resource(request)))


@router.post("/DocumentReference")
async def simplified_publish(request: Request, caller: CurrentProfessional) -> Response:
    """ITI-105 Simplified Publish."""
    created = await operations.simplified_publish(request, caller, await read_resource(request))
    version = created["meta"]["versionId"]
    headers = {"Location": f"DocumentReference/{created['id']}/_history/{version}", "ETag": f'W/"{version}"'}
    return respond(request, created, status_code=201, headers=headers)


@router.get("/DocumentReference")
async def find_documents(request: Request, caller: CurrentCaller) -> Response:
    """ITI-67 Find Document References (GET)."""
    return respond(request, await operations.find_documents(request, caller, query(request)))


@router.post("/DocumentReference/_search")
async def find_documents_post(request: Request, caller: CurrentCaller) -> Response:
    """ITI-67 Find Document References (POST, form-encoded)."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip()
    if content_type != "application/x-www-form-urlencoded":
        raise SocleError(
            "_search takes application/x-www-form-urlencoded", status=415, fhir_code="not-supported"
        )
    form = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=False)
    return respond(request, await operations.find_documents(request, caller, query(request, form)))


@router.get("/DocumentReference/{id}")
async def read_document(request: Request, caller: CurrentCaller, id: str) -> Response:
    found = await operations.read_document(request, caller, id)
    return respond(request, found, headers={"ETag": f'W/"{found["meta"]["versionId"]}"'})


async def _patch_body(request: Request) -> tuple[Any, str]:
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type in XML_TYPES:
        return json_from_xml(await request.body()), content_type
    if content_type not in ("application/json-patch+json", *FHIR_TYPES):
        raise SocleError(
            f"unsupported patch format {content_type!r}: JSON Patch or FHIRPath Patch (JSON or XML)",
            status=415,
            fhir_code="not-supported",
        )
    return loads_json(await request.body()), content_type


@router.patch("/DocumentReference/{id}")
async def patch_document(request: Request, caller: CurrentCaller, id: str) -> Response:
    """Metadata update (PDSm Flux 03): status, security labels, isArchived."""
    body, content_type = await _patch_body(request)
    updated = await operations.update_metadata(
        request, caller, id=id, identifier=None, patch=body, content_type=content_type
    )
    return respond(request, updated, headers={"ETag": f'W/"{updated["meta"]["versionId"]}"'})


@router.patch("/DocumentReference")
async def conditional_patch(request: Request, caller: CurrentCaller) -> Response:
    """Conditional metadata update by business identifier (``?identifier=urn:ietf:rfc:3986|<uniqueId>``)."""
    identifier = request.query_params.get("identifier")
    if not identifier:
        raise BadRequest(
            "a conditional PATCH names the document: ?identifier=<system>|<value>", expression=["identifier"]
        )
    body, content_type = await _patch_body(request)
    value = identifier.split("|", 1)[-1]
    updated = await operations.update_metadata(
        request, caller, id=None, identifier=value, patch=body, content_type=content_type
    )
    return respond(request, updated, headers={"ETag": f'W/"{updated["meta"]["versionId"]}"'})


@router.api_route("/DocumentReference/{id}", methods=["PUT", "DELETE"])
async def refuse_document_change(id: str) -> None:
    raise MethodNotAllowed(
        "a DocumentReference is never replaced or physically deleted: PATCH its metadata, or replace it through ITI-65"
    )


@router.get("/Binary/{id}")
async def retrieve_document(request: Request, caller: CurrentCaller, id: str) -> Response:
    """ITI-68 Retrieve Document: the native bytes, or a Binary resource when FHIR JSON is asked for."""
    data, content_type, _ = await operations.retrieve(request, caller, id)
    accept = request.headers.get("accept", "*/*")
    if any(t in accept for t in (*FHIR_TYPES, FHIR_XML)):
        binary = {
            "resourceType": "Binary",
            "id": id,
            "contentType": content_type,
            "data": base64.b64encode(data).decode(),
        }
        return respond(request, binary)
    wanted = [part.split(";", 1)[0].strip() for part in accept.split(",")]
    if not any(w in ("*/*", content_type, content_type.split("/", 1)[0] + "/*") for w in wanted):
        raise SocleError(
            f"this document is {content_type}; it cannot be served as {accept}",
            status=406,
            fhir_code="not-supported",
        )
    return Response(data, media_type=content_type)


@router.get("/Patient")
async def dmp_status(request: Request, caller: CurrentCaller) -> Response:
    """TD02: does this patient have a DMP, and is it open?"""
    identifier = request.query_params.get("identifier")
    if not identifier:
        raise BadRequest(
            "identifier=<INS system>|<INS> is required", expression=["identifier"], fhir_code="required"
        )
    return respond(request, await admin.dmp_status(request, caller, identifier))


@router.get("/Patient/{ins}/$dmp-status")
async def dmp_administration(request: Request, caller: CurrentCaller, ins: str) -> Response:
    return respond(request, await admin.read_status(request, caller, ins))


@router.post("/Patient/{ins}/{operation}")
async def administer(request: Request, caller: CurrentCaller, ins: str, operation: str) -> Response:
    """DMP administration operations (see ``ADMIN_OPERATIONS``), with a Parameters body."""
    if operation not in ADMIN_OPERATIONS:
        raise NotFound(f"no operation {operation} on Patient (known: {', '.join(ADMIN_OPERATIONS)})")
    body = await request.body()
    return respond(
        request,
        await admin.administer(
            request, caller, ins, ADMIN_OPERATIONS[operation], loads_json(body) if body else None
        ),
    )


@router.get("/List")
async def find_lists(request: Request, caller: CurrentCaller) -> Response:
    """ITI-66 Find Document Lists (submission sets)."""
    return respond(request, await lists.find_lists(request, caller, query(request)))


@router.get("/AuditEvent")
async def audit_events(request: Request, caller: CurrentCaller) -> Response:
    """The access history of a patient's DMP (``patient.identifier`` or ``patient``)."""
    return respond(request, await admin.find_audit_events(request, caller, query(request)))
