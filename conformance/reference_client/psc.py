"""Logging in with Pro Santé Connect the way a correct LPS does: authlib's OAuth 2 client, joserfc checks.

Code flow with PKCE S256, ``acr_values=eidas1``, a fresh nonce and state; the ID token is verified
(signature from the JWKS fetched at each login, so a rotated key is found; ``iss``, ``aud``, ``exp``, ``nonce``,
``acr`` eidas1 — psc.md §2.1) before any token is used. Auto-login stacks redirect at once, so the
redirect to the software's callback is read from the ``Location`` header instead of a browser.
"""

from __future__ import annotations

import secrets
import time
import warnings
from dataclasses import dataclass
from typing import Any

import authlib.deprecate  # noqa: F401  (installs authlib's warning filter before ours)
import httpx
import lxml.html
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .config import Config

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # authlib warns that it falls back from httpx2 to httpx
    from authlib.integrations.httpx_client import OAuth2Client, OAuthError

MAX_REDIRECTS = 5


class LoginRefused(Exception):
    """The software refuses the login: PSC answered something it must not trust."""


@dataclass
class Session:
    access_token: str
    id_token: str
    claims: dict[str, Any]
    userinfo: dict[str, Any]


def discover(http: OAuth2Client, issuer: str) -> dict[str, Any]:
    response = http.request("GET", f"{issuer}/.well-known/openid-configuration", withhold_token=True)
    response.raise_for_status()
    return dict(response.json())


def verify_id_token(
    http: OAuth2Client, cfg: Config, meta: dict[str, Any], id_token: str, nonce: str
) -> dict[str, Any]:
    """The ID token's claims, once every rule of OIDC Core §3.1.3.7 and PSC's eidas1 holds."""
    jwks = http.request("GET", meta["jwks_uri"], withhold_token=True).raise_for_status().json()
    keys = KeySet.import_key_set(jwks)
    try:
        token = jwt.decode(id_token, keys, algorithms=["RS256"])
        rules: dict[str, Any] = {
            "iss": {"essential": True, "value": cfg.issuer},
            "aud": {"essential": True, "value": cfg.client_id},
            "exp": {"essential": True},
            "acr": {"essential": True, "value": "eidas1"},
        }
        if nonce and not cfg.broken("ignores-nonce"):
            rules["nonce"] = {"essential": True, "value": nonce}
        jwt.JWTClaimsRegistry(**rules).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise LoginRefused(f"ID token rejected: {type(exc).__name__}: {exc}") from exc
    return dict(token.claims)


def login(cfg: Config, headers: dict[str, str]) -> tuple[Session, OAuth2Client, dict[str, Any]]:
    """Run the authorization-code flow for the configured professional; refuse any doubtful answer."""
    client = OAuth2Client(
        client_id=cfg.client_id,
        client_secret=cfg.client_secret,
        token_endpoint_auth_method="client_secret_basic",
        scope="openid scope_all",
        redirect_uri=cfg.redirect_uri,
        code_challenge_method=None if cfg.broken("no-pkce") else "S256",
        headers=headers,
        timeout=20,
    )
    meta = discover(client, cfg.issuer)
    verifier = secrets.token_urlsafe(48)
    nonce = "" if cfg.broken("no-nonce") else secrets.token_hex(32)
    extra: dict[str, str] = {"login_hint": cfg.professional_idnat}
    if not cfg.broken("no-acr"):
        extra["acr_values"] = "eidas1"
    if nonce:
        extra["nonce"] = nonce
    url, state = client.create_authorization_url(
        meta["authorization_endpoint"], code_verifier=None if cfg.broken("no-pkce") else verifier, **extra
    )
    location = follow_to_callback(client, url, cfg.redirect_uri, cfg.professional_idnat)
    params: dict[str, Any] = {"authorization_response": location, "state": state}
    if not cfg.broken("no-pkce"):
        params["code_verifier"] = verifier
    token = client.fetch_token(meta["token_endpoint"], **params)
    claims = verify_id_token(client, cfg, meta, token["id_token"], nonce)
    info = client.get(meta["userinfo_endpoint"], headers={"Accept": "application/json"})
    info.raise_for_status()
    userinfo = dict(info.json())
    if userinfo.get("sub") != claims.get("sub") and not cfg.broken("trusts-userinfo"):
        raise LoginRefused("userinfo sub differs from the ID token's")
    return Session(token["access_token"], token["id_token"], claims, userinfo), client, meta


