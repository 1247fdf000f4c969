"""MSSanté mailboxes: messages, attachments, XDM findings, raw source, receipts.

Reading goes through the operator's inspection API (open, as on mail catchers); sending a read
receipt acts as the logged-in professional, who must be a member of the mailbox (MSSanté's own rule).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from services.kernel.errors import NotFound, ServiceUnavailable, Unprocessable

from ..acting import call
from ..fixtures import fixtures, professional_names
from ..rendering import render
from ..session import current_session

router = APIRouter()
RAW_SHOWN = 200_000
"""Bytes of raw source shown inline: a 20 MB message must not make a 20 MB page."""
KINDS = {"message": "messages", "dsn": "rapports de remise (DSN)", "mdn": "accusés de lecture (MDN)"}


async def _api(request: Request, path: str, **params: Any) -> Any:
    response = await request.app.state.gateway.get(
        "mssante", f"/api{path}", params={k: v for k, v in params.items() if v}
    )
    if response.status_code == 404:
        raise NotFound(response.json().get("message", f"nothing at {path}"))
    if response.status_code != 200:
        raise ServiceUnavailable(f"the MSSanté API answered {response.status_code}")
    return response.json() if "json" in response.headers.get("content-type", "") else response


@router.get("/messagerie")
async def mailboxes(request: Request) -> Response:
    boxes = await _api(request, "/mailboxes")
    user = await current_session(request)
    mine = [b for b in boxes if user and user.idnat in (b.get("members") or [])]
    names = professional_names(await fixtures(request))
    return await render(request, "mailboxes.html", boxes=boxes, mine=mine, names=names)


@router.get("/messagerie/messages/{message_id}")
async def message(request: Request, message_id: int) -> Response:
    found = await _api(request, f"/messages/{message_id}")
    raw = await _api(request, f"/messages/{message_id}/raw")
    headers = {name.lower(): value for name, value in found.get("headers", [])}
    return await render(
        request,
        "message.html",
        message=found,
        raw=raw.content[:RAW_SHOWN].decode("utf-8", "replace"),
        raw_cut=len(raw.content) > RAW_SHOWN,
        asks_receipt="disposition-notification-to" in headers,
        kinds=KINDS,
    )


@router.get("/messagerie/messages/{message_id}/attachments/{index}")
async def attachment(request: Request, message_id: int, index: int) -> Response:
    response = await request.app.state.gateway.get(
        "mssante", f"/api/messages/{message_id}/attachments/{index}"
    )
    if response.status_code != 200:
        raise NotFound(f"no attachment {index} in message {message_id}")
    passed = {k: v for k, v in response.headers.items() if k in ("content-type", "content-disposition")}
    return Response(response.content, headers=passed)


@router.post("/messagerie/messages/{message_id}/mdn")
async def read_receipt(
    request: Request, message_id: int, disposition: Annotated[str, Form()] = "displayed"
) -> Response:
    """Send the read receipt (RFC 8098) the sender asked for, as the logged-in professional."""
    answer = await call(
        request,
        "mssante",
        f"/api/messages/{message_id}/mdn",
        method="POST",
        accept="application/json",
        json={"disposition": disposition},
    )
    if not answer.ok:
        raise Unprocessable(f"MSSanté refused the receipt ({answer.status}): {answer.problem}")
    return RedirectResponse(f"/messagerie/messages/{message_id}?receipt=sent", status_code=303)


@router.get("/messagerie/{address}")
async def mailbox(request: Request, address: str, kind: str = "", page: int = 1) -> Response:
    box = await _api(request, f"/mailboxes/{quote(address)}")
    page = max(page, 1)
    listing = await _api(request, "/messages", mailbox=address, kind=kind, limit=50, offset=(page - 1) * 50)
    return await render(
        request,
        "mailbox.html",
        box=box,
        messages=listing["messages"],
        total=listing["total"],
        kind=kind,
        kinds=KINDS,
        page=page,
    )
