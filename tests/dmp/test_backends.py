"""The document store on both backends: SQLite, and PostgreSQL when ``SOCLE_TEST_POSTGRES_URL`` is set
(``.ci/postgres``). Publish, replace, search, mask, delete, history, bulk seed and reset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.dmp import bulk
from services.kernel.bulk import SeedPlan
from services.kernel.settings import Settings
from tests.dmp.builders import MT_IDNAT, OTHER_IDNAT, REFERENCE_INS, TRE_A07, bundle
from tests.dmp.conftest import as_pro, dmp_client
from tests.dmp.helpers import JSON_PATCH, ids, json_patch, location_id, patient_query
from tests.support import fresh_postgres_database

THIRD_IDNAT = "810000000090"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    with fresh_postgres_database("dmp") as url:
        yield url


def test_store_cycle(tmp_path: Path, database_url: str | None) -> None:
    settings = Settings(service="dmp", data_dir=tmp_path, database_url=database_url)
    assert bulk.seed(settings, SeedPlan(patients=5, documents=50, seed=1), lambda _n: None) == 50
    with dmp_client(tmp_path, database_url) as dmp:
        seeded = dmp.get(
            "/fhir/DocumentReference", params=patient_query(_count="100"), headers=as_pro(MT_IDNAT)
        ).json()
        before = seeded["total"]
        old = location_id(dmp.post("/fhir", json=bundle(author=OTHER_IDNAT), headers=as_pro(OTHER_IDNAT)), 1)
        new = location_id(
            dmp.post("/fhir", json=bundle(author=OTHER_IDNAT, replaces=old), headers=as_pro(OTHER_IDNAT)), 1
        )
        assert ids(
            dmp.get(
                "/fhir/DocumentReference", params=patient_query(status="superseded"), headers=as_pro(MT_IDNAT)
            ).json()
        ) == [old]
        masked = dmp.patch(
            f"/fhir/DocumentReference/{new}",
            json=json_patch("/securityLabel/0", {"system": TRE_A07, "code": "MASQUE_PS"}),
            headers={**as_pro(OTHER_IDNAT), **JSON_PATCH},
        )
        assert masked.status_code == 200, masked.text
        third = dmp.get(
            "/fhir/DocumentReference", params=patient_query(_count="100"), headers=as_pro(THIRD_IDNAT)
        ).json()
        assert new not in ids(third)
        deleted = dmp.patch(
            f"/fhir/DocumentReference/{new}",
            json=json_patch("/status", "entered-in-error"),
            headers={**as_pro(OTHER_IDNAT), **JSON_PATCH},
        )
        assert deleted.status_code == 200
        after = dmp.get(
            "/fhir/DocumentReference", params=patient_query(_count="100"), headers=as_pro(MT_IDNAT)
        ).json()
        assert after["total"] == before
        history = dmp.get("/fhir/AuditEvent", params={"patient": REFERENCE_INS}).json()
        assert {"ITI-65", "ITI-67", "PATCH"} <= {
            e["resource"]["subtype"][0]["code"] for e in history["entry"]
        }
        assert dmp.post("/_sim/reset", json={"services": ["dmp"]}).status_code == 200
        assert (
            dmp.get("/fhir/DocumentReference", params=patient_query(), headers=as_pro(MT_IDNAT)).json()[
                "total"
            ]
            == 0
        )
