"""Persistence of Pro Santé Connect: plain functions over a session or a connection, keyword-only arguments.

Callers own the transaction (``Provider.run``); a function here never commits, so one request's
writes (a code marked used and the tokens it revokes, a token and its refresh chain) land together.

The statements every login and introspection runs (client, code, token, session reads; code, session
and token inserts; marking a code used) are Core statements on the transaction's
connection (``server.conn``, which first writes what an ORM session of the same transaction holds): the
ORM's identity map and unit of work cost several times the SQL itself there, and nothing on those paths
needs them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert
from sqlmodel import Session, col, select, update

from services.kernel.db import Fixed

from .clients import Client
from .models import PscCiba, PscClient, PscCode, PscJwtId, PscProfessional, PscPush, PscSession, PscToken

SESSION_MAX_SECONDS = 4 * 3600
SESSION_IDLE_SECONDS = 30 * 60
"""SSO session: 4 h at most, 30 min of inactivity (psc.md §1.4)."""


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


CLIENTS, SESSIONS, CODES, TOKENS = _table(PscClient), _table(PscSession), _table(PscCode), _table(PscToken)
_CLIENT_BY_ID = Fixed(
    select(CLIENTS.c.client_secret, CLIENTS.c.metadata_json).where(
        CLIENTS.c.client_id == bindparam("client_id")
    )
)
_SESSION_BY_SID = Fixed(
    select(SESSIONS.c.ended, SESSIONS.c.auth_time, SESSIONS.c.last_seen).where(
        SESSIONS.c.sid == bindparam("sid")
    )
)
_SESSION_STATE = (
    SESSIONS.c.ended.label("session_ended"),
    SESSIONS.c.auth_time.label("session_auth_time"),
    SESSIONS.c.last_seen.label("session_last_seen"),
)
_CODE_WITH_SESSION = Fixed(
    select(CODES, *_SESSION_STATE)
    .select_from(CODES.outerjoin(SESSIONS, SESSIONS.c.sid == CODES.c.sid))
    .where(CODES.c.code == bindparam("code"))
    .with_for_update(of=CODES)
)
_TOKEN_WITH_SESSION = Fixed(
    select(
        TOKENS,
        *_SESSION_STATE,
        CLIENTS.c.client_secret.label("client_secret"),
        CLIENTS.c.metadata_json.label("client_metadata"),
    )
    .select_from(
        TOKENS.outerjoin(SESSIONS, SESSIONS.c.sid == TOKENS.c.sid).outerjoin(
            CLIENTS, CLIENTS.c.client_id == TOKENS.c.client_id
        )
    )
    .where(TOKENS.c.jti == bindparam("jti"))
)
_NEW_SESSION, _NEW_CODE, _NEW_TOKEN = Fixed(insert(SESSIONS)), Fixed(insert(CODES)), Fixed(insert(TOKENS))
_CODE_USED = Fixed(
    CODES.update().where(CODES.c.code == bindparam("used_code")).values(used_at=bindparam("now"))
)


def token_hash(value: str) -> str:
    """Refresh tokens are stored hashed: a copy of the database cannot replay them."""
    return hashlib.sha256(value.encode()).hexdigest()


# clients


def get_client(connection: Connection, *, client_id: str) -> Client | None:
    row = _CLIENT_BY_ID.first(connection, {"client_id": client_id})
    if row is None:
        return None
    return Client(client_id, row.client_secret, json.loads(row.metadata_json))


def put_client(
    session: Session,
    *,
    client_id: str,
    client_secret: str | None,
    metadata: dict[str, Any],
    static: bool = False,
    registration_token: str | None = None,
) -> None:
    row = session.get(PscClient, client_id) or PscClient(
        client_id=client_id, metadata_json="{}", created_at=time.time()
    )
    row.client_secret = client_secret
    row.metadata_json = json.dumps(metadata)
    row.static = static
    row.registration_token = registration_token
    session.add(row)


def update_client_settings(session: Session, *, client_id: str, settings: dict[str, Any]) -> Client | None:
    row = session.get(PscClient, client_id)
    if row is None:
        return None
    merged = {**json.loads(row.metadata_json), **settings}
    metadata = {k: v for k, v in merged.items() if v is not None}
    row.metadata_json = json.dumps(metadata)
    session.add(row)
    return Client(row.client_id, row.client_secret, metadata)


# professionals loaded in bulk


def get_bulk_professional(session: Session, *, idnat: str) -> PscProfessional | None:
    return session.get(PscProfessional, idnat)


# sessions


def open_session(connection: Connection, *, sid: str, idnat: str, auth_mode: str) -> int:
    """Store a new SSO session (a ``psc_session`` row); its ``auth_time``."""
    now = time.time()
    values = {"sid": sid, "idnat": idnat, "auth_mode": auth_mode, "auth_time": int(now), "last_seen": now}
    _NEW_SESSION.execute(connection, values)
    return int(now)


def _alive(ended: bool | None, auth_time: int | None, last_seen: float | None) -> bool:
    """Neither ended nor past its lifetime or idle limit (a missing session is not alive)."""
    if ended is None or ended or auth_time is None or last_seen is None:
        return False
    now = time.time()
    return now - auth_time <= SESSION_MAX_SECONDS and now - last_seen <= SESSION_IDLE_SECONDS


def session_is_live(connection: Connection, *, sid: str) -> bool:
    """Whether the session is neither ended nor past its lifetime or idle limit (read only)."""
    row = _SESSION_BY_SID.first(connection, {"sid": sid})
    return row is not None and _alive(row.ended, row.auth_time, row.last_seen)


def live_session(session: Session, *, sid: str, touch: bool = False) -> PscSession | None:
    """The session if it is neither ended nor past its lifetime or idle limit; ``touch`` restarts its idle clock."""
    row = session.get(PscSession, sid)
    if row is None or not _alive(row.ended, row.auth_time, row.last_seen):
        return None
    if touch:
        row.last_seen = time.time()
        session.add(row)
    return row


def end_session(session: Session, *, sid: str) -> list[str]:
    """End a session and revoke its tokens; the clients that held tokens in it (for back-channel logout)."""
    row = session.get(PscSession, sid)
    if row is not None:
        row.ended = True
        session.add(row)
    clients = session.exec(select(PscToken.client_id).where(PscToken.sid == sid).distinct()).all()
    session.execute(update(PscToken).where(col(PscToken.sid) == sid).values(revoked=True))
    return sorted(clients)


# authorization codes


def save_code(connection: Connection, *, values: dict[str, Any]) -> None:
    """Store an authorization code: ``values`` are columns of :class:`PscCode` (defaults for the rest)."""
    _NEW_CODE.execute(connection, values)


def code_with_session(connection: Connection, *, code: str) -> tuple[Any, bool] | None:
    """The code's row (columns as attributes; locked until the transaction ends where the database can)
    and whether its SSO session is alive, in one statement."""
    row = _CODE_WITH_SESSION.first(connection, {"code": code})
    if row is None:
        return None
    return row, _alive(row.session_ended, row.session_auth_time, row.session_last_seen)


def mark_code_used(connection: Connection, *, code: str) -> None:
    _CODE_USED.execute(connection, {"used_code": code, "now": time.time()})


def revoke_issued_from_code(session: Session, *, code: str) -> None:
    """RFC 6749 §4.1.2: a code used twice revokes what it issued (the whole refresh chain)."""
    families = session.exec(select(PscToken.family).where(PscToken.code == code)).all()
    revoke_families(session, families=families)


# tokens


def save_token(connection: Connection, *, values: dict[str, Any]) -> None:
    """Store an issued token: ``values`` are columns of :class:`PscToken` (defaults for the rest)."""
    _NEW_TOKEN.execute(connection, values)


def token_with_session(connection: Connection, *, jti: str) -> tuple[Any, bool] | None:
    """An access token's row (columns as attributes, with its client's: :func:`client_of_token`) and
    whether its session is alive, in one statement."""
    row = _TOKEN_WITH_SESSION.first(connection, {"jti": jti})
    if row is None:
        return None
    return row, _alive(row.session_ended, row.session_auth_time, row.session_last_seen)


def client_of_token(row: Any) -> Client | None:
    """The client a token read by :func:`token_with_session` was issued to (None if it was deleted)."""
    if row.client_metadata is None:
        return None
    return Client(row.client_id, row.client_secret, json.loads(row.client_metadata))


def get_by_refresh(session: Session, *, refresh_token: str) -> PscToken | None:
    statement = select(PscToken).where(PscToken.refresh_hash == token_hash(refresh_token)).with_for_update()
    return session.exec(statement).first()


def mark_refresh_used(session: Session, *, jti: str) -> None:
    session.execute(update(PscToken).where(col(PscToken.jti) == jti).values(refresh_used=True))


def revoke_families(session: Session, *, families: Sequence[str]) -> None:
    if families:
        session.execute(update(PscToken).where(col(PscToken.family).in_(families)).values(revoked=True))


def revoke_token(session: Session, *, jti: str) -> None:
    session.execute(update(PscToken).where(col(PscToken.jti) == jti).values(revoked=True))


def use_assertion_id(session: Session, *, jti: str, client_id: str, expires_at: float) -> bool:
    """Record a client assertion's ``jti``; False when it was already used."""
    key = f"{client_id}:{jti}"
    if session.get(PscJwtId, key) is not None:
        return False
    session.add(PscJwtId(jti=key, client_id=client_id, expires_at=expires_at))
    return True


# CIBA


def save_ciba(session: Session, *, request: PscCiba) -> None:
    session.add(request)


def get_ciba(session: Session, *, auth_req_id: str) -> PscCiba | None:
    return session.exec(select(PscCiba).where(PscCiba.auth_req_id == auth_req_id).with_for_update()).first()


def pending_ciba(session: Session, *, idnat: str | None = None) -> list[PscCiba]:
    statement = select(PscCiba).where(PscCiba.status == "pending", PscCiba.expires_at > time.time())
    if idnat:
        statement = statement.where(PscCiba.idnat == idnat)
    return list(session.exec(statement.order_by(PscCiba.created_at)).all())


# e-CPS pushes of the login page


def save_push(session: Session, *, push: PscPush) -> None:
    session.add(push)


def get_push(session: Session, *, push_id: str) -> PscPush | None:
    return session.exec(select(PscPush).where(PscPush.push_id == push_id).with_for_update()).first()


def pending_pushes(session: Session, *, idnat: str) -> list[PscPush]:
    statement = select(PscPush).where(
        PscPush.idnat == idnat, PscPush.status == "pending", PscPush.expires_at > time.time()
    )
    return list(session.exec(statement.order_by(PscPush.created_at)).all())
