"""Persistence of Pro Santé Connect: plain functions over a session, keyword-only arguments.

Callers own the transaction (``Database.write``); a function here never commits, so one request's
writes (a code marked used and the tokens it revokes, a token and its refresh chain) land together.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select, update

from .clients import Client
from .models import PscCiba, PscClient, PscCode, PscJwtId, PscProfessional, PscPush, PscSession, PscToken

SESSION_MAX_SECONDS = 4 * 3600
SESSION_IDLE_SECONDS = 30 * 60
"""SSO session: 4 h at most, 30 min of inactivity (psc.md §1.4)."""


def token_hash(value: str) -> str:
    """Refresh tokens are stored hashed: a copy of the database cannot replay them."""
    return hashlib.sha256(value.encode()).hexdigest()


# clients


def get_client(session: Session, *, client_id: str) -> Client | None:
    row = session.get(PscClient, client_id)
    if row is None:
        return None
    return Client(row.client_id, row.client_secret, json.loads(row.metadata_json))


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


def open_session(session: Session, *, sid: str, idnat: str, auth_mode: str) -> PscSession:
    now = time.time()
    row = PscSession(sid=sid, idnat=idnat, auth_mode=auth_mode, auth_time=int(now), last_seen=now)
    session.add(row)
    return row


def live_session(session: Session, *, sid: str, touch: bool = False) -> PscSession | None:
    """The session if it is neither ended nor past its lifetime or idle limit."""
    row = session.get(PscSession, sid)
    now = time.time()
    if row is None or row.ended:
        return None
    if now - row.auth_time > SESSION_MAX_SECONDS or now - row.last_seen > SESSION_IDLE_SECONDS:
        return None
    if touch:
        row.last_seen = now
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


def save_code(session: Session, *, code: PscCode) -> None:
    session.add(code)


def get_code(session: Session, *, code: str) -> PscCode | None:
    return session.exec(select(PscCode).where(PscCode.code == code).with_for_update()).first()


def mark_code_used(session: Session, *, code: str) -> None:
    session.execute(update(PscCode).where(col(PscCode.code) == code).values(used_at=time.time()))


def revoke_issued_from_code(session: Session, *, code: str) -> None:
    """RFC 6749 §4.1.2: a code used twice revokes what it issued (the whole refresh chain)."""
    families = session.exec(select(PscToken.family).where(PscToken.code == code)).all()
    revoke_families(session, families=families)


# tokens


def save_token(session: Session, *, token: PscToken) -> None:
    session.add(token)


def get_token(session: Session, *, jti: str) -> PscToken | None:
    return session.get(PscToken, jti)


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
