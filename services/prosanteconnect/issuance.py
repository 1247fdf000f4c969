"""What the provider signs: access tokens, ID tokens, the token response, in Keycloak's PSC shape.

Access tokens are RS256 JWTs with the claims of real BAS tokens (psc.md §3.2: ``typ`` Bearer, ``azp``,
``acr`` eidas3, ``sid``, ``session_state``, ``authMode``, ``otherIds``, ``preferred_username``, empty
``nonce``, no ``aud`` unless the client's configuration asks for one); ID tokens carry ``acr`` eidas1,
the client's nonce and ``at_hash`` (§3.3). The token response adds Keycloak's ``refresh_expires_in``,
``session_state`` and ``not-before-policy`` (§1.4).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from authlib.oidc.core.util import create_half_hash

from .adversarial import tamper
from .clients import Client
from .identity import Subject, other_ids, sub_of
from .keys import KeyRing
from .store import token_hash

ACCESS_TTL = 120
REFRESH_TTL = 30 * 60
CODE_TTL = 60
ID_TOKEN_TTL = ACCESS_TTL
ACCESS_ACR = "eidas3"
ID_ACR = "eidas1"


@dataclass(frozen=True)
class Names:
    given_name: str
    family_name: str


class Issuer:
    def __init__(self, issuer: str, keys: KeyRing) -> None:
        self.issuer = issuer
        self.keys = keys

    def access_token(self, *, client: Client, subject: Subject, scope: str, jti: str, now: int) -> str:
        claims: dict[str, Any] = {
            "exp": now + ACCESS_TTL,
            "iat": now,
            "auth_time": subject.auth_time,
            "jti": jti,
            "iss": self.issuer,
            "sub": sub_of(subject.idnat),
            "typ": "Bearer",
            "azp": client.client_id,
            "nonce": "",
            "session_state": subject.sid,
            "acr": ACCESS_ACR,
            "scope": scope,
            "sid": subject.sid,
            "authMode": subject.auth_mode,
            "otherIds": other_ids(subject.idnat),
            "preferred_username": subject.idnat,
        }
        if client.access_token_audience:
            claims["aud"] = client.access_token_audience
        return self.keys.sign(claims)

    def id_token(
        self, *, client: Client, subject: Subject, names: Names, nonce: str, access_token: str, now: int
    ) -> str:
        claims: dict[str, Any] = {
            "exp": now + ID_TOKEN_TTL,
            "iat": now,
            "auth_time": subject.auth_time,
            "jti": secrets.token_urlsafe(16),
            "iss": self.issuer,
            "aud": client.client_id,
            "sub": sub_of(subject.idnat),
            "typ": "ID",
            "azp": client.client_id,
            "session_state": subject.sid,
            "at_hash": create_half_hash(access_token, "RS256").decode(),
            "acr": ID_ACR,
            "sid": subject.sid,
            "preferred_username": subject.idnat,
            "given_name": names.given_name,
            "family_name": names.family_name,
        }
        if nonce:
            claims["nonce"] = nonce
        if client.behaviour:
            return tamper(client.behaviour, claims, self.keys)
        return self.keys.sign(claims)

    def token_set(
        self,
        *,
        client: Client,
        subject: Subject,
        names: Names,
        scope: str,
        nonce: str = "",
        code: str | None = None,
        family: str | None = None,
        include_refresh: bool = True,
    ) -> tuple[dict[str, Any], dict[str, Any], Callable[[], None]]:
        """The token response, the ``psc_token`` row that records it, and ``sign``, which puts the signed
        access and ID tokens into the response.

        Signing is apart so that the caller signs once the row has committed, outside the write lock
        (two RSA signatures are most of a token request): nothing is signed for a token whose row, or
        whose code's use, did not commit.
        """
        now = int(time.time())
        jti = secrets.token_urlsafe(24)
        refresh = secrets.token_urlsafe(48) if include_refresh else None
        row: dict[str, Any] = {
            "jti": jti,
            "client_id": client.client_id,
            "idnat": subject.idnat,
            "sid": subject.sid,
            "scope": scope,
            "auth_mode": subject.auth_mode,
            "auth_time": subject.auth_time,
            "nonce": nonce,
            "code": code,
            "family": family or jti,
            "refresh_hash": token_hash(refresh) if refresh else None,
            "issued_at": now,
            "access_expires_at": now + ACCESS_TTL,
            "refresh_expires_at": now + REFRESH_TTL if refresh else None,
        }
        response: dict[str, Any] = {
            "access_token": "",  # signed by ``sign``
            "expires_in": ACCESS_TTL,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "session_state": subject.sid,
            "scope": scope,
        }
        if refresh:
            response["refresh_token"] = refresh
            response["refresh_expires_in"] = REFRESH_TTL

        def sign() -> None:
            access = self.access_token(client=client, subject=subject, scope=scope, jti=jti, now=now)
            response["access_token"] = access
            if "openid" in scope.split():
                response["id_token"] = self.id_token(
                    client=client, subject=subject, names=names, nonce=nonce, access_token=access, now=now
                )

        return response, row, sign
