"""Access tokens presented back to the provider (userinfo): signature, issuer, expiry, then the record.

The signature alone does not make a token good: it must still be in the database, not revoked, and its
session alive — that is what makes revocation and logout effective for every service (the kernel's
verifier calls userinfo with each token).
"""

from __future__ import annotations

import time
from typing import Any

from services.kernel.errors import Unauthorized

from .keys import KeyRing
from .server import conn, db
from .store import token_with_session


def challenge(error: str, description: str) -> Unauthorized:
    """401 with RFC 6750 ``WWW-Authenticate`` (the OAuth error format renders the body)."""
    header = f'Bearer realm="esante-wallet", error="{error}", error_description="{description}"'
    return Unauthorized(description, headers={"WWW-Authenticate": header})


def bearer_of(authorization: str | None, form_token: str | None = None) -> str:
    scheme, _, value = (authorization or "").partition(" ")
    if authorization and scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if form_token:
        return form_token
    raise Unauthorized(
        "a Bearer access token is required", headers={"WWW-Authenticate": 'Bearer realm="esante-wallet"'}
    )


def access_claims(keys: KeyRing, issuer: str, token: str) -> dict[str, Any] | None:
    """The claims of a live access token of this issuer (signature, ``iss``, ``typ``, ``exp``), or None.

    Runs inside a database session: a token that does not verify and names a ``kid`` this instance does
    not know yet (another instance rotated) reloads the ring once.
    """
    claims = keys.verify(token)
    if claims is None and not keys.knows(token):
        keys.reload_for(db(), token)
        claims = keys.verify(token)
    if claims is None or claims.get("iss") != issuer or claims.get("typ") != "Bearer":
        return None
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= time.time():
        return None
    return claims


def live_access_token(keys: KeyRing, issuer: str, token: str) -> Any:
    """The ``psc_token`` row of a valid, unrevoked access token whose session is alive (current session)."""
    claims = access_claims(keys, issuer, token)
    if claims is None:
        raise challenge("invalid_token", "the access token is invalid or expired")
    found = token_with_session(conn(), jti=str(claims.get("jti", "")))
    if found is None or found[0].revoked or not found[1]:
        raise challenge("invalid_token", "the access token was revoked")
    return found[0]
