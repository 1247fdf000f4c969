"""Log in to Pro Santé Connect the way a vendor's CI does: authorization code + PKCE, no browser.

Needs a stack started with ``--psc-auto-login``: the authorization endpoint then logs in ``idnat`` (sent
as ``login_hint``) or the first test professional and redirects at once. ``login`` follows that redirect
by hand, checks ``state`` and ``iss``, and redeems the code with the PKCE verifier::

    tokens = login(stack.base_url, idnat="810000000019")
    httpx.get(url, headers={"Authorization": f"Bearer {tokens['access_token']}"})
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

REALM = "/auth/realms/esante-wallet"
REDIRECT_URI = "http://127.0.0.1/psc-login/callback"
_registered: dict[str, dict[str, Any]] = {}


def issuer_of(base_url: str) -> str:
    """The issuer for a stack root (``/psc`` mount) or for a URL that already is an issuer or a lone PSC."""
    base = base_url.rstrip("/")
    if REALM in base:
        return base
    return base + "/psc" + REALM


def register(base_url: str, **metadata: Any) -> dict[str, Any]:
    """A new client registered at ``{issuer}/clients-registrations/openid-connect`` (RFC 7591)."""
    body = {
        "client_name": "tests",
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["authorization_code", "refresh_token", "urn:openid:params:grant-type:ciba"],
        "token_endpoint_auth_method": "client_secret_basic",
        **metadata,
    }
    response = httpx.post(
        issuer_of(base_url) + "/clients-registrations/openid-connect", json=body, timeout=30
    )
    response.raise_for_status()
    client: dict[str, Any] = response.json()
    client.setdefault("redirect_uri", client["redirect_uris"][0])
    return client


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize(
    base_url: str, client: dict[str, Any], idnat: str | None = None, **extra: str
) -> dict[str, str]:
    """Run the authorization request; the redirect's query parameters (``code``, ``state``, ``iss``…)."""
    params = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": client.get("redirect_uri") or client["redirect_uris"][0],
        "scope": "openid scope_all",
        "acr_values": "eidas1",
        "state": secrets.token_urlsafe(16),
        "nonce": secrets.token_hex(32),
        **({"login_hint": idnat} if idnat else {}),
        **extra,
    }
    response = httpx.get(issuer_of(base_url) + "/protocol/openid-connect/auth", params=params, timeout=30)
    if response.status_code != 302:
        raise AssertionError(f"authorization answered {response.status_code}: {response.text[:500]}")
    query = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}
    if query.get("state") != params["state"]:
        raise AssertionError(f"state not echoed: {query}")
    return query | {"nonce": params["nonce"], "redirect_uri": params["redirect_uri"]}


def login(base_url: str, idnat: str | None = None, client: dict[str, Any] | None = None) -> dict[str, Any]:
    """The token response (access_token, id_token, refresh_token…) plus ``client_id`` and ``client_secret``."""
    issuer = issuer_of(base_url)
    verifier, challenge = pkce_pair()
    pkce = {"code_challenge": challenge, "code_challenge_method": "S256"}
    if client is not None:
        answer = authorize(base_url, client, idnat, **pkce)
    elif issuer in _registered:
        client = _registered[issuer]
        try:
            answer = authorize(base_url, client, idnat, **pkce)
        except AssertionError:  # a /_sim/reset forgot the cached client: register again, once
            client = _registered[issuer] = register(base_url)
            answer = authorize(base_url, client, idnat, **pkce)
    else:
        client = _registered[issuer] = register(base_url)
        answer = authorize(base_url, client, idnat, **pkce)
    if "code" not in answer:
        raise AssertionError(f"no code in the authorization response: {answer}")
    if answer.get("iss") != issuer:
        raise AssertionError(f"iss {answer.get('iss')} is not the issuer {issuer}")
    response = httpx.post(
        issuer + "/protocol/openid-connect/token",
        data={
            "grant_type": "authorization_code",
            "code": answer["code"],
            "redirect_uri": answer["redirect_uri"],
            "code_verifier": verifier,
        },
        auth=(client["client_id"], client["client_secret"]),
        timeout=30,
    )
    if response.status_code != 200:
        raise AssertionError(f"token endpoint answered {response.status_code}: {response.text[:500]}")
    tokens: dict[str, Any] = response.json()
    return tokens | {"client_id": client["client_id"], "client_secret": client["client_secret"]}
