"""OIDC endpoints of the realm, under Keycloak's paths. Thin: parse, hand to authlib or a domain module, answer."""

from __future__ import annotations

import json
import time
from typing import Any

from authlib.oauth2 import OAuth2Error
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from services.kernel.settings import PSC_REALM_PATH
from services.kernel.traffic import annotate

from .authorize import ErrorPage, LoginNeeded, Redirect, authorize
from .bearer import bearer_of, challenge, live_access_token
from .ciba import backchannel_request
from .discovery import OIDC, metadata
from .grants import subject_of
from .identity import for_scope
from .logout import logout, notify
from .pages import error_page, login_page, message_page
from .push import start_push
from .server import OAuthResult, Provider, PscJsonRequest, PscRequest, db
from .store import client_of_token

router = APIRouter()
"""Routes are matched in the order they are defined: the login and introspection endpoints come first."""
REALM = PSC_REALM_PATH
SESSION_COOKIE = "PSC_SESSION"
JWKS_RELOAD_SECONDS = 30.0
WALLET_AUTH = "/auth"
"""The real authorization endpoint lives on the wallet front (``https://wallet.…/auth``, psc.md §1.1): same here."""


def provider_of(request: Request) -> Provider:
    provider: Provider = request.app.state.provider
    return provider


async def oauth_request(request: Request) -> PscRequest:
    """The authlib request for a Starlette request (query and, for POST, the form body)."""
    form: list[tuple[str, str]] = []
    if request.method == "POST":
        body = await request.form()
        form = [(k, v) for k, v in body.multi_items() if isinstance(v, str)]
    return PscRequest(
        request.method, str(request.url), request.headers, list(request.query_params.multi_items()), form
    )


def to_response(result: OAuthResult) -> Response:
    headers = dict(result.headers)
    if isinstance(result.body, dict):
        headers.pop("Content-Type", None)
        return JSONResponse(result.body, status_code=result.status, headers=headers)
    return Response(result.body or b"", status_code=result.status, headers=headers)


def cookie_path(request: Request) -> str:
    """The service's root: the SSO cookie must reach the realm paths and the wallet-style ``/auth``."""
    return request.scope.get("root_path", "") or "/"


def redirect_response(request: Request, outcome: Redirect) -> Response:
    response = to_response(outcome.result)
    if outcome.sid:
        response.set_cookie(
            SESSION_COOKIE,
            outcome.sid,
            httponly=True,
            samesite="lax",
            secure=provider_of(request).issuer.issuer.startswith("https://"),
            path=cookie_path(request),
        )
    return response


@router.api_route(WALLET_AUTH, methods=["GET", "POST"])
@router.api_route(REALM + OIDC + "/auth", methods=["GET", "POST"])
async def authorization(request: Request) -> Response:
    provider = provider_of(request)
    oauth = await oauth_request(request)
    annotate(request, client_id=oauth.payload.client_id or "")
    cookie_sid = request.cookies.get(SESSION_COOKIE)
    auto = provider.settings.psc_auto_login
    outcome = await provider.run(lambda: authorize(provider, oauth, cookie_sid=cookie_sid, auto_login=auto))
    if isinstance(outcome, ErrorPage):
        return error_page(request, outcome.error, outcome.description)
    if isinstance(outcome, LoginNeeded):
        params = oauth.payload.data
        return login_page(request, provider, outcome, params)
    return redirect_response(request, outcome)


@router.post(REALM + OIDC + "/token")
async def token(request: Request) -> Response:
    provider = provider_of(request)
    oauth = await oauth_request(request)
    result: OAuthResult = await provider.run(lambda: provider.server.create_token_response(oauth))
    annotate(
        request,
        client_id=oauth.client.client_id if oauth.client else oauth.payload.client_id,
        idnat=oauth.user.idnat if oauth.user else None,
        grant_type=oauth.payload.grant_type,
    )
    response = to_response(result)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.api_route(REALM + OIDC + "/userinfo", methods=["GET", "POST"])
async def userinfo(request: Request) -> Response:
    provider = provider_of(request)
    form_token = None
    if request.method == "POST" and request.headers.get("content-type", "").startswith("application/x-www"):
        form_token = str((await request.form()).get("access_token") or "") or None
    token = bearer_of(request.headers.get("authorization"), form_token)

    def answer() -> tuple[dict[str, Any], Any]:
        row = live_access_token(provider.keys, provider.issuer.issuer, token)
        info = provider.profile(subject_of(row))
        if info is None:  # a bulk professional removed since the login
            raise challenge("invalid_token", "the professional of this token is no longer known")
        return for_scope(info, row.scope), client_of_token(row)

    info, client = await provider.read(answer)
    annotate(request, client_id=client.client_id if client else "", idnat=info.get("SubjectNameID"))
    if client is not None and client.behaviour == "userinfo_sub_mismatch":
        info = {**info, "sub": info["sub"] + "-other"}
    if client is not None and client.userinfo_alg:
        claims = {**info, "iss": provider.issuer.issuer, "aud": client.client_id}
        return Response(provider.keys.sign(claims), media_type="application/jwt")
    return Response(json.dumps(info, ensure_ascii=False), media_type="application/json")


