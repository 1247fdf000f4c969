"""``socle seed --documents``: bulk documents land in the DMP store, searchable and retrievable."""

from __future__ import annotations

from pathlib import Path

from services.dmp import bulk
from services.kernel.bulk import SeedPlan
from services.kernel.settings import Settings
from tests.dmp.builders import MT_IDNAT, REFERENCE_INS
from tests.dmp.conftest import as_pro, dmp_client
from tests.dmp.helpers import patient_query


def test_seeded_documents_are_served(tmp_path: Path) -> None:
    settings = Settings(service="dmp", data_dir=tmp_path)
    plan = SeedPlan(patients=20, documents=300, seed=3)
    advanced: list[int] = []
    assert bulk.planned(plan) == 300
    assert bulk.seed(settings, plan, advanced.append) == 300
    assert bulk.seed(settings, SeedPlan(patients=20, documents=30, seed=3), advanced.append) == 30
    assert sum(advanced) == 330
    with dmp_client(tmp_path) as dmp:
        found = dmp.get(
            "/fhir/DocumentReference",
            params=patient_query(REFERENCE_INS, _count="100"),
            headers=as_pro(MT_IDNAT),
        )
        assert found.status_code == 200, found.text
        bundle = found.json()
        assert bundle["total"] > 0
        document = bundle["entry"][0]["resource"]
        content = dmp.get(
            document["content"][0]["attachment"]["url"].split("8080", 1)[1], headers=as_pro(MT_IDNAT)
        )
        assert content.status_code == 200
        assert len(content.content) == document["content"][0]["attachment"]["size"]
