"""The simulated e-CPS application: a page listing a professional's pending CIBA requests to approve or refuse."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from services.kernel.settings import PSC_REALM_PATH

from .ciba import decide
from .pages import error_page, templates
from .server import Provider, db
from .store import pending_ciba

router = APIRouter(prefix=PSC_REALM_PATH + "/ecps")


def provider_of(request: Request) -> Provider:
    provider: Provider = request.app.state.provider
    return provider


@router.get("")
async def ecps_page(request: Request, idnat: str = "") -> Response:
    provider = provider_of(request)
    requests = await provider.read(lambda: pending_ciba(db(), idnat=idnat)) if idnat else []
    context = {
        "professionals": provider.fixtures.professionals,
        "idnat": idnat,
        "requests": requests,
        "action": request.url.path,
    }
    return templates.TemplateResponse(request, "ecps.html", context)


@router.post("/{auth_req_id}")
async def ecps_decide(request: Request, auth_req_id: str) -> Response:
    provider = provider_of(request)
    form = await request.form()
    idnat, decision = str(form.get("idnat", "")), str(form.get("decision", ""))
    if decision not in ("approve", "deny"):
        return error_page(request, "invalid_request", "decision must be approve or deny")
    row = await provider.run(
        lambda: decide(provider, auth_req_id=auth_req_id, approve=decision == "approve", idnat=idnat)
    )
    if row is None:
        return error_page(request, "invalid_request", "no such pending request for this professional", 404)
    target = request.url.path.rsplit("/", 1)[0] + f"?idnat={idnat}"
    return RedirectResponse(target, status_code=303)
