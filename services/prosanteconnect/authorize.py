"""The authorization endpoint's decision, run synchronously inside one transaction.

authlib validates the request (client, exact redirect URI, response type, scope, nonce, prompt,
PKCE); PSC adds ``acr_values`` (only ``eidas1``, psc.md §2.1). Errors that can be redirected go back
to the client with ``state`` and ``iss``; errors about the client or its redirect URI never redirect
(RFC 6749 §4.1.2.1: no open redirector) and become an error page instead.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from authlib.oauth2.rfc6749 import AccessDeniedError, InvalidRequestError, OAuth2Error

from .identity import AUTH_MODES, Subject
from .server import OAuthResult, Provider, PscRequest, conn, db
from .store import live_session, open_session

MAX_PARAMETER = 2048
"""Longest parameter value accepted (Keycloak caps additional parameters at 2000): no unbounded storage."""


@dataclass(frozen=True)
class ErrorPage:
    error: str
    description: str


@dataclass(frozen=True)
class LoginNeeded:
    """No session and no auto-login: show the login page for this request."""

    client_name: str
    login_hint: str


@dataclass(frozen=True)
class Redirect:
    result: OAuthResult
    sid: str | None = None


Outcome = ErrorPage | LoginNeeded | Redirect


def _login_hint_subject(provider: Provider, request: PscRequest) -> str:
    hint = request.payload.data.get("login_hint", "")
    if hint:
        if not provider.known(hint):
            raise InvalidRequestError("login_hint is not the idNat of a known professional")
        return hint
    return provider.fixtures.professionals[0].idnat


def authorize(
    provider: Provider,
    request: PscRequest,
    *,
    cookie_sid: str | None,
    auto_login: bool,
    login: tuple[str, str] | None = None,
    denied: bool = False,
) -> Outcome:
    """Decide the answer to an authorization request; ``login`` = (idNat, means) from the login page."""
    server = provider.server
    session = live_session(db(), sid=cookie_sid, touch=True) if cookie_sid else None
    hint = request.payload.data.get("login_hint")
    if session is not None and hint and hint != session.idnat:
        session = None  # a login_hint for someone else is a new login, not this SSO session
    current = Subject(session.idnat, session.sid, session.auth_mode, session.auth_time) if session else None
    try:
        # auto-login stands for a user who is always there: prompt=none never fails for lack of a session
        grant = server.get_consent_grant(request, end_user=current or auto_login or None)
    except OAuth2Error as error:
        if error.redirect_uri:
            return Redirect(server.handle_error_response(request, error))
        return ErrorPage(error.error, error.description or "")
    try:
        oversized = sorted(k for k, v in request.payload.data.items() if len(str(v)) > MAX_PARAMETER)
        if "state" in oversized:  # echoing it would make the redirect itself the attack
            return ErrorPage("invalid_request", f"state is longer than {MAX_PARAMETER} characters")
        if oversized:
            raise InvalidRequestError(f"{', '.join(oversized)}: longer than {MAX_PARAMETER} characters")
        acr = request.payload.data.get("acr_values")
        if acr is not None and "eidas1" not in acr.split():
            raise InvalidRequestError("acr_values: only eidas1 is supported by Pro Sante Connect")
        if denied:
            raise AccessDeniedError("the professional refused the login on the e-CPS application")
        subject = None
        prompt = (request.payload.data.get("prompt") or "").split()
        if login is not None:
            idnat, means = login
            if not provider.known(idnat):
                raise InvalidRequestError("the chosen idNat is not a known professional")
            professional = provider.fixtures.professional(idnat)
            if professional is not None and not (professional.ecps if means == "ECPS" else professional.cps):
                raise AccessDeniedError(
                    f"this professional has no {'e-CPS' if means == 'ECPS' else 'CPS card'}"
                )
        elif current is not None and "login" not in prompt:
            subject = current
        elif auto_login:
            idnat, means = _login_hint_subject(provider, request), "CPS"
        else:
            client_name = str(request.client.metadata.get("client_name") or request.client.client_id)
            return LoginNeeded(client_name, request.payload.data.get("login_hint", ""))
        if subject is None:
            sid, auth_mode = secrets.token_urlsafe(24), AUTH_MODES.get(means, "CARD")
            auth_time = open_session(conn(), sid=sid, idnat=idnat, auth_mode=auth_mode)
            subject = Subject(idnat, sid, auth_mode, auth_time)
    except OAuth2Error as error:
        error.redirect_uri = grant.redirect_uri
        error.state = request.payload.state
        return Redirect(server.handle_error_response(request, error))
    result = server.create_authorization_response(request, grant_user=subject, grant=grant)
    return Redirect(result, subject.sid)
