"""The identity base on both backends: SQLite, and PostgreSQL when ``SOCLE_TEST_POSTGRES_URL`` is set
(``.ci/postgres``). Bulk seeding, the FHIR search and ``$match``, the SOAP façade, reset."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from services.ins import bulk
from services.ins.app import create_app
from services.ins.settings import InsSettings
from services.kernel.bulk import SeedPlan
from services.kernel.peers import INTERNAL_HEADER
from services.kernel.synthetic import people
from tests.support import IN_CI

from .soap_messages import envelope, traits

POSTGRES_ENV = "SOCLE_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_url() -> str | None:
    """Read before the autouse fixture of tests/conftest.py hides SOCLE_* inside each test."""
    return os.environ.get(POSTGRES_ENV)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str | None
) -> Iterator[InsSettings]:
    if request.param == "sqlite":
        yield InsSettings(service="ins", data_dir=tmp_path)
        return
    if not postgres_url:
        if IN_CI:
            pytest.fail(f"{POSTGRES_ENV} is required in CI")
        pytest.skip(f"{POSTGRES_ENV} is not set (run .ci/postgres)")
    name = f"ins_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        postgres_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield InsSettings(
            service="ins", data_dir=tmp_path, database_url=postgres_url.rsplit("/", 1)[0] + "/" + name
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_seed_search_match_soap_and_reset(settings: InsSettings) -> None:
    assert bulk.seed(settings, SeedPlan(patients=400, seed=9), lambda _n: None) == 400
    someone = next(people(1, seed=9, start=123))
    with TestClient(create_app(settings)) as client:
        secret = {INTERNAL_HEADER: client.app.state.runtime.internal_token}  # type: ignore[attr-defined]
        found = client.get("/fhir/Patient", params={"identifier": someone.ins}, headers=secret).json()
        assert found["entry"][0]["resource"]["birthDate"] == someone.birth_date
        patient = {
            "resourceType": "Patient",
            "name": [{"family": someone.birth_name, "given": [someone.first_names.split()[0]]}],
            "gender": {"M": "male", "F": "female"}[someone.sex],
            "birthDate": someone.birth_date,
        }
        parameters = {"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": patient}]}
        matched = client.post("/fhir/Patient/$match", json=parameters, headers=secret).json()
        assert [e["resource"]["id"] for e in matched["entry"]] == [someone.ins]
        soap = client.post(
            "/insi", content=envelope(body=traits(name="CORSE", first="ANTHONY", sex="M", date="1980-03-02"))
        )
        assert b"<NumIdentifiant>180032B020401</NumIdentifiant>" in soap.content
        assert client.post("/_sim/reset").status_code == 200
        assert (
            client.get("/fhir/Patient", params={"identifier": someone.ins}, headers=secret).json()["total"]
            == 1
        )
    with TestClient(create_app(settings)) as restarted:
        secret = {INTERNAL_HEADER: restarted.app.state.runtime.internal_token}  # type: ignore[attr-defined]
        again = restarted.get("/fhir/Patient", params={"family": "CORSE"}, headers=secret).json()
        assert again["total"] == 1
