"""CIBA in poll mode, the only mode PSC implements (psc.md §4.1): request, approval, token polling.

The professional's phone is simulated: the e-CPS page and the test API approve or refuse a pending
request, which is a database row, so polling works across instances and restarts. Polling faster than
``interval`` gets ``slow_down``; after ``expires_in`` the request is ``expired_token``; an issued
request cannot be redeemed twice.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from authlib.oauth2.rfc6749 import (
    AccessDeniedError,
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
    UnauthorizedClientError,
    grants,
)
from authlib.oauth2.rfc8628 import AuthorizationPendingError, ExpiredTokenError, SlowDownError

from .clients import GRANT_CIBA, Client
from .grants import CLIENT_AUTH, provider_of
from .identity import AUTH_MODES, Subject
from .models import PscCiba, PscSession
from .server import OAuthResult, Provider, PscRequest, conn, db
from .store import get_ciba, open_session, save_ciba

CIBA_TTL = 120
CIBA_MAX_TTL = 600
CIBA_INTERVAL = 1
CHANNELS = {"MOBILE": "ECPS", "CARD": "CPS"}
BINDING_MESSAGE = re.compile(r"^[\w \-.:]{1,32}$")


class UnknownUserIdError(OAuth2Error):
    error = "unknown_user_id"


class InvalidBindingMessageError(OAuth2Error):
    error = "invalid_binding_message"


def _expiry(value: str | None) -> int:
    if value is None:
        return CIBA_TTL
    if not value.isdigit() or not 1 <= int(value) <= CIBA_MAX_TTL:
        raise InvalidRequestError(f"requested_expiry must be an integer between 1 and {CIBA_MAX_TTL}")
    return int(value)


def backchannel_request(provider: Provider, request: PscRequest) -> OAuthResult:
    """Answer a backchannel authentication request (CIBA Core §7)."""
    server = provider.server
    try:
        client: Client = server.authenticate_client(request, CLIENT_AUTH, "backchannel")
        if not client.check_grant_type(GRANT_CIBA):
            raise UnauthorizedClientError("the client is not registered for CIBA")
        data = request.form
        if "openid" not in (data.get("scope") or "").split():
            raise InvalidScopeError("scope must contain openid")
        if data.get("login_hint_token") or data.get("id_token_hint"):
            raise InvalidRequestError("only login_hint (the professional's idNat) is supported")
        hint = data.get("login_hint")
        if not hint:
            raise InvalidRequestError("login_hint (idNat) is required")
        if not provider.known(hint):
            raise UnknownUserIdError("login_hint is not the idNat of a known professional")
        acr = data.get("acr_values")
        if acr is not None and "eidas1" not in acr.split():
            raise InvalidRequestError("acr_values: only eidas1 is supported")
        message = data.get("binding_message", "")
        if message and not BINDING_MESSAGE.match(message):
            raise InvalidBindingMessageError(
                "binding_message must be 1 to 32 plain characters (PSC: 2 digits)"
            )
        channel = data.get("channel", "MOBILE")
        if channel not in CHANNELS:
            raise InvalidRequestError("channel must be CARD or MOBILE")
        ttl = _expiry(data.get("requested_expiry"))
        now = time.time()
        row = PscCiba(
            auth_req_id=secrets.token_urlsafe(32),
            client_id=client.client_id,
            idnat=hint,
            scope=client.get_allowed_scope(data["scope"]),
            binding_message=message,
            channel=channel,
            created_at=now,
            expires_at=now + ttl,
            interval=CIBA_INTERVAL,
        )
        save_ciba(db(), request=row)
    except OAuth2Error as error:
        return server.handle_error_response(request, error)
    body = {"auth_req_id": row.auth_req_id, "expires_in": ttl, "interval": CIBA_INTERVAL}
    return OAuthResult(200, body, [("Cache-Control", "no-store")])


def decide(
    provider: Provider, *, auth_req_id: str, approve: bool, idnat: str | None = None
) -> PscCiba | None:
    """The phone's answer; None when there is no such pending request (for that professional)."""
    row = get_ciba(db(), auth_req_id=auth_req_id)
    if row is None or row.status != "pending" or row.expires_at <= time.time():
        return None
    if idnat is not None and row.idnat != idnat:
        return None
    if approve:
        sid = secrets.token_urlsafe(24)
        open_session(conn(), sid=sid, idnat=row.idnat, auth_mode=AUTH_MODES[CHANNELS[row.channel]])
        row.sid = sid
    row.status = "approved" if approve else "denied"
    db().add(row)
    return row


class CibaGrant(grants.BaseGrant, grants.TokenEndpointMixin):
    GRANT_TYPE = GRANT_CIBA
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH

    def validate_token_request(self) -> None:
        client: Client = self.authenticate_token_endpoint_client()
        if not client.check_grant_type(GRANT_CIBA):
            raise UnauthorizedClientError("the client is not registered for CIBA")
        auth_req_id = self.request.form.get("auth_req_id")
        if not auth_req_id:
            raise InvalidRequestError("auth_req_id is required")
        row = get_ciba(db(), auth_req_id=auth_req_id)
        if row is None or row.client_id != client.client_id or row.status == "issued":
            raise InvalidGrantError("unknown or already redeemed auth_req_id")
        now = time.time()
        if row.expires_at <= now:
            raise ExpiredTokenError()
        if row.status == "denied":
            raise AccessDeniedError("the professional refused the request")
        if row.status == "pending" and client.ciba_auto_approve and row.last_poll is not None:
            row = decide(provider_of(self), auth_req_id=row.auth_req_id, approve=True) or row
        if row.status == "pending":
            too_fast = row.last_poll is not None and now - row.last_poll < row.interval
            row.last_poll = now
            db().add(row)
            if too_fast:
                raise SlowDownError()
            raise AuthorizationPendingError(
                "The authorization request is still pending as the end-user hasn't yet been authenticated."
            )
        self.request.client = client
        self.request.credential = row

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        row: PscCiba = self.request.credential
        session = db().get(PscSession, row.sid)
        if session is None:
            raise InvalidGrantError("the approval's session is gone")
        subject = Subject(row.idnat, session.sid, session.auth_mode, session.auth_time)
        self.request.user = subject
        token = provider_of(self).issue(client=self.request.client, subject=subject, scope=row.scope)
        row.status = "issued"
        db().add(row)
        return 200, token, self.TOKEN_RESPONSE_HEADER


def install(provider: Provider) -> None:
    provider.server.register_grant(CibaGrant)
