"""The DMP explorer: a patient's documents, one document with its content, the access history.

Every call goes to the DMP's FHIR API (MHD ITI-67/68, AuditEvent) with the logged-in professional's
token, so the page shows exactly what that professional's software would be allowed to see.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.kernel.errors import NotFound

from ..acting import Answer, call
from ..fixtures import fixtures, professional_names
from ..records import DocumentRow, access_row, bundle_resources, document_row, is_text, patient_identifier
from ..rendering import render, templates
from ..session import access_token

router = APIRouter()
ACCESSES_SHOWN = 30
"""The newest accesses shown; the DMP serves its history newest first."""


async def _patient(request: Request, ins: str) -> dict[str, Any]:
    data = await fixtures(request)
    patient = next((p for p in data["patients"] if p["ins"] == ins), None)
    if patient is None:
        raise NotFound(f"no test patient with INS {ins}")
    return patient


def _relative(url: str) -> str:
    """The path of a DMP URL inside the DMP service (attachment URLs are absolute public URLs)."""
    path = urlsplit(url).path
    marker = "/fhir/"
    return path[path.index(marker) :] if marker in path else path


@router.get("/dossiers")
async def patients(request: Request) -> Response:
    data = await fixtures(request)
    return await render(
        request, "dmp_patients.html", patients=data["patients"], names=professional_names(data)
    )


@router.get("/dossiers/{ins}")
async def record(request: Request, ins: str) -> Response:
    patient = await _patient(request, ins)
    token = patient_identifier(patient["oid"], ins)
    await access_token(request)  # refresh once, before the two calls run side by side
    documents, audit = await asyncio.gather(
        call(
            request,
            "dmp",
            "/fhir/DocumentReference",
            params={"patient.identifier": token, "status": "current,superseded"},
        ),
        call(
            request,
            "dmp",
            "/fhir/AuditEvent",
            params={"patient.identifier": token, "_count": str(ACCESSES_SHOWN)},
        ),
    )
    rows = [document_row(d) for d in bundle_resources(documents.body or {}, "DocumentReference")]
    accesses = [access_row(e) for e in bundle_resources(audit.body or {}, "AuditEvent")]
    return await render(
        request,
        "dmp_record.html",
        patient=patient,
        documents=documents,
        rows=sorted(rows, key=lambda r: r.date, reverse=True),
        audit=audit,
        accesses=sorted(accesses, key=lambda a: a.recorded, reverse=True),
        access_total=(audit.body or {}).get("total", len(accesses)) if audit.ok else 0,
        names=professional_names(await fixtures(request)),
    )


@router.get("/dossiers/{ins}/{document_id}")
async def document(request: Request, ins: str, document_id: str) -> Response:
    """The document's metadata; its content is fetched by the page afterwards (see ``preview``)."""
    patient = await _patient(request, ins)
    answer = await call(request, "dmp", f"/fhir/DocumentReference/{document_id}")
    row = document_row(answer.body) if answer.ok and isinstance(answer.body, dict) else None
    return await render(
        request,
        "dmp_document.html",
        patient=patient,
        answer=answer,
        row=row,
        inline=row and is_text(row.content_type),
    )


async def _content(request: Request, ins: str, document_id: str) -> tuple[DocumentRow, Answer]:
    """ITI-68: the document's bytes, from the URL its DocumentReference gives."""
    await _patient(request, ins)
    answer = await call(request, "dmp", f"/fhir/DocumentReference/{document_id}")
    row = document_row(answer.body) if answer.ok and isinstance(answer.body, dict) else None
    if row is None or not row.url:
        raise NotFound(f"no document {document_id} visible in this DMP")
    return row, await call(request, "dmp", _relative(row.url), accept=row.content_type or "*/*")


@router.get("/dossiers/{ins}/{document_id}/preview")
async def preview(request: Request, ins: str, document_id: str) -> Response:
    """The content as an HTML fragment, loaded after the page so the page itself needs one DMP call."""
    row, content = await _content(request, ins, document_id)
    return templates.TemplateResponse(request, "_dmp_content.html", {"row": row, "content": content})


@router.get("/dossiers/{ins}/{document_id}/content")
async def download(request: Request, ins: str, document_id: str) -> Response:
    """The document itself (ITI-68), passed through with the DMP's content type."""
    _, content = await _content(request, ins, document_id)
    if not content.ok:
        raise NotFound(f"the DMP answered {content.status}: {content.problem}")
    return Response(
        content.content,
        media_type=content.content_type or "application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{document_id}"'},
    )
