"""The console as a Pro Santé Connect relying party: the ``socle-demo`` client of the fixtures.

Authorization code + PKCE (S256) for a browser login, CIBA poll mode for an e-CPS approval, refresh
when the 2-minute access token runs out (psc.md §1.4). authlib's OAuth2 client does the protocol; the
ID token's signature, issuer, audience and nonce are checked with joserfc against PSC's JWKS.
"""

from __future__ import annotations

import secrets
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.oauth2.client import OAuth2Client
from fastapi import FastAPI
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from services.kernel.errors import ServiceUnavailable, Unauthorized
from services.kernel.settings import PSC_REALM_PATH

from .gateway import Gateway
from .models import ConsoleSession, ConsoleSettings, PendingLogin

with warnings.catch_warnings():
    # authlib prefers the httpx2 fork; the project pins httpx, which authlib still supports.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

SCOPE = "openid scope_all"
ACR = "eidas1"
CIBA_GRANT = "urn:openid:params:grant-type:ciba"
CODE_LOGIN_MINUTES = 10


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DemoClient:
    client_id: str
    client_secret: str
    redirect_uri: str
    post_logout_redirect_uri: str

    @classmethod
    def from_fixtures(cls, data: dict[str, Any]) -> DemoClient:
        demo = next(c for c in data["clients"] if c["client_id"] == "socle-demo")
        return cls(
            demo["client_id"],
            demo["client_secret"],
            demo["redirect_uris"][0],
            demo["post_logout_redirect_uris"][0],
        )


