"""Signing keys: RS256, persisted in the database, loaded once and kept in memory.

Keycloak publishes every enabled realm key and signs with the newest; so does this ring. Rotation adds a
key and keeps the old ones in the JWKS, so tokens signed before the rotation still verify (relying
parties re-download the JWKS on an unknown ``kid``, psc.md §1.3). The ``kid`` is the RFC 7638
thumbprint: 43 characters, like Keycloak's.

A token's signature is checked once: resource servers present the same access token for every call
(introspection, userinfo), so the claims of tokens that verified are kept, up to ``VERIFIED_CACHE``,
until the keys are loaded again. Expiry, revocation and the session are still checked by the callers
on every use; a cached entry only stands for "this exact string carries a valid signature".
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateNumbers, RSAPublicNumbers
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey
from joserfc.util import base64_to_int
from sqlmodel import Session, select

from .models import PscKey

ALG = "RS256"
MAX_STRANGERS = 10_000
VERIFIED_CACHE = 4096
"""About 2 KB an entry (token and claims): a flood of distinct tokens keeps at most ~8 MB."""


def stored_key(jwk: dict[str, str]) -> RSAKey:
    """A key this ring generated, back from its database row.

    ``RSAKey.import_key`` has cryptography re-check the whole RSA key, ~36 ms a key, which was half
    of PSC's start-up. That check guards against keys of unknown origin; these ones cryptography made
    itself (``new_key``) and only this service writes the table, so it is skipped.
    """
    ints = {name: base64_to_int(jwk[name]) for name in ("n", "e", "d", "p", "q", "dp", "dq", "qi")}
    numbers = RSAPrivateNumbers(
        p=ints["p"],
        q=ints["q"],
        d=ints["d"],
        dmp1=ints["dp"],
        dmq1=ints["dq"],
        iqmp=ints["qi"],
        public_numbers=RSAPublicNumbers(ints["e"], ints["n"]),
    )
    native = numbers.private_key(unsafe_skip_rsa_key_validation=True)
    return RSAKey.import_key(native, parameters={k: v for k, v in jwk.items() if k in ("kid", "use", "alg")})


def new_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"use": "sig", "alg": ALG}, auto_kid=True)


class KeyRing:
    """The realm keys of one instance; the database is the truth, this is its cache."""

    def __init__(self) -> None:
        self._keys: list[RSAKey] = []
        self._key_set = KeySet([])
        self._verified: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._public: dict[str, Any] = {"keys": []}
        self.loaded_at = 0.0
        self._strangers: set[str] = set()
        """``kid`` values still unknown after a reload: asking the database again would not help."""

    def load(self, session: Session) -> None:
        """Read the keys (creating the first one on a fresh database)."""
        rows = session.exec(select(PscKey).where(PscKey.active).order_by(PscKey.created_at)).all()
        if not rows:
            rows = [store_key(session, new_key())]
        self._keys = [stored_key(json.loads(row.private_jwk)) for row in rows]
        self._key_set = KeySet(list(self._keys))
        with self._lock:
            self._verified = {}
        self._public = {"keys": [self._public_jwk(key) for key in reversed(self._keys)]}
        self.loaded_at = time.monotonic()

    @staticmethod
    def _kid(token: str) -> str | None:
        try:
            kid = jws.extract_compact(token.encode()).headers().get("kid")
        except (JoseError, ValueError):
            return None
        return str(kid) if kid else None

    def knows(self, token: str) -> bool:
        """False when ``token`` names a ``kid`` never checked here (another instance may have rotated)."""
        kid = self._kid(token)
        return kid is None or kid in self._strangers or any(key.kid == kid for key in self._keys)

    def reload_for(self, session: Session, token: str) -> None:
        """Reload the keys for an unknown ``kid``, once per ``kid`` (strangers cost one query each)."""
        self.load(session)
        kid = self._kid(token)
        if kid and not any(key.kid == kid for key in self._keys):
            if len(self._strangers) > MAX_STRANGERS:
                self._strangers.clear()
            self._strangers.add(kid)

    @staticmethod
    def _public_jwk(key: RSAKey) -> dict[str, Any]:
        data = key.as_dict(private=False)
        return {"kid": data["kid"], "kty": "RSA", "alg": ALG, "use": "sig", "n": data["n"], "e": data["e"]}

    @property
    def signing(self) -> RSAKey:
        return self._keys[-1]

    @property
    def jwks(self) -> dict[str, Any]:
        return self._public

    @property
    def all_keys(self) -> list[RSAKey]:
        return list(self._keys)

    @property
    def key_set(self) -> KeySet:
        return self._key_set

    def sign(self, claims: dict[str, Any], *, typ: str = "JWT", key: RSAKey | None = None) -> str:
        key = key or self.signing
        header = {"alg": ALG, "typ": typ, "kid": key.kid}
        return jwt.encode(header, claims, key)

    def verify(self, token: str) -> dict[str, Any] | None:
        """The claims of a token this provider signed, or None (signature only: callers check the rest)."""
        known = self._verified.get(token)
        if known is not None:
            return dict(known)
        try:
            claims = dict(jwt.decode(token, self._key_set, algorithms=[ALG]).claims)
        except (JoseError, ValueError):
            return None
        with self._lock:
            if len(self._verified) >= VERIFIED_CACHE:
                del self._verified[next(iter(self._verified))]  # the oldest
            self._verified[token] = claims
        return dict(claims)


def store_key(session: Session, key: RSAKey) -> PscKey:
    row = PscKey(kid=str(key.kid), private_jwk=json.dumps(key.as_dict(private=True)), created_at=time.time())
    session.add(row)
    session.flush()
    return row
