"""The discovery document: the captured PSC one (psc.md §1.2), trimmed to what socle really does.

Only supported features are advertised — a client that reads ``code_challenge_methods_supported`` or
``backchannel_token_delivery_modes_supported`` must be able to rely on them — with Keycloak's paths.
"""

from __future__ import annotations

from typing import Any

from .clients import AUTH_METHODS, SCOPES

OIDC = "/protocol/openid-connect"


def endpoints(issuer: str) -> dict[str, str]:
    base = issuer + OIDC
    return {
        "authorization_endpoint": base + "/auth",
        "token_endpoint": base + "/token",
        "introspection_endpoint": base + "/token/introspect",
        "userinfo_endpoint": base + "/userinfo",
        "end_session_endpoint": base + "/logout",
        "jwks_uri": base + "/certs",
        "revocation_endpoint": base + "/revoke",
        "backchannel_authentication_endpoint": base + "/ext/ciba/auth",
        "registration_endpoint": issuer + "/clients-registrations/openid-connect",
    }


def metadata(issuer: str, *, authorization_endpoint: str | None = None) -> dict[str, Any]:
    """The document; ``authorization_endpoint`` overrides the Keycloak one (a wallet-like front)."""
    auth_methods = [m for m in AUTH_METHODS if m != "none"]
    urls = endpoints(issuer)
    if authorization_endpoint:
        urls["authorization_endpoint"] = authorization_endpoint
    return {
        "issuer": issuer,
        **urls,
        "grant_types_supported": ["authorization_code", "refresh_token", "urn:openid:params:grant-type:ciba"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "userinfo_signing_alg_values_supported": ["RS256", "none"],
        "request_object_signing_alg_values_supported": ["none"],
        "token_endpoint_auth_methods_supported": [*auth_methods, "none"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256", "ES256"],
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256", "plain"],
        "acr_values_supported": ["eidas1"],
        "claims_supported": [
            "aud",
            "sub",
            "iss",
            "auth_time",
            "given_name",
            "family_name",
            "preferred_username",
            "acr",
            "SubjectNameID",
        ],
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "scopes_supported": list(SCOPES),
        "backchannel_token_delivery_modes_supported": ["poll"],
        "backchannel_user_code_parameter_supported": False,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
        "require_pushed_authorization_requests": False,
        "authorization_response_iss_parameter_supported": True,
        "tls_client_certificate_bound_access_tokens": False,
    }
