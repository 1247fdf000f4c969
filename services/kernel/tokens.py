"""Verify Pro Santé Connect access tokens for the services that PSC protects (INS, DMP, MSSanté).

The signature is checked locally against PSC's JWKS (fetched once through the peer client and fetched
again only for an unknown ``kid``); ``joserfc.jwt.decode`` checks the signature alone, so issuer and
expiry go through a ``JWTClaimsRegistry``. A token's signature is checked once: the claims of the last
tokens verified are kept (forgotten when the keys are fetched again) and their issuer, subject and expiry
are checked again on every use. The professional's profession, roles and organisation come
from PSC's userinfo, asked with the same token: that call is also what makes a revoked token fail.
Real PSC access tokens carry no ``aud`` (psc.md §3.2), so none is required.
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from .errors import ServiceUnavailable, Unauthorized
from .peers import INTERNAL_HEADER
from .settings import PSC_REALM_PATH
from .traffic import CALLER_HEADER, annotate

CERTS_PATH = PSC_REALM_PATH + "/protocol/openid-connect/certs"
USERINFO_PATH = PSC_REALM_PATH + "/protocol/openid-connect/userinfo"
JWKS_REFRESH_SECONDS = 10.0
VERIFIED_TOKENS = 1024
"""How many tokens' verified claims are kept (oldest forgotten first): a signature never changes its
verdict, so each token's RS256 check runs once, not on every request it authorises."""


@dataclass(frozen=True)
class Caller:
    """The professional behind a valid PSC access token."""

    idnat: str
    sub: str
    client_id: str
    profession: str
    roles: tuple[str, ...]
    organisation_id: str
    organisation_name: str
    sector: str
    given_name: str
    family_name: str
    auth_mode: str
    claims: dict[str, Any] = field(repr=False)
    userinfo: dict[str, Any] = field(repr=False)


def _challenge(error: str | None = None, description: str = "") -> dict[str, str]:
    """RFC 6750 §3 challenge; the description is reduced to the ASCII the header grammar allows."""
    value = 'Bearer realm="socle"'
    if error:
        safe = "".join(c for c in description if 0x20 <= ord(c) < 0x7F and c not in '"\\')
        value += f', error="{error}", error_description="{safe}"'
    return {"WWW-Authenticate": value}


def invalid_token(description: str) -> Unauthorized:
    return Unauthorized(
        f"invalid access token: {description}", headers=_challenge("invalid_token", description)
    )


class PscTokenVerifier:
    def __init__(self, app: Any) -> None:
        self.app = app
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._verified: dict[str, dict[str, Any]] = {}

    @property
    def issuer(self) -> str:
        return str(self.app.state.settings.psc_issuer)

    async def _fetch_keys(self) -> KeySet:
        client = self.app.state.peers.client("prosanteconnect")
        try:
            response = await client.get(CERTS_PATH)
            response.raise_for_status()
        except Exception as exc:
            raise ServiceUnavailable(f"Pro Santé Connect keys unavailable: {exc}") from exc
        self._keys = KeySet.import_key_set(response.json())
        self._fetched_at = time.monotonic()
        self._verified.clear()  # a key PSC no longer publishes must stop vouching for its tokens
        return self._keys

    async def _keys_for(self, token: str) -> KeySet:
        keys = self._keys or await self._fetch_keys()
        try:
            kid = jws.extract_compact(token.encode()).headers().get("kid")
        except JoseError as exc:
            raise invalid_token("not a JWT") from exc
        known = {key.kid for key in keys.keys}
        if kid not in known and time.monotonic() - self._fetched_at > JWKS_REFRESH_SECONDS:
            keys = await self._fetch_keys()
        return keys

    async def claims(self, token: str) -> dict[str, Any]:
        """The claims of a token whose signature, algorithm, issuer and expiry are right."""
        claims = self._verified.get(token)
        if claims is None:
            keys = await self._keys_for(token)
            try:
                claims = jwt.decode(token, keys, algorithms=["RS256"]).claims
            except (JoseError, ValueError) as exc:
                raise invalid_token(str(exc) or type(exc).__name__) from exc
        self._check(claims)
        if token not in self._verified:
            if len(self._verified) >= VERIFIED_TOKENS:
                del self._verified[next(iter(self._verified))]
            self._verified[token] = claims
        return dict(claims)

    def _check(self, claims: dict[str, Any]) -> None:
        """Issuer, subject, expiry (now: a kept token expires too) and type of signed claims."""
        registry = jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": self.issuer},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(claims)
        except (JoseError, ValueError) as exc:
            raise invalid_token(str(exc) or type(exc).__name__) from exc
        if claims.get("typ", "Bearer") != "Bearer":
            raise invalid_token("not an access token")

    async def caller(self, token: str) -> Caller:
        claims = await self.claims(token)
        client = self.app.state.peers.client("prosanteconnect")
        response = await client.get(USERINFO_PATH, headers={"Authorization": f"Bearer {token}"})
        if response.status_code == 401:
            raise invalid_token("token revoked or expired at Pro Sante Connect")
        if response.status_code != 200:
            raise ServiceUnavailable(f"Pro Santé Connect userinfo answered {response.status_code}")
        info = response.json()
        exercice = (info.get("SubjectRefPro", {}).get("exercices") or [{}])[0]
        return Caller(
            idnat=info.get("SubjectNameID") or claims.get("preferred_username", ""),
            sub=claims["sub"],
            client_id=claims.get("azp", ""),
            profession=exercice.get("codeProfession", ""),
            roles=tuple(info.get("SubjectRole", [])),
            organisation_id=info.get("SubjectOrganizationID", ""),
            organisation_name=info.get("SubjectOrganization", ""),
            sector=info.get("Secteur_Activite", "").split("^", 1)[0],
            given_name=info.get("given_name", ""),
            family_name=info.get("family_name", ""),
            auth_mode=claims.get("authMode", ""),
            claims=claims,
            userinfo=info,
        )


@dataclass(frozen=True)
class ServiceCaller:
    """Another socle service, calling with the stack's internal secret (e.g. DMP asking INS)."""

    service: str


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Unauthorized("a Pro Santé Connect access token is required", headers=_challenge())
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "use the Bearer scheme", headers=_challenge("invalid_request", "Bearer token expected")
        )
    return token.strip()


async def require_professional(request: Request) -> Caller:
    """FastAPI dependency: the calling professional, or 401 with ``WWW-Authenticate``."""
    app = request.app
    verifier: PscTokenVerifier | None = getattr(app.state, "psc_verifier", None)
    if verifier is None:
        verifier = app.state.psc_verifier = PscTokenVerifier(app)
    caller = await verifier.caller(bearer_token(request))
    annotate(request, client_id=caller.client_id, idnat=caller.idnat)
    return caller


async def require_professional_or_service(request: Request) -> Caller | ServiceCaller:
    """A professional's token, or a peer service presenting the internal secret (compared in constant time)."""
    presented = request.headers.get(INTERNAL_HEADER)
    expected = request.app.state.runtime.internal_token
    if presented is not None and hmac.compare_digest(presented.encode(), expected.encode()):
        caller = request.headers.get(CALLER_HEADER, "socle")
        annotate(request, client_id=f"socle:{caller}")
        return ServiceCaller(caller)
    return await require_professional(request)


CurrentProfessional = Annotated[Caller, Depends(require_professional)]
CurrentCaller = Annotated[Caller | ServiceCaller, Depends(require_professional_or_service)]
