"""Who opens a mailbox: SASL XOAUTH2 with a Pro Santé Connect access token, or a test account.

XOAUTH2 (spec B3) carries ``user=<address>^Aauth=Bearer <token>^A^A``. The token is checked by the
kernel (signature, issuer, expiry, then PSC userinfo, which also catches revoked tokens); the
professional it names must be allowed on the box (its owner, or staff of the structure owning it),
and, when ``mss_psc_clients`` is set, the token must have been issued to one of those clients.
Test accounts (``mss_test_accounts``) take any hosted address with the configured password.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from services.kernel.errors import SocleError, Unauthorized
from services.kernel.tokens import PscTokenVerifier

from .addresses import BadAddress, parse
from .mailboxes import Rejected, Resolver
from .settings import MssSettings


class AuthFailed(Exception):
    """Authentication refused; ``temporary`` when PSC could not be asked (454 rather than 535)."""

    def __init__(self, reason: str, *, temporary: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.temporary = temporary


@dataclass(frozen=True)
class Identity:
    address: str
    method: str
    idnat: str = ""
    client_id: str = ""
    expires_at: float | None = None
    """When the PSC access token expires: the session ends then (SC.MSS/CONF.10-11, the client reconnects)."""

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and time.time() >= self.expires_at


def parse_xoauth2(blob: bytes) -> tuple[str, str]:
    """``(user, token)`` from the decoded XOAUTH2 initial response."""
    try:
        text = blob.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AuthFailed("XOAUTH2 response is not UTF-8") from exc
    fields = dict(part.split("=", 1) for part in text.split("\x01") if "=" in part)
    scheme, _, token = fields.get("auth", "").partition(" ")
    if "user" not in fields or scheme.lower() != "bearer" or not token:
        raise AuthFailed("XOAUTH2 expects user=<address>^Aauth=Bearer <token>^A^A")
    return fields["user"], token.strip()


def xoauth2_error_challenge() -> bytes:
    """The JSON error a server sends before the final failure (Google's XOAUTH2 framing)."""
    body = {"status": "401", "schemes": "bearer", "scope": "openid scope_all"}
    return base64.b64encode(json.dumps(body).encode())


def decode_b64(data: bytes) -> bytes:
    try:
        return base64.b64decode(data.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise AuthFailed("not base64") from exc


class Authenticator:
    def __init__(self, app: Any, settings: MssSettings, resolver: Resolver) -> None:
        self.settings = settings
        self.resolver = resolver
        self.verifier = PscTokenVerifier(app)

    async def _box(self, user: str) -> Any:
        try:
            return await self.resolver.resolve(parse(user, self.settings.mss_patient_domain))
        except BadAddress as exc:
            raise AuthFailed(f"{user!r} is not a mailbox address") from exc
        except Rejected as exc:
            raise AuthFailed(exc.reply.split(" ", 2)[-1], temporary=exc.reply.startswith("4")) from exc

    async def xoauth2(self, user: str, token: str) -> Identity:
        try:
            caller = await self.verifier.caller(token)
        except Unauthorized as exc:
            raise AuthFailed(exc.message) from exc
        except SocleError as exc:
            raise AuthFailed(exc.message, temporary=True) from exc
        if self.settings.mss_psc_clients and caller.client_id not in self.settings.mss_psc_clients:
            raise AuthFailed(f"tokens of client {caller.client_id!r} may not open MSSanté mailboxes")
        box = await self._box(user)
        if caller.idnat not in box.members and caller.idnat != box.owner:
            raise AuthFailed(f"{caller.idnat} may not open {box.address}")
        expires = caller.claims.get("exp")
        return Identity(
            box.address, "XOAUTH2", caller.idnat, caller.client_id, float(expires) if expires else None
        )

    async def password(self, user: str, password: str) -> Identity:
        if not self.settings.mss_test_accounts:
            raise AuthFailed("password login is disabled (test accounts off)")
        expected = self.settings.mss_test_password.encode()
        if not hmac.compare_digest(password.encode(), expected):
            raise AuthFailed("wrong password")
        box = await self._box(user)
        return Identity(box.address, "PASSWORD")
