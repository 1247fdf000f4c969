"""The simulated e-CPS application and the login page's waiting screen.

The e-CPS page lists what waits for a professional — CIBA requests of relying parties and "push" logins
of the login page — and approves or refuses them, as the phone would. The waiting screen reloads itself
until the push is answered, then finishes the authorization.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from services.kernel.settings import PSC_REALM_PATH

from .authorize import ErrorPage, LoginNeeded, Redirect
from .ciba import decide
from .discovery import OIDC
from .models import PscCiba, PscPush
from .pages import error_page, templates
from .push import decide_push, finish_push
from .routes import WALLET_AUTH, redirect_response
from .server import Provider, db
from .store import pending_ciba, pending_pushes

router = APIRouter()
ECPS = PSC_REALM_PATH + "/ecps"


def provider_of(request: Request) -> Provider:
    provider: Provider = request.app.state.provider
    return provider


def _decision(form: dict[str, str]) -> bool | None:
    value = form.get("decision", "")
    return {"approve": True, "deny": False}.get(value)


@router.get(ECPS)
async def ecps_page(request: Request, idnat: str = "") -> Response:
    provider = provider_of(request)

    def pending() -> tuple[list[PscCiba], list[PscPush]]:
        return pending_ciba(db(), idnat=idnat), pending_pushes(db(), idnat=idnat)

    requests, pushes = await provider.read(pending) if idnat else ([], [])
    context = {
        "professionals": provider.fixtures.professionals,
        "idnat": idnat,
        "requests": requests,
        "pushes": pushes,
        "action": request.url.path,
    }
    return templates.TemplateResponse(request, "ecps.html", context)


@router.post(ECPS + "/push/{push_id}")
async def ecps_push_decide(request: Request, push_id: str) -> Response:
    provider = provider_of(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    approve, idnat = _decision(form), form.get("idnat", "")
    if approve is None:
        return error_page(request, "invalid_request", "decision must be approve or deny")
    push = await provider.run(lambda: decide_push(push_id=push_id, approve=approve, idnat=idnat))
    if push is None:
        return error_page(request, "invalid_request", "no such pending login for this professional", 404)
    return RedirectResponse(request.url.path.rsplit("/push/", 1)[0] + f"?idnat={idnat}", status_code=303)


@router.post(ECPS + "/{auth_req_id}")
async def ecps_decide(request: Request, auth_req_id: str) -> Response:
    provider = provider_of(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    approve, idnat = _decision(form), form.get("idnat", "")
    if approve is None:
        return error_page(request, "invalid_request", "decision must be approve or deny")
    row = await provider.run(lambda: decide(provider, auth_req_id=auth_req_id, approve=approve, idnat=idnat))
    if row is None:
        return error_page(request, "invalid_request", "no such pending request for this professional", 404)
    return RedirectResponse(request.url.path.rsplit("/", 1)[0] + f"?idnat={idnat}", status_code=303)


@router.get(PSC_REALM_PATH + OIDC + "/auth/push/{push_id}")
@router.get(WALLET_AUTH + "/push/{push_id}")
async def push_waiting(request: Request, push_id: str) -> Response:
    """The waiting screen, until the push is answered; then the authorization response."""
    provider = provider_of(request)
    url, headers = str(request.url), request.headers
    outcome = await provider.run(lambda: finish_push(provider, push_id=push_id, url=url, headers=headers))
    if isinstance(outcome, ErrorPage):
        return error_page(request, outcome.error, outcome.description)
    if isinstance(outcome, LoginNeeded):  # cannot happen: the push names the professional
        return error_page(request, "login_required", "no professional was chosen")
    if isinstance(outcome, Redirect):
        return redirect_response(request, outcome)
    professional = provider.fixtures.professional(outcome.idnat)
    context = {
        "push": outcome,
        "name": f"{professional.given_name} {professional.family_name}" if professional else outcome.idnat,
        "action": request.url.path,
        "ecps_url": request.scope.get("root_path", "") + ECPS + f"?idnat={outcome.idnat}",
    }
    return templates.TemplateResponse(request, "push.html", context)


@router.post(PSC_REALM_PATH + OIDC + "/auth/push/{push_id}")
@router.post(WALLET_AUTH + "/push/{push_id}")
async def push_answer(request: Request, push_id: str) -> Response:
    """The waiting screen's own buttons: answer as the phone would, then show the outcome."""
    provider = provider_of(request)
    approve = _decision({k: v for k, v in (await request.form()).items() if isinstance(v, str)})
    if approve is None:
        return error_page(request, "invalid_request", "decision must be approve or deny")
    await provider.run(lambda: decide_push(push_id=push_id, approve=approve))
    return RedirectResponse(request.url.path, status_code=303)
