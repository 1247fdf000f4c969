"""The hot reads of the INS (INSi searches, ``$match``, Patient read, the DMP's identifier search) as fixed
statements run on a pooled DBAPI connection.

Why not a SQLModel session on a worker thread like the other reads: an indexed lookup among a million
identities costs about 20 µs in SQLite, the ORM session around it (session and transaction objects,
``BEGIN``/``ROLLBACK``, result processing) about 150 µs, and the hop to a worker thread another 65 µs of
CPU plus two thread wake-ups, which on a loaded machine are what makes the tail of the latency. So each
statement is compiled once for the engine's dialect by SQLAlchemy and executed alone, outside any
explicit transaction (one ``SELECT`` reads one consistent snapshot). On SQLite it runs on the event loop
(the lookup is shorter than the hop; the base's few index pages stay in the page cache); on a server
database, where a statement is a network round trip, it still goes to a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from anyio import to_thread
from sqlalchemy import Select, bindparam, select

from services.kernel.db import Database, Fixed

from .identity import Person
from .store import HISTORY, IDENTITY, joined, people

T = TypeVar("T")


_PAST_INS = select(HISTORY.c.identity_id).where(
    HISTORY.c.nir == bindparam("nir"), HISTORY.c.key == bindparam("key")
)
STATEMENTS: dict[str, Select[Any]] = {
    "traits": joined(
        IDENTITY.c.birth_name == bindparam("birth_name"),
        IDENTITY.c.birth_date == bindparam("birth_date"),
        IDENTITY.c.sex == bindparam("sex"),
    ),
    "ins": joined(IDENTITY.c.ins == bindparam("ins")),
    "matricule": joined(
        (IDENTITY.c.nir == bindparam("nir"))
        | IDENTITY.c.id.in_(select(HISTORY.c.identity_id).where(HISTORY.c.nir == bindparam("nir")))
    ),
    "any_ins": joined((IDENTITY.c.ins == bindparam("ins")) | IDENTITY.c.id.in_(_PAST_INS)),
    "any_ins_oid": joined(
        ((IDENTITY.c.ins == bindparam("ins")) & (IDENTITY.c.oid == bindparam("oid")))
        | IDENTITY.c.id.in_(_PAST_INS.where(HISTORY.c.oid == bindparam("oid")))
    ),
}
"""``matricule``: active or past matricule ``nir`` (INSi Vitale search); ``any_ins``: active INS ``ins`` or
one in the history (PDQm ``identifier``)."""


class Lookups:
    """The fixed hot-path reads of one INS database."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.fixed = {name: Fixed(statement) for name, statement in STATEMENTS.items()}

    def _rows(self, name: str, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        connection = self.db.engine.raw_connection()
        try:
            return self.fixed[name].run(connection, self.db.engine.dialect, values)
        finally:
            connection.close()  # back to the pool, rolled back (nothing was begun on SQLite)

    def people(self, name: str, **values: Any) -> list[Person]:
        """The identities statement ``name`` finds, with their INS history (synchronous)."""
        return people(self._rows(name, values))

    async def _run(self, work: Callable[[], T]) -> T:
        if self.db.is_sqlite:
            return work()
        return await to_thread.run_sync(work)

    async def by_traits(self, *, birth_name: str, birth_date: str, sex: str) -> list[Person]:
        """The identities sharing birth name, birth date and sex (index ``ix_ins_identity_traits``)."""
        return await self._run(
            lambda: self.people("traits", birth_name=birth_name, birth_date=birth_date, sex=sex)
        )

    async def get(self, *, ins: str) -> Person | None:
        """The identity whose active INS is ``ins``."""
        found = await self._run(lambda: self.people("ins", ins=ins))
        return found[0] if found else None

    async def by_matricule(self, *, nir: str) -> list[Person]:
        """The identities whose active or past matricule is ``nir`` (13 characters, no key)."""
        return await self._run(lambda: self.people("matricule", nir=nir))

    async def by_any_ins(self, *, ins: str, oid: str | None) -> list[Person]:
        """The identities whose active or past INS is ``ins`` (assigned by ``oid`` when given), by id."""
        values = {"ins": ins, "nir": ins[:13], "key": ins[13:]}
        if oid:
            return await self._run(lambda: self.people("any_ins_oid", oid=oid, **values))
        return await self._run(lambda: self.people("any_ins", **values))
