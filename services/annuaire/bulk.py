"""``socle seed --professionals N``: bulk professionals in the directory, with MSSanté mailboxes.

The people come from ``kernel.synthetic.professionals`` (the same N people for the same seed, so PSC,
which loads the same list, knows them too); each gets a Practitioner and a liberal PractitionerRole,
both carrying a personal box at ``settings.mss_domain``. Written in transactions of a few thousand
resources; seeding twice with the same seed replaces the same rows.
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.kernel.bulk import Advance, SeedPlan
from services.kernel.db import Database
from services.kernel.settings import Settings
from services.kernel.synthetic import professionals

from .app import open_database
from .practitioners import Resource, synthetic_resources
from .store import save_resources

CHUNK = 2000


def planned(plan: SeedPlan) -> int:
    return plan.professionals


def seed(settings: Settings, plan: SeedPlan, advance: Advance) -> int:
    """Write ``plan.professionals`` professionals; returns the number of resources stored."""
    database = open_database(settings)
    stamp = datetime.now(UTC).isoformat(timespec="milliseconds")
    stored, people = 0, 0
    chunk: list[Resource] = []
    try:
        for person in professionals(plan.professionals, seed=plan.seed):
            chunk += synthetic_resources(person, settings.mss_domain, stamp)
            people += 1
            if people % CHUNK == 0:
                stored += _write(database, chunk)
                advance(CHUNK)
                chunk = []
        if chunk:
            stored += _write(database, chunk)
            advance(people % CHUNK)
    finally:
        database.dispose()
    return stored


def _write(database: Database, resources: list[Resource]) -> int:
    with database.transaction() as session:
        return save_resources(session=session, resources=resources)
