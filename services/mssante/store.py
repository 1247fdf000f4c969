"""Persistence of mailboxes and messages; every function takes the session and keyword arguments."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, update
from sqlmodel import Session, col, delete, select

from .models import Mailbox, Message

LISTING_COLUMNS = (
    Message.id,
    Message.mailbox,
    Message.uid,
    Message.message_id,
    Message.envelope_from,
    Message.sender,
    Message.recipients,
    Message.subject,
    Message.patient_ins,
    Message.kind,
    Message.received_at,
    Message.size,
    Message.flags,
    Message.conformant,
    Message.findings,
)


def now() -> datetime:
    return datetime.now(UTC)


def mailbox(session: Session, *, address: str) -> Mailbox | None:
    return session.get(Mailbox, address)


def mailboxes(session: Session, *, kind: str | None = None) -> Sequence[Mailbox]:
    query = select(Mailbox).order_by(col(Mailbox.address))
    if kind:
        query = query.where(Mailbox.kind == kind)
    return session.exec(query).all()


def ensure_mailbox(
    session: Session, *, address: str, kind: str, owner: str, members: Iterable[str], display_name: str = ""
) -> Mailbox:
    """The box at ``address``, created on first use; an existing box keeps its UIDs and gains members."""
    box = session.get(Mailbox, address)
    members = sorted(set(members))
    if box is None:
        box = Mailbox(
            address=address,
            kind=kind,
            owner=owner,
            members=members,
            display_name=display_name,
            uid_validity=int(time.time()),
            created_at=now(),
        )
        session.add(box)
    elif not set(members) <= set(box.members):
        box.members = sorted(set(box.members) | set(members))
        session.add(box)
    session.flush()
    return box


def store_copy(session: Session, *, box: Mailbox, message: Message) -> Message:
    """Put ``message`` into ``box`` with the next UID (RFC 3501 §2.3.1.1: strictly ascending)."""
    message.mailbox = box.address
    message.uid = box.uid_next
    box.uid_next += 1
    box.used_bytes += message.size
    session.add(box)
    session.add(message)
    session.flush()
    return message


MAILBOXES = Mailbox.__table__  # type: ignore[attr-defined]
MESSAGES = Message.__table__  # type: ignore[attr-defined]
TAKE_UID = (
    update(MAILBOXES)
    .where(
        MAILBOXES.c.address == bindparam("box"),
        MAILBOXES.c.used_bytes + bindparam("size") <= bindparam("quota"),
    )
    .values(uid_next=MAILBOXES.c.uid_next + 1, used_bytes=MAILBOXES.c.used_bytes + bindparam("size"))
    .returning(MAILBOXES.c.uid_next)
)
INSERT_COPY = insert(MESSAGES).returning(MESSAGES.c.id)
COPY_COLUMNS = [column.name for column in MESSAGES.columns if column.name != "id"]
"""Statements built once: a delivery is two of them per copy, compiled once and cached by SQLAlchemy."""


def take_uid(session: Session, *, address: str, size: int, quota: int) -> int | None:
    """Reserve the next UID of ``address`` and count ``size`` against its quota, in one statement.

    None when the box is gone or would pass ``quota``. A delivery needs nothing else of the box, so
    the ORM's select-then-update (two statements and an identity map per copy) is skipped; on
    PostgreSQL the increment is atomic as well."""
    row = session.connection().execute(TAKE_UID, {"box": address, "size": size, "quota": quota}).first()
    return None if row is None else int(row[0]) - 1


def insert_copy(session: Session, *, values: dict[str, Any]) -> int:
    """Insert one copy given every column but ``id`` (mailbox and UID from :func:`take_uid`); its id.

    Plain values rather than a :class:`Message`: building the SQLModel object costs more than the
    insert itself (pydantic inspects each default factory's signature on every construction)."""
    missing = set(COPY_COLUMNS) - values.keys()
    if missing:
        raise ValueError(f"a message copy needs {sorted(missing)}")
    return int(session.connection().execute(INSERT_COPY, values).scalar_one())


def search(
    session: Session,
    *,
    mailbox: str | None = None,
    address: str | None = None,
    subject: str | None = None,
    patient: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[Message]]:
    """Messages newest first, without their raw bytes; ``address`` matches sender or any recipient."""
    query = select(*LISTING_COLUMNS)
    if mailbox:
        query = query.where(Message.mailbox == mailbox)
    if address:
        needle = f"%{address.lower()}%"
        query = query.where(
            func.lower(col(Message.mailbox)).like(needle)
            | func.lower(col(Message.sender)).like(needle)
            | func.lower(col(Message.envelope_from)).like(needle)
        )
    if subject:
        query = query.where(func.lower(col(Message.subject)).like(f"%{subject.lower()}%"))
    if patient:
        query = query.where(Message.patient_ins == patient)
    if since:
        query = query.where(Message.received_at >= since)
    if until:
        query = query.where(Message.received_at <= until)
    if kind:
        query = query.where(Message.kind == kind)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(Message.received_at).desc(), col(Message.id).desc()).offset(offset).limit(limit)
    ).all()
    return int(total), [Message(**row._asdict()) for row in rows]


