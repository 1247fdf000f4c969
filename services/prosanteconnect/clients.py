"""Relying parties: the static ``socle-demo`` client and RFC 7591 registrations, as authlib clients.

A client is its registered metadata (RFC 7591 / OIDC Registration names) plus socle's per-client test
settings, all prefixed ``socle_``: accepted PKCE methods, PKCE required, an ``aud`` for access tokens
(real PSC access tokens carry none, psc.md §3.2), CIBA approval without a phone, and the adversarial
behaviour of its ID tokens (until cleared).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import Any

from authlib.oauth2.rfc6749 import ClientMixin

from services.kernel.fixtures import Client as FixtureClient

SCOPES = (
    "openid",
    "scope_all",
    "profile",
    "email",
    "identity",
    "rpps",
    "referentiel",
    "eidas1",
    "eidas2",
    "interop",
    "scope_1",
    "scope_2",
    "offline_access",
    "roles",
    "web-origins",
    "basic",
    "acr",
    "microprofile-jwt",
    "phone",
    "address",
)
"""The realm's scopes, as in the captured discovery document (psc.md §1.2)."""

AUTH_METHODS = ("client_secret_basic", "client_secret_post", "private_key_jwt", "none")
PKCE_METHODS = ("S256", "plain")
ADVERSARIAL = (
    "wrong_nonce",
    "wrong_issuer",
    "wrong_audience",
    "expired",
    "unknown_kid",
    "bad_signature",
    "alg_none",
    "wrong_acr",
    "userinfo_sub_mismatch",
)
"""What a client can ask the next ID token (or userinfo) to get wrong, as the OpenID RP certification tests do."""

GRANT_CODE = "authorization_code"
GRANT_REFRESH = "refresh_token"
GRANT_CIBA = "urn:openid:params:grant-type:ciba"


@dataclass
class Client(ClientMixin):
    client_id: str
    client_secret: str | None
    metadata: dict[str, Any] = field(default_factory=dict)

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        return None  # OIDC makes redirect_uri mandatory: never guess one

    def get_allowed_scope(self, scope: str) -> str:
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        if not self.client_secret:
            return False
        return hmac.compare_digest(self.client_secret.encode(), client_secret.encode())

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == self.auth_method

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.metadata.get("grant_types", [GRANT_CODE, GRANT_REFRESH])

    @property
    def auth_method(self) -> str:
        return str(self.metadata.get("token_endpoint_auth_method", "client_secret_basic"))

    @property
    def redirect_uris(self) -> list[str]:
        return list(self.metadata.get("redirect_uris", []))

    @property
    def post_logout_redirect_uris(self) -> list[str]:
        return list(self.metadata.get("post_logout_redirect_uris", []))

    @property
    def pkce_methods(self) -> list[str]:
        return list(self.metadata.get("socle_pkce_methods", ["S256"]))

    @property
    def pkce_required(self) -> bool:
        return bool(self.metadata.get("socle_require_pkce", True))

    @property
    def access_token_audience(self) -> str | None:
        value = self.metadata.get("socle_access_token_audience")
        return str(value) if value else None

    @property
    def userinfo_alg(self) -> str | None:
        value = self.metadata.get("userinfo_signed_response_alg")
        return str(value) if value and value != "none" else None

    @property
    def backchannel_logout_uri(self) -> str | None:
        value = self.metadata.get("backchannel_logout_uri")
        return str(value) if value else None

    @property
    def ciba_auto_approve(self) -> bool:
        """The phone approves by itself after the first poll (CI without anyone to press the button)."""
        return bool(self.metadata.get("socle_ciba_auto_approve", False))

    @property
    def behaviour(self) -> str | None:
        value = self.metadata.get("socle_test_behaviour")
        return str(value) if value else None


def static_metadata(client: FixtureClient) -> dict[str, Any]:
    """Registration metadata of a client from the configuration (the fixtures)."""
    return {
        "client_id": client.client_id,
        "client_name": client.client_id,
        "redirect_uris": list(client.redirect_uris),
        "post_logout_redirect_uris": list(client.post_logout_redirect_uris),
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "grant_types": list(client.grant_types),
        "response_types": ["code"],
    }


class SettingsError(ValueError):
    """A ``socle_*`` client setting with a value socle does not know."""


def check_socle_settings(data: dict[str, Any]) -> dict[str, Any]:
    """The ``socle_*`` settings of a registration or a test-API update, validated."""
    settings = {key: value for key, value in data.items() if key.startswith("socle_")}
    methods = settings.get("socle_pkce_methods")
    if methods is not None and (not isinstance(methods, list) or not set(methods) <= set(PKCE_METHODS)):
        raise SettingsError(f"socle_pkce_methods must be a subset of {list(PKCE_METHODS)}")
    behaviour = settings.get("socle_test_behaviour")
    if behaviour not in (None, "", *ADVERSARIAL):
        raise SettingsError(f"socle_test_behaviour must be one of {list(ADVERSARIAL)}")
    for flag in ("socle_require_pkce", "socle_ciba_auto_approve"):
        if flag in settings and not isinstance(settings[flag], bool):
            raise SettingsError(f"{flag} must be a boolean")
    audience = settings.get("socle_access_token_audience")
    if audience is not None and not isinstance(audience, str):
        raise SettingsError("socle_access_token_audience must be a string")
    unknown = set(settings) - {
        "socle_pkce_methods",
        "socle_test_behaviour",
        "socle_require_pkce",
        "socle_ciba_auto_approve",
        "socle_access_token_audience",
    }
    if unknown:
        raise SettingsError(f"unknown socle settings: {sorted(unknown)}")
    return settings
