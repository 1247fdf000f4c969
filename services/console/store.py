"""Persistence of pending logins and sessions; every write is one transaction."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, delete

from .models import ConsoleSession, PendingLogin


def _now() -> datetime:
    return datetime.now(UTC)


def save_pending(*, session: Session, pending: PendingLogin) -> None:
    session.execute(delete(PendingLogin).where(col(PendingLogin.expires) < _now()))
    session.add(pending)


def take_pending(*, session: Session, state: str, kind: str) -> PendingLogin | None:
    """The pending login for ``state``, removed so that a callback can never be replayed."""
    pending = session.get(PendingLogin, state)
    if pending is None or pending.kind != kind:
        return None
    session.delete(pending)
    return pending if pending.expires >= _now() else None


def find_pending(*, session: Session, state: str, kind: str) -> PendingLogin | None:
    pending = session.get(PendingLogin, state)
    if pending is None or pending.kind != kind or pending.expires < _now():
        return None
    return pending


def drop_pending(*, session: Session, state: str) -> None:
    session.execute(delete(PendingLogin).where(col(PendingLogin.state) == state))


def save_session(*, session: Session, record: ConsoleSession) -> None:
    session.execute(delete(ConsoleSession).where(col(ConsoleSession.expires) < _now()))
    session.add(record)


def find_session(*, session: Session, session_id: str) -> ConsoleSession | None:
    record = session.get(ConsoleSession, session_id)
    if record is None or record.expires < _now():
        return None
    return record


def update_tokens(
    *, session: Session, session_id: str, access_token: str, refresh_token: str, access_expires: datetime
) -> None:
    record = session.get(ConsoleSession, session_id)
    if record is not None:
        record.access_token = access_token
        record.refresh_token = refresh_token or record.refresh_token
        record.access_expires = access_expires
        session.add(record)


def delete_session(*, session: Session, session_id: str) -> ConsoleSession | None:
    record = session.get(ConsoleSession, session_id)
    if record is not None:
        session.delete(record)
    return record


def complete_pending(*, session: Session, state: str, record: ConsoleSession) -> None:
    """Swap an approved CIBA request for its session in one transaction."""
    drop_pending(session=session, state=state)
    save_session(session=session, record=record)
