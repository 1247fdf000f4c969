"""Forged tokens and assertions for the attack tests: what an attacker builds, not what socle signs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from pathlib import Path
from typing import Any

import sqlalchemy
from joserfc import jwt
from joserfc.jwk import RSAKey

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any]) -> str:
    """A JWS with ``alg: none`` and an empty signature (RFC 7519 §6)."""
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def hs256_with_public_key(claims: dict[str, Any], public_jwk: dict[str, Any]) -> str:
    """The key-confusion attack: HMAC-SHA256 keyed with the verifier's RSA public key (as PEM)."""
    pem = RSAKey.import_key(public_jwk).as_pem(private=False)
    header = {"alg": "HS256", "typ": "JWT", "kid": public_jwk.get("kid")}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def provider_key(data_dir: Path) -> RSAKey:
    """The stack's own PSC signing key, read from its database: genuine signatures for expired tokens."""
    engine = sqlalchemy.create_engine(f"sqlite:///{data_dir / 'prosanteconnect.db'}")
    with engine.connect() as connection:
        private = connection.execute(sqlalchemy.text("SELECT private_jwk FROM psc_key")).scalars().first()
    engine.dispose()
    return RSAKey.import_key(json.loads(private))


def signed(key: RSAKey, claims: dict[str, Any]) -> str:
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key)


def assertion_claims(client_id: str, audience: str, *, lifetime: int = 60, age: int = 0) -> dict[str, Any]:
    now = int(time.time()) - age
    return {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + lifetime,
        "jti": secrets.token_urlsafe(12),
    }
