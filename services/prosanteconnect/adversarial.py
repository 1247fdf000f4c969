"""Deliberately wrong ID tokens, for testing relying parties the way OpenID RP certification does.

Each mode breaks exactly one rule a relying party must check (OIDC Core §3.1.3.7): nonce, issuer,
audience, expiry, a ``kid`` absent from the JWKS, a signature that does not verify, ``alg: none`` —
and PSC's own: an ``acr`` other than ``eidas1``.
The unsigned and corrupted forms are assembled by hand on purpose: no library will produce them.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from joserfc.util import urlsafe_b64encode

from .keys import KeyRing, new_key


def _b64(data: dict[str, Any]) -> str:
    return urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def tamper(mode: str, claims: dict[str, Any], keys: KeyRing) -> str:
    """The ID token for ``claims``, wrong in the way ``mode`` says (modes of ``clients.ADVERSARIAL``)."""
    claims = dict(claims)
    if mode == "wrong_nonce":
        claims["nonce"] = secrets.token_hex(32)
    elif mode == "wrong_issuer":
        claims["iss"] = claims["iss"] + "-not-psc"
    elif mode == "wrong_audience":
        claims["aud"] = "another-client"
        claims["azp"] = "another-client"
    elif mode == "wrong_acr":  # PSC clients must insist on eidas1 (the ANS broker does, psc.md §2.1)
        claims["acr"] = "eidas0"
    elif mode == "expired":
        claims["iat"] = claims["iat"] - 7200
        claims["exp"] = claims["iat"] + 120
    elif mode == "unknown_kid":
        return keys.sign(claims, key=new_key())
    elif mode == "bad_signature":
        header, payload, signature = keys.sign(claims).split(".")
        flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
        return f"{header}.{payload}.{flipped}"
    elif mode == "alg_none":
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    return keys.sign(claims)
