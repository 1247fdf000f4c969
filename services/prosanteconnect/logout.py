"""RP-initiated logout (OIDC RP-Initiated Logout 1.0) and back-channel logout notices (OIDC Back-Channel 1.0).

``id_token_hint`` names the session and the client (an expired ID token is still a good hint);
``post_logout_redirect_uri`` must be registered by that client, or the user gets PSC's own "session
closed" page (psc.md §2.2) — never a redirect to an unchecked URI. Ending the session revokes its
tokens; every client that held one and registered a ``backchannel_logout_uri`` gets a logout token.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field

import httpx
from authlib.common.urls import add_params_to_uri

from .identity import sub_of
from .models import PscSession
from .server import Provider, conn, db
from .store import end_session, get_client

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
BACKCHANNEL_TIMEOUT = 5.0


@dataclass
class LogoutOutcome:
    redirect: str | None = None
    error: str | None = None
    notices: list[tuple[str, str]] = field(default_factory=list)
    """(back-channel URI, logout token) to send once the transaction has committed."""


def logout(provider: Provider, params: dict[str, str], *, cookie_sid: str | None) -> LogoutOutcome:
    issuer = provider.issuer.issuer
    client, sid = None, cookie_sid
    hint = params.get("id_token_hint")
    if hint:
        claims = provider.keys.verify(hint)
        if claims is None or claims.get("iss") != issuer or claims.get("typ") != "ID":
            return LogoutOutcome(error="id_token_hint is not an ID token of this provider")
        client = get_client(conn(), client_id=str(claims.get("aud", "")))
        sid = str(claims.get("sid") or "") or sid
    client_id = params.get("client_id")
    if client_id:
        if client is not None and client.client_id != client_id:
            return LogoutOutcome(error="client_id does not match the id_token_hint's audience")
        client = client or get_client(conn(), client_id=client_id)
    target = params.get("post_logout_redirect_uri")
    if target and (client is None or target not in client.post_logout_redirect_uris):
        return LogoutOutcome(error="post_logout_redirect_uri is not registered for this client")
    outcome = LogoutOutcome()
    if sid:
        for holder_id in end_session(db(), sid=sid):
            holder = get_client(conn(), client_id=holder_id)
            if holder is not None and holder.backchannel_logout_uri:
                outcome.notices.append(
                    (holder.backchannel_logout_uri, logout_token(provider, holder_id, sid))
                )
    if target:
        state = params.get("state")
        outcome.redirect = add_params_to_uri(target, [("state", state)]) if state else target
    return outcome


def logout_token(provider: Provider, client_id: str, sid: str) -> str:
    now = int(time.time())
    claims = {
        "iss": provider.issuer.issuer,
        "aud": client_id,
        "iat": now,
        "exp": now + 120,
        "jti": secrets.token_urlsafe(16),
        "sid": sid,
        "events": {BACKCHANNEL_EVENT: {}},
    }
    session = db().get(PscSession, sid)
    if session is not None:
        claims["sub"] = sub_of(session.idnat)
    return provider.keys.sign(claims, typ="logout+jwt")


async def notify(notices: list[tuple[str, str]]) -> None:
    """Send the logout tokens; a client that does not answer is its own problem (Back-Channel §2.8)."""
    if not notices:
        return
    async with httpx.AsyncClient(timeout=BACKCHANNEL_TIMEOUT) as client:
        for uri, token in notices:
            try:
                await client.post(uri, data={"logout_token": token})
            except httpx.HTTPError:
                continue
