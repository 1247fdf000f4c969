"""``socle seed --professionals N``: bulk professionals who can log in to PSC.

The real PSC loads the RPPS extraction in batch (psc.md §0, psc-rass-loader); here the same N people as
the directory's come from ``kernel.synthetic.professionals`` with the same seed, so a professional found
in the Annuaire can log in. Rows are replaced chunk by chunk: seeding twice with one seed is idempotent.
"""

from __future__ import annotations

from sqlalchemy import delete, insert
from sqlmodel import col

from services.kernel.bulk import Advance, SeedPlan
from services.kernel.db import Database
from services.kernel.settings import Settings
from services.kernel.synthetic import SyntheticProfessional, professionals

from .app import open_database
from .models import PscProfessional

CHUNK = 5000


def planned(plan: SeedPlan) -> int:
    return plan.professionals


def seed(settings: Settings, plan: SeedPlan, advance: Advance) -> int:
    database = open_database(settings)
    written = 0
    chunk: list[SyntheticProfessional] = []
    try:
        for person in professionals(plan.professionals, seed=plan.seed):
            chunk.append(person)
            if len(chunk) == CHUNK:
                written += _write(database, chunk)
                advance(len(chunk))
                chunk = []
        if chunk:
            written += _write(database, chunk)
            advance(len(chunk))
    finally:
        database.dispose()
    return written


def _write(database: Database, people: list[SyntheticProfessional]) -> int:
    rows = [
        {
            "idnat": p.idnat,
            "rpps": p.rpps,
            "family_name": p.family_name,
            "given_name": p.given_name,
            "profession": p.profession,
        }
        for p in people
    ]
    with database.transaction() as session:
        session.execute(
            delete(PscProfessional).where(col(PscProfessional.idnat).in_([r["idnat"] for r in rows]))
        )
        session.execute(insert(PscProfessional), rows)
    return len(rows)
