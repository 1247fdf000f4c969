"""Introspection (RFC 7662, PSC fields), revocation (RFC 7009) and registration (RFC 7591), on authlib.

Introspection answers with the fields of PSC's (psc.md §3.4) and ``SubjectNameID`` only for access
tokens (industriels node/1164); anything expired, revoked, logged out or not ours is ``active: false``.
"""

from __future__ import annotations

import secrets
from typing import Any

from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7591 import (
    ClientMetadataClaims,
    ClientRegistrationEndpoint,
    InvalidClientMetadataError,
)
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from authlib.oidc.registration import ClientMetadataClaims as OidcClientMetadataClaims

from .bearer import access_claims
from .clients import AUTH_METHODS, SettingsError, check_socle_settings
from .discovery import metadata
from .grants import CLIENT_AUTH, TokenRecord
from .identity import other_ids, sub_of
from .issuance import ACCESS_ACR
from .server import Provider, conn, db
from .store import get_by_refresh, put_client, revoke_families, revoke_token, token_with_session

SECRET_AUTH = [m for m in CLIENT_AUTH if m != "none"]


def find_token(provider: Provider, token: str) -> TokenRecord | None:
    """An access token (a JWT we signed) or a refresh token (by hash): the hint is only a hint (RFC 7662 §2.1)."""
    claims = access_claims(provider.keys, provider.issuer.issuer, token) if token.count(".") == 2 else None
    if claims is not None:
        found = token_with_session(conn(), jti=str(claims.get("jti", "")))
        return TokenRecord(found[0], "access_token", session_alive=found[1]) if found else None
    row = get_by_refresh(db(), refresh_token=token)
    return TokenRecord(row, "refresh_token") if row else None


class PscIntrospection(IntrospectionEndpoint):
    CLIENT_AUTH_METHODS = SECRET_AUTH

    def __init__(self, provider: Provider) -> None:
        super().__init__(provider.server)
        self.provider = provider

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRecord | None:
        return find_token(self.provider, token_string)

    def check_permission(self, token: TokenRecord, client: Any, request: Any) -> bool:
        return True  # resource servers introspect tokens issued to other clients (psc.md §4.3)

    def introspect_token(self, token: TokenRecord) -> dict[str, Any]:
        row = token.row
        body: dict[str, Any] = {
            "exp": int(token.expires_at),
            "iat": int(row.issued_at),
            "auth_time": row.auth_time,
            "jti": row.jti,
            "iss": self.provider.issuer.issuer,
            "sub": sub_of(row.idnat),
            "typ": "Bearer" if token.kind == "access_token" else "Refresh",
            "azp": row.client_id,
            "nonce": "",
            "session_state": row.sid,
            "preferred_username": row.idnat,
            "email_verified": False,
            "acr": ACCESS_ACR,
            "scope": row.scope,
            "sid": row.sid,
            "authMode": row.auth_mode,
            "otherIds": other_ids(row.idnat),
            "client_id": row.client_id,
            "username": row.idnat,
            "token_type": "Bearer" if token.kind == "access_token" else "Refresh",
            "active": True,
        }
        if token.kind == "access_token":
            body["SubjectNameID"] = row.idnat
        return body


class PscRevocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = CLIENT_AUTH

    def __init__(self, provider: Provider) -> None:
        super().__init__(provider.server)
        self.provider = provider

    def query_token(self, token_string: str, token_type_hint: str | None) -> TokenRecord | None:
        return find_token(self.provider, token_string)

    def revoke_token(self, token: TokenRecord, request: Any) -> None:
        """Revoking a refresh token revokes its whole chain (RFC 7009 §2.1); an access token, itself."""
        if token.kind == "refresh_token":
            revoke_families(db(), families=[token.row.family])
        else:
            revoke_token(db(), jti=token.row.jti)


class PscRegistration(ClientRegistrationEndpoint):
    """Open dynamic registration (RFC 7591), as a sandbox realm's anonymous registration policy allows."""

    def __init__(self, provider: Provider) -> None:
        super().__init__(provider.server, claims_classes=[ClientMetadataClaims, OidcClientMetadataClaims])
        self.provider = provider

    def get_server_metadata(self) -> dict[str, Any]:
        return metadata(self.provider.issuer.issuer)

    def authenticate_token(self, request: Any) -> bool:
        return True

    def resolve_public_key(self, request: Any) -> None:
        return None

    def extract_client_metadata(self, request: Any) -> dict[str, Any]:
        data = request.payload.data
        if not isinstance(data, dict) or (
            not data.get("redirect_uris")
            and "urn:openid:params:grant-type:ciba" not in data.get("grant_types", [])
        ):
            raise InvalidClientMetadataError("redirect_uris is required")
        method = data.get("token_endpoint_auth_method", "client_secret_basic")
        if method not in AUTH_METHODS:
            raise InvalidClientMetadataError(
                f"token_endpoint_auth_method must be one of {list(AUTH_METHODS)}"
            )
        if method == "private_key_jwt" and not (data.get("jwks") or data.get("jwks_uri")):
            raise InvalidClientMetadataError("private_key_jwt needs jwks or jwks_uri")
        alg = data.get("userinfo_signed_response_alg")
        if alg not in (None, "none", "RS256"):
            raise InvalidClientMetadataError("userinfo_signed_response_alg: only RS256 is supported")
        try:
            socle = check_socle_settings(data)
        except SettingsError as exc:
            raise InvalidClientMetadataError(str(exc)) from exc
        validated: dict[str, Any] = super().extract_client_metadata(request)
        validated.setdefault("token_endpoint_auth_method", method)
        validated.setdefault("grant_types", ["authorization_code", "refresh_token"])
        validated.setdefault("response_types", ["code"])
        for key in ("backchannel_logout_uri", "post_logout_redirect_uris", "jwks", "jwks_uri"):
            if key in data:
                validated[key] = data[key]
        return {**validated, **socle}

    def generate_client_secret(self, request: Any) -> str | None:
        method = request.payload.data.get("token_endpoint_auth_method", "client_secret_basic")
        return secrets.token_urlsafe(32) if method.startswith("client_secret") else None

    def generate_client_info(self, request: Any) -> dict[str, Any]:
        info: dict[str, Any] = super().generate_client_info(request)
        if info["client_secret"] is None:  # private_key_jwt and public clients get no secret
            del info["client_secret"], info["client_secret_expires_at"]
        return info

    def save_client(
        self, client_info: dict[str, Any], client_metadata: dict[str, Any], request: Any
    ) -> dict[str, Any]:
        put_client(
            db(),
            client_id=client_info["client_id"],
            client_secret=client_info.get("client_secret"),
            metadata={**client_metadata, "client_id": client_info["client_id"]},
            registration_token=secrets.token_urlsafe(32),
        )
        return client_info


def install(provider: Provider) -> None:
    provider.server.register_endpoint(PscIntrospection(provider))
    provider.server.register_endpoint(PscRevocation(provider))
    provider.registration = PscRegistration(provider)
