"""``socle seed --patients N``: bulk synthetic identities (test INS OID, valid keys) for load tests.

Identities are written straight into the INS database in transactions of :data:`BATCH` rows with
executemany, ids allocated up front. A second run continues where the first stopped (person numbers
follow the bulk rows already stored), so matricules never collide.
"""

from __future__ import annotations

from itertools import islice

from services.kernel.bulk import Advance, SeedPlan
from services.kernel.db import Database
from services.kernel.settings import Settings
from services.kernel.synthetic import people

from . import store
from .models import TABLES
from .store import IdentityRow

BATCH = 50_000


def planned(plan: SeedPlan) -> int:
    return plan.patients


def seed(settings: Settings, plan: SeedPlan, advance: Advance) -> int:
    if plan.patients <= 0:
        return 0
    db = Database(settings.database_for(), TABLES, schema="ins")
    try:
        db.create_tables()
        with db.reader() as session:
            already = store.count(session, origin="bulk")
        generated = people(plan.patients, seed=plan.seed, start=already)
        written = 0
        while batch := list(islice(generated, BATCH)):
            rows = [
                IdentityRow(
                    ins=p.ins,
                    oid=p.oid,
                    birth_name=p.birth_name,
                    first_names=p.first_names,
                    sex=p.sex,
                    birth_date=p.birth_date,
                    birth_place=p.birth_place,
                    identity_status="QUAL",
                    origin="bulk",
                )
                for p in batch
            ]
            with db.transaction() as session:
                store.insert_rows(session, rows=rows, first_id=store.next_id(session))
            written += len(rows)
            advance(len(rows))
        return written
    finally:
        db.dispose()