class PscLogin:
    """Everything the login pages need from PSC, for one console app."""

    def __init__(self, app: FastAPI, client: DemoClient) -> None:
        self.settings: ConsoleSettings = app.state.settings
        self.gateway: Gateway = app.state.gateway
        self.client = client

    def _oauth(self) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(
            client_id=self.client.client_id,
            client_secret=self.client.client_secret,
            token_endpoint_auth_method="client_secret_basic",
            scope=SCOPE,
            redirect_uri=self.client.redirect_uri,
            code_challenge_method="S256",
            **self.gateway.client_kwargs(),
        )

    def authorization(self, login_hint: str = "") -> tuple[str, PendingLogin]:
        """The PSC URL the browser goes to, and what the callback will need to finish."""
        verifier, nonce = generate_token(64), generate_token(32)
        extra = {"login_hint": login_hint} if login_hint else {}
        protocol = OAuth2Client(
            session=None,
            client_id=self.client.client_id,
            scope=SCOPE,
            redirect_uri=self.client.redirect_uri,
            code_challenge_method="S256",
        )  # building the URL is pure: no HTTP client needed
        url, state = protocol.create_authorization_url(
            f"{self.settings.psc_issuer}/protocol/openid-connect/auth",
            code_verifier=verifier,
            nonce=nonce,
            acr_values=ACR,
            **extra,
        )
        pending = PendingLogin(
            state=state,
            kind="code",
            created=_now(),
            code_verifier=verifier,
            nonce=nonce,
            expires=_now() + timedelta(minutes=CODE_LOGIN_MINUTES),
        )
        return url, pending

    async def exchange_code(self, pending: PendingLogin, code: str) -> dict[str, Any]:
        async with self._oauth() as oauth:
            try:
                token = await oauth.fetch_token(
                    self.gateway.endpoint("token"),
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.code_verifier,
                )
            except OAuthError as exc:
                raise Unauthorized(f"Pro Santé Connect refused the code: {exc.error}") from exc
        return dict(token)

    async def start_ciba(self, login_hint: str, binding_message: str) -> PendingLogin:
        form = {
            "scope": SCOPE,
            "acr_values": ACR,
            "login_hint": login_hint,
            "binding_message": binding_message,
            "channel": "MOBILE",
        }
        async with self._oauth() as oauth:
            response = await oauth.request(
                "POST",
                self.gateway.endpoint("ext/ciba/auth"),
                data=form,
                withhold_token=True,
                auth=oauth.client_auth("client_secret_basic"),
            )
        body = (
            response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
        )
        if response.status_code != 200 or "auth_req_id" not in body:
            reason = body.get("error_description") or body.get("error") or f"HTTP {response.status_code}"
            raise Unauthorized(f"Pro Santé Connect refused the CIBA request: {reason}")
        return PendingLogin(
            state=secrets.token_urlsafe(24),
            kind="ciba",
            created=_now(),
            auth_req_id=body["auth_req_id"],
            login_hint=login_hint,
            binding_message=binding_message,
            interval=int(body.get("interval", 1)),
            expires=_now() + timedelta(seconds=int(body.get("expires_in", 120))),
        )

    async def poll_ciba(self, pending: PendingLogin) -> dict[str, Any] | str:
        """The token response once approved, or the CIBA error code (``authorization_pending``...)."""
        async with self._oauth() as oauth:
            try:
                token = await oauth.fetch_token(
                    self.gateway.endpoint("token"), grant_type=CIBA_GRANT, auth_req_id=pending.auth_req_id
                )
            except OAuthError as exc:
                return str(exc.error)
        return dict(token)

    async def refresh(self, refresh_token: str) -> dict[str, Any] | None:
        async with self._oauth() as oauth:
            try:
                token = await oauth.refresh_token(self.gateway.endpoint("token"), refresh_token=refresh_token)
            except OAuthError:
                return None
        return dict(token)

    async def _keys(self) -> KeySet:
        response = await self.gateway.get("prosanteconnect", _realm("certs"))
        if response.status_code != 200:
            raise ServiceUnavailable(f"Pro Santé Connect keys answered {response.status_code}")
        return KeySet.import_key_set(response.json())

    async def id_claims(self, id_token: str, nonce: str | None) -> dict[str, Any]:
        """The ID token's claims once signature, issuer, audience, expiry (and nonce) hold."""
        try:
            decoded = jwt.decode(id_token, await self._keys(), algorithms=["RS256"])
            checks: dict[str, Any] = {
                "iss": {"essential": True, "value": self.settings.psc_issuer},
                "aud": {"essential": True, "value": self.client.client_id},
                "exp": {"essential": True},
            }
            if nonce is not None:
                checks["nonce"] = {"essential": True, "value": nonce}
            jwt.JWTClaimsRegistry(**checks).validate(decoded.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthorized(f"invalid ID token from Pro Santé Connect: {exc}") from exc
        return decoded.claims

    async def userinfo(self, access_token: str) -> dict[str, Any]:
        response = await self.gateway.get(
            "prosanteconnect", _realm("userinfo"), headers={"Authorization": f"Bearer {access_token}"}
        )
        if response.status_code != 200:
            raise Unauthorized(f"Pro Santé Connect userinfo answered {response.status_code}")
        return response.json()  # type: ignore[no-any-return]

    async def new_session(self, token: dict[str, Any], nonce: str | None) -> ConsoleSession:
        claims = await self.id_claims(token.get("id_token", ""), nonce)
        info = await self.userinfo(token["access_token"])
        exercice = (info.get("SubjectRefPro", {}).get("exercices") or [{}])[0]
        name = " ".join(
            part
            for part in (
                exercice.get("codeCiviliteDexercice"),
                info.get("given_name"),
                info.get("family_name"),
            )
            if part
        )
        now = _now()
        return ConsoleSession(
            id=secrets.token_urlsafe(32),
            created=now,
            expires=now + timedelta(hours=self.settings.session_hours),
            idnat=info.get("SubjectNameID") or claims.get("preferred_username", ""),
            name=name,
            profession=exercice.get("codeProfession", ""),
            auth_mode=str(info.get("authMode") or claims.get("authMode") or ""),
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token", ""),
            id_token=token.get("id_token", ""),
            access_expires=now + timedelta(seconds=int(token.get("expires_in", 120))),
        )

    def logout_url(self, id_token: str) -> str:
        query = urlencode(
            {"id_token_hint": id_token, "post_logout_redirect_uri": self.client.post_logout_redirect_uri}
        )
        return f"{self.settings.psc_issuer}/protocol/openid-connect/logout?{query}"


def _realm(name: str) -> str:
    return f"{PSC_REALM_PATH}/protocol/openid-connect/{name}"
