"""``socle seed --professionals``: bulk professionals can log in and get a PSC-shaped userinfo."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy

from services.kernel.bulk import SeedPlan
from services.kernel.settings import Settings
from services.kernel.synthetic import professionals
from services.prosanteconnect import bulk

from .helpers import OIDC, bearer, login, register, start


def test_seeded_professionals_log_in_and_seeding_is_idempotent(tmp_path: Path) -> None:
    settings = Settings(service="prosanteconnect", data_dir=tmp_path)
    plan = SeedPlan(professionals=120, seed=7)
    progress: list[int] = []
    assert bulk.planned(plan) == 120
    assert bulk.seed(settings, plan, progress.append) == 120
    assert sum(progress) == 120
    assert bulk.seed(settings, plan, progress.append) == 120  # same people replaced, not duplicated
    person = list(professionals(120, seed=7))[-1]
    with start(tmp_path, auto_login=True) as psc:
        count = psc.app.state.database.engine.connect().execute(  # type: ignore[attr-defined]
            sqlalchemy.text("SELECT count(*) FROM psc_professional")
        )
        assert count.scalar() == 120
        tokens = login(psc, register(psc), login_hint=person.idnat)
        info = psc.get(OIDC + "/userinfo", headers=bearer(tokens["access_token"])).json()
    assert info["SubjectNameID"] == person.idnat
    assert info["family_name"] == person.family_name
    exercice = info["SubjectRefPro"]["exercices"][0]
    assert exercice["codeProfession"] == person.profession
    assert exercice["activities"][0]["codeModeExercice"] == "L"
    assert all(isinstance(v, str) for v in exercice["activities"][0].values())