def follow_to_callback(client: OAuth2Client, url: str, redirect_uri: str, idnat: str) -> str:
    """Follow PSC's redirects until the one to the software's callback (which no browser serves here).

    When PSC shows its login page (a stack without ``--psc-auto-login``), answer it as the user at the
    keyboard would: the professional of the run, with a CPS card.
    """
    response = client.request("GET", url, follow_redirects=False, withhold_token=True)
    for _ in range(MAX_REDIRECTS):
        location = response.headers.get("location")
        if response.status_code == 200 and "text/html" in response.headers.get("content-type", ""):
            response = submit_login_page(client, str(response.url), response.text, idnat)
            continue
        if response.status_code not in (302, 303) or not location:
            raise LoginRefused(f"PSC answered {response.status_code} to the authorization request")
        if location.startswith(redirect_uri):
            if "error=" in location:
                raise LoginRefused(f"PSC refused the authorization request: {location}")
            return location
        url = str(httpx.URL(url).join(location))
        response = client.request("GET", url, follow_redirects=False, withhold_token=True)
    raise LoginRefused("too many redirects before the callback")


def submit_login_page(client: OAuth2Client, page_url: str, page: str, idnat: str) -> httpx.Response:
    """Post PSC's login form: its hidden fields as given, the professional and the CPS card chosen."""
    forms = lxml.html.fromstring(page).forms
    if not forms:
        raise LoginRefused("PSC answered a page without a login form")
    form = forms[0]
    fields = {name: value for name, value in form.form_values() if name not in ("idnat", "means")}
    fields.update({"idnat": idnat, "means": "CPS"})
    action = str(httpx.URL(page_url).join(form.action or page_url))
    return client.request("POST", action, data=fields, follow_redirects=False, withhold_token=True)


def logout(client: OAuth2Client, meta: dict[str, Any], cfg: Config, session: Session) -> None:
    response = client.request(
        "GET",
        meta["end_session_endpoint"],
        params={
            "id_token_hint": session.id_token,
            "post_logout_redirect_uri": cfg.post_logout_redirect_uri,
            "state": secrets.token_urlsafe(16),
        },
        follow_redirects=False,
        withhold_token=True,
    )
    if response.status_code >= 400:
        raise RuntimeError(f"PSC logout answered {response.status_code}")


CIBA_GRANT = "urn:openid:params:grant-type:ciba"
CIBA_POLLS = 30


def ciba_login(cfg: Config, headers: dict[str, str]) -> tuple[Session, OAuth2Client, dict[str, Any]]:
    """CIBA poll mode (psc.md §4.1): login_hint = idNat, 2-digit binding message shown to the user,
    acr eidas1; poll no faster than ``interval`` (and slower after ``slow_down``), until approved."""
    client = OAuth2Client(
        client_id=cfg.client_id,
        client_secret=cfg.client_secret,
        token_endpoint_auth_method="client_secret_basic",
        headers=headers,
        timeout=20,
    )
    meta = discover(client, cfg.issuer)
    binding = f"{secrets.randbelow(100):02d}"
    response = client.request(
        "POST",
        meta["backchannel_authentication_endpoint"],
        data={
            "scope": "openid scope_all",
            "acr_values": "eidas1",
            "login_hint": cfg.professional_idnat,
            "binding_message": binding,
            "channel": "MOBILE",
        },
        auth=httpx.BasicAuth(cfg.client_id, cfg.client_secret),
        withhold_token=True,
    )
    if response.status_code != 200:
        raise LoginRefused(f"PSC refused the CIBA request: {response.status_code} {response.text[:200]}")
    ack = response.json()
    interval = float(ack.get("interval", 5))
    for _ in range(CIBA_POLLS):
        time.sleep(0 if cfg.broken("ciba-fast-poll") else interval)
        try:
            token = client.fetch_token(
                meta["token_endpoint"], grant_type=CIBA_GRANT, auth_req_id=ack["auth_req_id"]
            )
        except OAuthError as exc:
            if exc.error == "slow_down":
                interval += 5
            elif exc.error != "authorization_pending":
                raise LoginRefused(f"CIBA ended with {exc.error}") from exc
            continue
        claims = verify_id_token(client, cfg, meta, token["id_token"], nonce="")
        info = client.get(meta["userinfo_endpoint"], headers={"Accept": "application/json"})
        info.raise_for_status()
        return Session(token["access_token"], token["id_token"], claims, dict(info.json())), client, meta
    raise LoginRefused("the professional did not approve the CIBA request in time")
