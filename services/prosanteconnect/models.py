"""Tables of Pro Santé Connect: everything a second instance or a restart must see lives here.

Codes, sessions, issued tokens (by ``jti``, refresh tokens by hash), CIBA requests, client
registrations and signing keys are rows, never process memory, so two instances behind one
PostgreSQL behave as one provider (README of the spec, architecture).
"""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class PscKey(SQLModel, table=True):
    __tablename__ = "psc_key"

    kid: str = Field(primary_key=True)
    private_jwk: str
    created_at: float
    active: bool = True
    """The newest active key signs; older keys stay published for verification."""


class PscClient(SQLModel, table=True):
    __tablename__ = "psc_client"

    client_id: str = Field(primary_key=True)
    client_secret: str | None = None
    metadata_json: str
    created_at: float
    static: bool = False
    registration_token: str | None = None


class PscProfessional(SQLModel, table=True):
    """Bulk professionals (``socle seed``) who may log in besides the fixed test data."""

    __tablename__ = "psc_professional"

    idnat: str = Field(primary_key=True)
    rpps: str
    family_name: str
    given_name: str
    profession: str


class PscSession(SQLModel, table=True):
    __tablename__ = "psc_session"

    sid: str = Field(primary_key=True)
    idnat: str = Field(index=True)
    auth_mode: str
    auth_time: int
    last_seen: float
    ended: bool = False


class PscCode(SQLModel, table=True):
    __tablename__ = "psc_code"

    code: str = Field(primary_key=True)
    client_id: str
    idnat: str
    sid: str
    redirect_uri: str
    scope: str
    nonce: str = ""
    code_challenge: str = ""
    code_challenge_method: str = ""
    auth_time: int
    auth_mode: str
    expires_at: float
    used_at: float | None = None


class PscToken(SQLModel, table=True):
    """One issued access token (by ``jti``) and the refresh token issued with it (by hash)."""

    __tablename__ = "psc_token"

    jti: str = Field(primary_key=True)
    client_id: str = Field(index=True)
    idnat: str
    sid: str = Field(index=True)
    scope: str
    auth_mode: str
    auth_time: int
    nonce: str = ""
    code: str | None = Field(default=None, index=True)
    family: str = Field(index=True)
    """The ``jti`` of the first token of a refresh chain: replaying a rotated refresh token revokes it all."""
    refresh_hash: str | None = Field(default=None, index=True, unique=True)
    issued_at: float
    access_expires_at: float
    refresh_expires_at: float | None = None
    refresh_used: bool = False
    revoked: bool = False


class PscCiba(SQLModel, table=True):
    __tablename__ = "psc_ciba"

    auth_req_id: str = Field(primary_key=True)
    client_id: str
    idnat: str = Field(index=True)
    scope: str
    binding_message: str = ""
    channel: str = "MOBILE"
    status: str = "pending"
    """pending, approved, denied, issued."""
    created_at: float
    expires_at: float
    interval: int
    last_poll: float | None = None
    sid: str | None = None


class PscPush(SQLModel, table=True):
    """An e-CPS login waiting for the professional's phone; it keeps the authorization request to finish it."""

    __tablename__ = "psc_push"

    push_id: str = Field(primary_key=True)
    idnat: str = Field(index=True)
    client_id: str
    params_json: str
    binding_message: str
    status: str = "pending"
    """pending, approved, denied, used."""
    created_at: float
    expires_at: float


class PscJwtId(SQLModel, table=True):
    """``jti`` of client assertions already used (private_key_jwt replay protection)."""

    __tablename__ = "psc_jwt_id"

    jti: str = Field(primary_key=True)
    client_id: str
    expires_at: float


TABLES: list[type[SQLModel]] = [
    PscKey,
    PscClient,
    PscProfessional,
    PscSession,
    PscCode,
    PscToken,
    PscCiba,
    PscPush,
    PscJwtId,
]
