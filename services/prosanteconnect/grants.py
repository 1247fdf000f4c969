"""authlib grants configured as Pro Santé Connect behaves: code + PKCE + OIDC, refresh rotation, client auth.

Codes are single-use and short-lived; presenting a used code again revokes every token it issued
(RFC 6749 §4.1.2). Refresh tokens rotate; presenting a rotated one again revokes the whole chain
(RFC 9700 §4.14.2). PKCE accepts S256, and ``plain`` only for a client that allows it.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import httpx
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc6749 import (
    AuthorizationCodeMixin,
    InvalidClientError,
    InvalidRequestError,
    OAuth2Request,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode
from joserfc.jwk import KeySet

from .clients import Client
from .identity import Subject
from .issuance import CODE_TTL
from .server import Provider, PscServer, conn, db
from .store import (
    code_with_session,
    get_by_refresh,
    live_session,
    mark_code_used,
    mark_refresh_used,
    revoke_families,
    revoke_issued_from_code,
    save_code,
    session_is_live,
    use_assertion_id,
)

CLIENT_AUTH = ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"]
JWKS_URI_TIMEOUT = 5.0


class CodeRecord(AuthorizationCodeMixin):
    def __init__(self, row: Any) -> None:
        self.row = row
        """The ``psc_code`` row as read (:func:`store.code_with_session`): the columns of :class:`PscCode`."""

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope


class TokenRecord(TokenMixin):
    def __init__(self, row: Any, kind: str, *, session_alive: bool | None = None) -> None:
        self.row = row
        """The ``psc_token`` row: an ORM object, or a Core row read with its session (same attributes)."""
        self.kind = kind
        self.session_alive = session_alive
        """Whether its SSO session is alive, when read together with the token (else asked on demand)."""

    def check_client(self, client: Client) -> bool:
        return self.row.client_id == client.client_id

    def get_scope(self) -> str:
        return self.row.scope

    def get_expires_in(self) -> int:
        return int(self.expires_at - self.row.issued_at)

    @property
    def expires_at(self) -> float:
        if self.kind == "refresh_token":
            return self.row.refresh_expires_at or 0
        return self.row.access_expires_at

    def is_expired(self) -> bool:
        return time.time() >= self.expires_at

    def is_revoked(self) -> bool:
        if self.row.revoked or (self.kind == "refresh_token" and self.row.refresh_used):
            return True
        if self.session_alive is not None:
            return not self.session_alive
        return not session_is_live(conn(), sid=self.row.sid)

    def get_user(self) -> Subject:
        return subject_of(self.row)


def subject_of(row: Any) -> Subject:
    return Subject(row.idnat, row.sid, row.auth_mode, row.auth_time)


def provider_of(grant: Any) -> Provider:
    server: PscServer = grant.server
    return server.provider


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH
    AUTHORIZATION_CODE_LENGTH = 43

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        subject: Subject = request.user
        data = request.payload.data
        challenge = data.get("code_challenge", "")
        save_code(
            conn(),
            values={
                "code": code,
                "client_id": request.client.client_id,
                "idnat": subject.idnat,
                "sid": subject.sid,
                "redirect_uri": request.payload.redirect_uri,
                "scope": request.scope,
                "nonce": data.get("nonce", ""),
                "code_challenge": challenge,
                "code_challenge_method": (data.get("code_challenge_method") or "plain") if challenge else "",
                "auth_time": subject.auth_time,
                "auth_mode": subject.auth_mode,
                "expires_at": time.time() + CODE_TTL,
            },
        )

    def generate_authorization_code(self) -> str:
        """43 URL-safe characters from the OS's CSPRNG, as authlib's, without drawing them one by one."""
        return secrets.token_urlsafe(32)

    def query_authorization_code(self, code: str, client: Client) -> CodeRecord | None:
        found = code_with_session(conn(), code=code)
        if found is None or found[0].client_id != client.client_id:
            return None
        row, session_alive = found
        if row.used_at is not None:
            revoke_issued_from_code(db(), code=code)
            return None
        if row.expires_at < time.time() or not session_alive:
            return None
        return CodeRecord(row)

    def delete_authorization_code(self, authorization_code: CodeRecord) -> None:
        mark_code_used(conn(), code=authorization_code.row.code)

    def authenticate_user(self, authorization_code: CodeRecord) -> Subject:
        return subject_of(authorization_code.row)

    def generate_token(self, user: Subject, scope: str, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        code: CodeRecord = self.request.authorization_code
        return provider_of(self).issue(
            client=self.request.client,
            subject=user,
            scope=scope,
            nonce=code.row.nonce,
            code=code.row.code,
            include_refresh=bool(kwargs.get("include_refresh_token", True)),
        )

    def create_authorization_response(self, redirect_uri: str, grant_user: Subject) -> tuple[int, str, list]:
        status, body, headers = super().create_authorization_response(redirect_uri, grant_user)
        location = dict(headers)["Location"]
        issuer = provider_of(self).issuer.issuer
        return status, body, [("Location", add_params_to_uri(location, [("iss", issuer)]))]


class PscOpenIDCode(OpenIDCode):
    """The ID token is made by :class:`Issuer` with the access token: nothing left for authlib to sign."""

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return False  # Keycloak does not refuse a reused nonce; clients check theirs

    def process_token(self, grant: Any, response: Any) -> Any:
        _, token, _ = response
        return token


class PscCodeChallenge(CodeChallenge):
    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        super().validate_code_challenge(grant, redirect_uri)
        client: Client = grant.request.client
        data = grant.request.payload.data
        challenge = data.get("code_challenge")
        if not challenge:
            if client.pkce_required:
                raise InvalidRequestError("PKCE is required for this client: send code_challenge (S256)")
            return
        method = data.get("code_challenge_method") or "plain"
        if method not in client.pkce_methods:
            raise InvalidRequestError(
                f"code_challenge_method must be one of {client.pkce_methods} for this client"
            )

    def get_authorization_code_challenge(self, authorization_code: CodeRecord) -> str:
        return authorization_code.row.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code: CodeRecord) -> str:
        return authorization_code.row.code_challenge_method


class RefreshGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = CLIENT_AUTH
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> TokenRecord | None:
        row = get_by_refresh(db(), refresh_token=refresh_token)
        if row is None:
            return None
        if row.refresh_used:
            revoke_families(db(), families=[row.family])
            return None
        record = TokenRecord(row, "refresh_token")
        if record.is_expired() or record.is_revoked():
            return None
        live_session(db(), sid=row.sid, touch=True)  # a refresh is activity: the SSO idle clock restarts
        return record

    def authenticate_user(self, refresh_token: TokenRecord) -> Subject:
        return subject_of(refresh_token.row)

    def issue_token(self, user: Subject, refresh_token: TokenRecord) -> dict[str, Any]:
        scope = self.request.payload.scope or refresh_token.get_scope()
        return provider_of(self).issue(
            client=self.request.client,
            subject=user,
            scope=scope,
            nonce=refresh_token.row.nonce,
            family=refresh_token.row.family,
        )

    def revoke_old_credential(self, refresh_token: TokenRecord) -> None:
        mark_refresh_used(db(), jti=refresh_token.row.jti)


class PrivateKeyJwt(JWTBearerClientAssertion):
    """``private_key_jwt`` (RFC 7523 §2.2, OIDC Core §9): the client's keys by value or by URI."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def __init__(self, provider: Provider) -> None:
        super().__init__(validate_jti=True)
        self.provider = provider

    def get_audiences(self) -> list[str]:
        issuer = self.provider.settings.psc_issuer
        base = issuer + "/protocol/openid-connect"
        return [
            issuer,
            base + "/token",
            base + "/token/introspect",
            base + "/revoke",
            base + "/ext/ciba/auth",
        ]

    def resolve_client_public_key(self, client: Client) -> KeySet:
        if client.metadata.get("jwks"):
            return KeySet.import_key_set(client.metadata["jwks"])
        uri = client.metadata.get("jwks_uri")
        if not uri:
            raise InvalidClientError(description="the client registered neither jwks nor jwks_uri")
        try:
            response = httpx.get(uri, timeout=JWKS_URI_TIMEOUT)
            response.raise_for_status()
            return KeySet.import_key_set(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise InvalidClientError(description=f"cannot read the client's jwks_uri: {exc}") from exc

    def validate_jti(self, claims: Any, jti: str) -> bool:
        return use_assertion_id(db(), jti=jti, client_id=str(claims["sub"]), expires_at=float(claims["exp"]))


def install(provider: Provider) -> None:
    server = provider.server
    server.register_grant(CodeGrant, [PscCodeChallenge(required=True), PscOpenIDCode(require_nonce=False)])
    server.register_grant(RefreshGrant)
    server.register_client_auth_method("private_key_jwt", PrivateKeyJwt(provider))
