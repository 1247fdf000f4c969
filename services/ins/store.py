"""Persistence of the identity base. Keyword-only functions over a SQLModel session; they return pure
:class:`~services.ins.identity.Person` objects so that no rule depends on the storage.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, insert, or_, select
from sqlmodel import Session, col

from services.kernel.fixtures import Patient

from .identity import InsNumber, Person
from .models import FirstName, HistoricIns, Identity
from .search import Criteria


@dataclass(frozen=True)
class IdentityRow:
    """One identity to insert (fixtures and bulk seeding share this shape)."""

    ins: str
    oid: str
    birth_name: str
    first_names: str
    sex: str
    birth_date: str
    birth_place: str
    identity_status: str
    origin: str
    history: tuple[InsNumber, ...] = ()


def row_of_fixture(patient: Patient) -> IdentityRow:
    history = tuple(
        InsNumber(
            h["NumIdentifiant"], h["Cle"], h.get("OID", patient.oid), h.get("DateDeb"), h.get("DateFin")
        )
        for h in patient.history
    )
    return IdentityRow(
        ins=patient.ins,
        oid=patient.oid,
        birth_name=patient.birth_name,
        first_names=patient.first_names,
        sex=patient.sex,
        birth_date=patient.birth_date,
        birth_place=patient.birth_place,
        identity_status=patient.identity_status,
        origin="fixture",
        history=history,
    )


def next_id(session: Session) -> int:
    return int(session.execute(select(func.coalesce(func.max(Identity.id), 0))).scalar_one()) + 1


def insert_rows(session: Session, *, rows: Sequence[IdentityRow], first_id: int) -> None:
    """Insert identities with ids from ``first_id`` in three executemany statements."""
    identities: list[dict[str, Any]] = []
    first_names: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    for offset, row in enumerate(rows):
        identity_id = first_id + offset
        identities.append(
            {
                "id": identity_id,
                "ins": row.ins,
                "nir": row.ins[:13],
                "key": row.ins[13:],
                "oid": row.oid,
                "birth_name": row.birth_name,
                "first_names": row.first_names,
                "sex": row.sex,
                "birth_date": row.birth_date,
                "birth_place": row.birth_place,
                "identity_status": row.identity_status,
                "origin": row.origin,
            }
        )
        first_names += [
            {"identity_id": identity_id, "position": i, "first_name": name}
            for i, name in enumerate(row.first_names.split(" "))
        ]
        history += [
            {
                "identity_id": identity_id,
                "position": i,
                "nir": h.nir,
                "key": h.key,
                "oid": h.oid,
                "start": h.start,
                "end": h.end,
            }
            for i, h in enumerate(row.history)
        ]
    session.execute(insert(Identity), identities)
    session.execute(insert(FirstName), first_names)
    if history:
        session.execute(insert(HistoricIns), history)


def replace_fixtures(session: Session, *, patients: Iterable[Patient]) -> int:
    """Put the fixed identities back as the fixtures define them (seed and ``/_sim/reset``)."""
    rows = [row_of_fixture(p) for p in patients]
    stale = select(Identity.id).where(col(Identity.ins).in_([r.ins for r in rows]))
    ids = list(session.execute(stale).scalars())
    if ids:
        session.execute(delete(FirstName).where(col(FirstName.identity_id).in_(ids)))
        session.execute(delete(HistoricIns).where(col(HistoricIns.identity_id).in_(ids)))
        session.execute(delete(Identity).where(col(Identity.id).in_(ids)))
    insert_rows(session, rows=rows, first_id=next_id(session))
    return len(rows)


def count(session: Session, *, origin: str | None = None) -> int:
    query = select(func.count()).select_from(Identity)
    if origin:
        query = query.where(Identity.origin == origin)
    return int(session.execute(query).scalar_one())


IDENTITY = Identity.__table__  # type: ignore[attr-defined]
HISTORY = HistoricIns.__table__  # type: ignore[attr-defined]
_COLUMNS = (
    IDENTITY.c.id,
    IDENTITY.c.nir,
    IDENTITY.c.key,
    IDENTITY.c.oid,
    IDENTITY.c.birth_name,
    IDENTITY.c.first_names,
    IDENTITY.c.sex,
    IDENTITY.c.birth_date,
    IDENTITY.c.birth_place,
    IDENTITY.c.identity_status,
    HISTORY.c.nir.label("h_nir"),
    HISTORY.c.key.label("h_key"),
    HISTORY.c.oid.label("h_oid"),
    HISTORY.c.start.label("h_start"),
    HISTORY.c.end.label("h_end"),
)


def joined(*conditions: Any) -> Select[Any]:
    """Identities meeting ``conditions`` with their INS history, one row per past INS, as plain rows in
    the order of :data:`_COLUMNS` (no ORM objects: this is the hot path of every INSi search)."""
    return (
        select(*_COLUMNS)
        .select_from(IDENTITY.outerjoin(HISTORY, HISTORY.c.identity_id == IDENTITY.c.id))
        .where(*conditions)
        .order_by(IDENTITY.c.id, HISTORY.c.position)
    )


def people(rows: Iterable[Sequence[Any]]) -> list[Person]:
    """The identities of rows from :func:`joined` (SQLAlchemy rows or DBAPI tuples), in row order."""
    found: dict[int, tuple[Sequence[Any], list[InsNumber]]] = {}
    for row in rows:
        _, history = found.setdefault(row[0], (row, []))
        if row[10] is not None:
            history.append(InsNumber(*row[10:15]))
    return [_person(row, history) for row, history in found.values()]


def _person(row: Sequence[Any], history: list[InsNumber]) -> Person:
    _, nir, key, oid, birth_name, first_names, sex, birth_date, birth_place, identity_status = row[:10]
    return Person(
        ins=InsNumber(nir, key, oid),
        birth_name=birth_name,
        first_names=tuple(first_names.split(" ")),
        sex=sex,
        birth_date=birth_date,
        birth_place=birth_place,
        identity_status=identity_status,
        history=tuple(history),
    )


def search(session: Session, *, criteria: Criteria, offset: int, limit: int) -> tuple[list[Person], int]:
    """A page of identities matching ``criteria``, and how many match in all."""
    if criteria.impossible:
        return [], 0
    conditions: list[Any] = []
    if criteria.ins is not None:
        past = select(HistoricIns.identity_id).where(
            HistoricIns.nir == criteria.ins[:13], HistoricIns.key == criteria.ins[13:]
        )
        if criteria.oid:
            past = past.where(HistoricIns.oid == criteria.oid)
        active = Identity.ins == criteria.ins
        if criteria.oid:
            active = active & (Identity.oid == criteria.oid)
        conditions.append(or_(active, col(Identity.id).in_(past)))
    if criteria.family:
        if criteria.family_exact:
            conditions.append(Identity.birth_name == criteria.family)
        else:
            # A range instead of LIKE: it uses the index on every backend.
            conditions.append(Identity.birth_name >= criteria.family)
            conditions.append(Identity.birth_name < criteria.family + "\uffff")
    if criteria.given:
        named = select(FirstName.identity_id).where(FirstName.first_name == criteria.given)
        conditions.append(col(Identity.id).in_(named))
    if criteria.sex:
        conditions.append(Identity.sex == criteria.sex)
    if criteria.birth_date:
        conditions.append(Identity.birth_date == criteria.birth_date)
    page = list(
        session.execute(
            select(Identity.id).where(*conditions).order_by(Identity.id).offset(offset).limit(limit)
        ).scalars()
    )
    if offset == 0 and len(page) < limit:
        total = len(page)  # a first page that is not full holds every match: no count needed
    else:
        total = int(
            session.execute(select(func.count()).select_from(Identity).where(*conditions)).scalar_one()
        )
    return people(session.execute(joined(IDENTITY.c.id.in_(page)))), total