@router.post(REALM + OIDC + "/token/introspect")
async def introspect(request: Request) -> Response:
    provider = provider_of(request)
    oauth = await oauth_request(request)
    # nothing is written unless the client authenticates with a signed assertion (its jti is recorded)
    writes = "client_assertion" in oauth.form
    result = await provider.run(
        lambda: provider.server.create_endpoint_response("introspection", oauth), write=writes
    )
    return to_response(result)


@router.get(REALM + "/.well-known/openid-configuration")
@router.get(REALM + "/.well-known/wallet-openid-configuration")
async def discovery(request: Request) -> dict[str, Any]:
    provider = provider_of(request)
    return metadata(provider.issuer.issuer, authorization_endpoint=provider.authorization_url)


@router.get(REALM + OIDC + "/certs")
async def certs(request: Request) -> dict[str, Any]:
    provider = provider_of(request)
    if time.monotonic() - provider.keys.loaded_at > JWKS_RELOAD_SECONDS:  # another instance may have rotated
        await provider.read(lambda: provider.keys.load(db()))
    return provider.keys.jwks


@router.post(REALM + OIDC + "/auth/login")
@router.post(WALLET_AUTH + "/login")
async def login_submit(request: Request) -> Response:
    """The login page's answer: a CPS login completes at once, an e-CPS one waits for the "push"."""
    provider = provider_of(request)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    idnat, means = form.pop("idnat", ""), form.pop("means", "CPS")
    annotate(request, client_id=form.get("client_id", ""), idnat=idnat)
    if means == "ECPS":
        push = await provider.run(lambda: start_push(provider, idnat=idnat, params=form))
        waiting = request.url.path.rsplit("/login", 1)[0] + f"/push/{push.push_id}"
        return RedirectResponse(waiting, status_code=303)
    oauth = PscRequest("GET", str(request.url), request.headers, list(form.items()), [])
    outcome = await provider.run(
        lambda: authorize(provider, oauth, cookie_sid=None, auto_login=False, login=(idnat, means))
    )
    if isinstance(outcome, ErrorPage):
        return error_page(request, outcome.error, outcome.description)
    if isinstance(outcome, LoginNeeded):  # cannot happen with a login given; keep the page honest
        return error_page(request, "login_required", "no professional was chosen")
    return redirect_response(request, outcome)


@router.post(REALM + OIDC + "/revoke")
async def revoke(request: Request) -> Response:
    provider = provider_of(request)
    oauth = await oauth_request(request)
    result = await provider.run(lambda: provider.server.create_endpoint_response("revocation", oauth))
    return to_response(result)


@router.post(REALM + "/clients-registrations/openid-connect")
async def register(request: Request) -> Response:
    provider = provider_of(request)
    try:
        data = await request.json()
    except (ValueError, RecursionError):  # RecursionError: JSON nested too deep
        data = None
    json_request = PscJsonRequest(
        "POST", str(request.url), request.headers, data if isinstance(data, dict) else {}
    )

    def work() -> OAuthResult:
        try:
            return OAuthResult(*provider.registration(json_request))
        except OAuth2Error as error:
            return OAuthResult(*error())

    return to_response(await provider.run(work))


@router.api_route(REALM + OIDC + "/logout", methods=["GET", "POST"])
async def end_session_endpoint(request: Request) -> Response:
    provider = provider_of(request)
    oauth = await oauth_request(request)
    params = oauth.payload.data
    cookie_sid = request.cookies.get(SESSION_COOKIE)
    outcome = await provider.run(lambda: logout(provider, params, cookie_sid=cookie_sid))
    if outcome.error:
        return error_page(request, "invalid_request", outcome.error)
    await notify(outcome.notices)
    if outcome.redirect:
        response: Response = RedirectResponse(outcome.redirect, status_code=302)
    else:
        response = message_page(request, "Session fermée", "Vous êtes déconnecté de Pro Santé Connect.")
    response.delete_cookie(SESSION_COOKIE, path=cookie_path(request))
    return response


@router.post(REALM + OIDC + "/ext/ciba/auth")
async def backchannel_authentication(request: Request) -> Response:
    provider = provider_of(request)
    oauth = await oauth_request(request)
    annotate(request, client_id=oauth.payload.client_id or "", idnat=oauth.form.get("login_hint"))
    return to_response(await provider.run(lambda: backchannel_request(provider, oauth)))