def message(session: Session, *, message_id: int) -> Message | None:
    return session.get(Message, message_id)


def latest(session: Session, *, address: str) -> Message | None:
    query = select(Message).where(Message.mailbox == address).order_by(col(Message.uid).desc()).limit(1)
    return session.exec(query).first()


def delete_message(session: Session, *, message_id: int) -> bool:
    found = session.get(Message, message_id)
    if found is None:
        return False
    _release(session, found.mailbox, found.size)
    session.delete(found)
    return True


def _release(session: Session, address: str, size: int) -> None:
    box = session.get(Mailbox, address)
    if box is not None:
        box.used_bytes = max(0, box.used_bytes - size)
        session.add(box)


def purge(session: Session, *, mailbox: str | None = None) -> int:
    statement = delete(Message)
    boxes = select(Mailbox)
    if mailbox:
        statement = statement.where(col(Message.mailbox) == mailbox)
        boxes = boxes.where(Mailbox.address == mailbox)
    result = session.exec(statement)  # type: ignore[call-overload]
    for box in session.exec(boxes).all():
        box.used_bytes = 0
        session.add(box)
    return int(result.rowcount or 0)


def listing(session: Session, *, address: str) -> list[Message]:
    """One mailbox's messages in UID order (the IMAP sequence), raw bytes excluded."""
    rows = session.exec(
        select(*LISTING_COLUMNS).where(Message.mailbox == address).order_by(col(Message.uid))
    ).all()
    return [Message(**row._asdict()) for row in rows]


def raw_by_uid(session: Session, *, address: str, uids: Sequence[int]) -> dict[int, bytes]:
    rows = session.exec(
        select(Message.uid, Message.raw).where(Message.mailbox == address, col(Message.uid).in_(list(uids)))
    ).all()
    return {uid: raw for uid, raw in rows}


def set_flags(
    session: Session, *, address: str, uids: Sequence[int], flags: Sequence[str], mode: str
) -> dict[int, list[str]]:
    """Replace (``mode`` ""), add (``+``) or remove (``-``) flags; returns the new flags per UID."""
    rows = session.exec(
        select(Message).where(Message.mailbox == address, col(Message.uid).in_(list(uids)))
    ).all()
    changed: dict[int, list[str]] = {}
    for row in rows:
        current = set(row.flags)
        if mode == "+":
            current |= set(flags)
        elif mode == "-":
            current -= set(flags)
        else:
            current = set(flags)
        row.flags = sorted(current)
        session.add(row)
        changed[row.uid] = row.flags
    return changed


def expunge(session: Session, *, address: str, uids: Sequence[int] | None = None) -> list[int]:
    """Remove the messages flagged ``\\Deleted`` (restricted to ``uids`` for UID EXPUNGE)."""
    rows = session.exec(select(Message).where(Message.mailbox == address)).all()
    removed = []
    for row in rows:
        if "\\Deleted" in row.flags and (uids is None or row.uid in uids):
            removed.append(row.uid)
            _release(session, address, row.size)
            session.delete(row)
    return sorted(removed)
