"""The directory run alone (``socle serve annuaire``), in process: bulk seed, default pages, API keys, reset."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from services.annuaire import bulk
from services.annuaire.app import create_app, open_database
from services.kernel.bulk import SeedPlan
from services.kernel.fhir import parse_resource
from services.kernel.settings import Settings
from tests.support import IN_CI

BULK = 60
FIXED = 14
"""Practitioners of the fixed directory: the 13 fixture professionals and a retired one."""


POSTGRES_ENV = "SOCLE_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A fresh database on the test server for this session, or None when none is configured.

    Read before the autouse fixture of tests/conftest.py hides SOCLE_* inside each test.
    """
    admin_url = os.environ.get(POSTGRES_ENV)
    if not admin_url:
        yield None
        return
    name = f"annuaire_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        admin_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.rsplit("/", 1)[0] + "/" + name
    drop_database(admin, name)
    admin.dispose()


def drop_database(admin: Engine, name: str) -> None:
    """Drop the test database; autovacuum (a superuser process our role cannot end) may hold it a moment."""
    for _ in range(40):
        try:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            return
        except DBAPIError:
            time.sleep(0.25)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str | None) -> Settings:
    """The directory alone on SQLite, and on PostgreSQL (emptied first) when a test server is configured."""
    if request.param == "sqlite":
        return Settings(service="annuaire", data_dir=tmp_path, annuaire_api_keys=["good-key"])
    if not postgres_url:
        if IN_CI:
            pytest.fail(f"{POSTGRES_ENV} is required in CI")
        pytest.skip(f"{POSTGRES_ENV} is not set (run .ci/postgres)")
    settings = Settings(
        service="annuaire", data_dir=tmp_path, database_url=postgres_url, annuaire_api_keys=["good-key"]
    )
    database = open_database(settings)
    database.clear()
    database.dispose()
    return settings


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    advanced: list[int] = []
    assert bulk.seed(settings, SeedPlan(professionals=BULK, seed=7), advanced.append) == 2 * BULK
    assert sum(advanced) == BULK == bulk.planned(SeedPlan(professionals=BULK))
    with TestClient(create_app(settings), headers={"ESANTE-API-KEY": "good-key"}) as test_client:
        yield test_client


def walk(client: TestClient, url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every page of a search: (bundles, matched resources)."""
    bundles, matches = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.text
        bundle = response.json()
        bundles.append(bundle)
        matches += [e["resource"] for e in bundle.get("entry", []) if e["search"]["mode"] == "match"]
        url = next((link["url"] for link in bundle["link"] if link["relation"] == "next"), "")
        url = url.removeprefix("http://127.0.0.1:8080")
    return bundles, matches


def test_pages_of_fifty_with_total_first_and_no_repeat(client: TestClient) -> None:
    bundles, matches = walk(client, "/fhir/v2/Practitioner")
    total = FIXED + BULK
    assert bundles[0]["total"] == total
    assert [len(b.get("entry", [])) for b in bundles] == [50, total - 50]
    assert "total" not in bundles[1]
    assert len({m["id"] for m in matches}) == total
    next_link = bundles[0]["link"][1]["url"]
    assert "/fhir/v2?_getpages=" in next_link and "&_pageId=" in next_link


def test_bulk_professionals_have_mailboxes_and_valid_resources(
    client: TestClient, settings: Settings
) -> None:
    _, bulk_ones = walk(
        client, f"/fhir/v2/Practitioner?mailbox-mss:contains=@{settings.mss_domain}&_count=500"
    )
    assert len(bulk_ones) == 13 + BULK
    for resource in bulk_ones:
        parse_resource(resource, "Practitioner")
    address = next(t["value"] for t in bulk_ones[-1]["telecom"])
    response = client.get("/fhir/v2/PractitionerRole", params={"mailbox-mss": address})
    assert response.json()["total"] == 1
    rpps = next(
        i["value"] for i in bulk_ones[-1]["identifier"] if i["system"] == "https://rpps.esante.gouv.fr"
    )
    chained = client.get("/fhir/v2/PractitionerRole", params={"practitioner.identifier": rpps, "family": "x"})
    assert chained.status_code == 400  # family is not a PractitionerRole parameter
    chained = client.get("/fhir/v2/PractitionerRole", params={"practitioner.identifier": rpps})
    assert (
        chained.json()["entry"][0]["resource"]["practitioner"]["reference"]
        == f"Practitioner/{bulk_ones[-1]['id']}"
    )


def test_seeding_again_with_the_same_seed_replaces_the_same_people(
    client: TestClient, settings: Settings
) -> None:
    before = client.get("/fhir/v2/Practitioner", params={"_count": 500}).json()["entry"]
    assert bulk.seed(settings, SeedPlan(professionals=BULK, seed=7), lambda _: None) == 2 * BULK
    after = client.get("/fhir/v2/Practitioner", params={"_count": 500}).json()["entry"]
    assert [e["resource"]["id"] for e in after] == [e["resource"]["id"] for e in before]


def test_configured_keys_restrict_access(client: TestClient) -> None:
    for key in ("", "other-key"):
        response = client.get("/fhir/v2/Organization", headers={"ESANTE-API-KEY": key})
        assert response.status_code == 401
        assert response.json()["resourceType"] == "OperationOutcome"
    token = client.app.state.runtime.internal_token  # type: ignore[attr-defined]
    internal = {"ESANTE-API-KEY": "socle-internal", "X-Socle-Internal": token}
    assert client.get("/fhir/v2/Organization", headers=internal).status_code == 200
    forged = {"ESANTE-API-KEY": "socle-internal", "X-Socle-Internal": "guess"}
    assert client.get("/fhir/v2/Organization", headers=forged).status_code == 401


def test_reset_restores_the_fixed_directory(client: TestClient) -> None:
    assert client.get("/fhir/v2/Practitioner", params={"_summary": "count"}).json()["total"] == FIXED + BULK
    assert client.post("/_sim/reset", json={"services": ["annuaire"]}).status_code == 200
    response = client.get("/fhir/v2/Practitioner", params={"_summary": "count"})
    assert response.json()["total"] == FIXED
    assert "entry" not in response.json()
