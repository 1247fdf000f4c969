"""Small relying-party steps over a Starlette test client (the real-HTTP tests use tests/psc_login.py)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet

from services.kernel.settings import Settings
from services.prosanteconnect.app import create_app
from tests.psc_login import pkce_pair

ISSUER = "http://testserver/auth/realms/esante-wallet"
OIDC = "/auth/realms/esante-wallet/protocol/openid-connect"
REDIRECT = "https://rp.example/callback"
FIRST = "810000000017"
"""idNat of the first fixture professional (the médecin généraliste auto-login picks)."""


def start(data_dir: Path, *, auto_login: bool, database_url: str | None = None) -> TestClient:
    """A standalone PSC app on ``data_dir`` or ``database_url`` (enter it to run its lifespan)."""
    settings = Settings(
        service="prosanteconnect",
        data_dir=data_dir,
        database_url=database_url,
        psc_auto_login=auto_login,
        public_url="http://testserver",
    )
    return TestClient(create_app(settings), base_url="http://testserver", follow_redirects=False)


def register(psc: TestClient, **metadata: Any) -> dict[str, Any]:
    body = {
        "client_name": "rp",
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": ["https://rp.example/bye"],
        "grant_types": ["authorization_code", "refresh_token", "urn:openid:params:grant-type:ciba"],
        **metadata,
    }
    response = psc.post("/auth/realms/esante-wallet/clients-registrations/openid-connect", json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def auth_params(client: dict[str, Any], **extra: str) -> dict[str, str]:
    verifier, challenge = pkce_pair()
    params = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": REDIRECT,
        "scope": "openid scope_all",
        "acr_values": "eidas1",
        "state": secrets.token_urlsafe(8),
        "nonce": secrets.token_hex(32),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "_verifier": verifier,
    }
    params.update(extra)
    return params


def authorize(psc: TestClient, params: dict[str, str], *, keep_session: bool = False) -> dict[str, str]:
    """The redirect's query of an authorization request that must redirect (a fresh browser by default)."""
    if not keep_session:
        psc.cookies.clear()
    sent = {k: v for k, v in params.items() if not k.startswith("_")}
    response = psc.get(OIDC + "/auth", params=sent)
    assert response.status_code == 302, response.text
    assert response.headers["location"].startswith(sent["redirect_uri"])
    return query_of(response.headers["location"])


def code_form(code: str, verifier: str, *, redirect_uri: str = REDIRECT, **extra: str) -> dict[str, str]:
    """The token request that redeems an authorization code (client authentication left to the caller)."""
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        **extra,
    }


def redeem(psc: TestClient, client: dict[str, Any], code: str, verifier: str, **extra: str) -> Any:
    return psc.post(
        OIDC + "/token",
        data=code_form(code, verifier, **extra),
        auth=(client["client_id"], client["client_secret"]),
    )


def login(psc: TestClient, client: dict[str, Any], **extra: str) -> dict[str, Any]:
    params = auth_params(client, **extra)
    answer = authorize(psc, params)
    response = redeem(psc, client, answer["code"], params["_verifier"])
    assert response.status_code == 200, response.text
    return response.json() | {"_nonce": params["nonce"]}  # type: ignore[no-any-return]


def claims(psc: TestClient, token: str) -> dict[str, Any]:
    """Claims of a token this provider signed, checked against its published JWKS."""
    keys = KeySet.import_key_set(psc.get(OIDC + "/certs").json())
    return dict(jwt.decode(token, keys, algorithms=["RS256"]).claims)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def introspect(psc: TestClient, client: dict[str, Any], token: str) -> dict[str, Any]:
    response = psc.post(
        OIDC + "/token/introspect", data={"token": token}, auth=(client["client_id"], client["client_secret"])
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]
