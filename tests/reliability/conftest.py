"""Fixtures and constants of the reliability suite: the bounds of every run, a fresh PostgreSQL database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from tests.support import IN_CI

LONG = os.environ.get("SOCLE_LONG") == "1"
"""``SOCLE_LONG=1`` runs the large fuzzing, crash and load runs (marker ``slow``)."""

MT_IDNAT = "810000000017"
"""The first test professional: médecin généraliste, médecin traitant of the reference patient."""
OTHER_IDNAT = "810000000025"
"""A cardiologist; the reference patient has not blocked him."""
THIRD_IDNAT = "810000000090"
REFERENCE_INS = "297022A02077878"
INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if LONG:
        return
    skip = pytest.mark.skip(reason="long run: set SOCLE_LONG=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def postgres_url() -> str | None:
    """Read before the autouse fixture of tests/conftest.py hides SOCLE_* inside each test."""
    return os.environ.get("SOCLE_TEST_POSTGRES_URL")


@pytest.fixture
def database_url(postgres_url: str | None) -> Iterator[str]:
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    if not postgres_url:
        if IN_CI:
            pytest.fail("SOCLE_TEST_POSTGRES_URL is required in CI")
        pytest.skip("SOCLE_TEST_POSTGRES_URL is not set (run .ci/postgres)")
    name = f"reliability_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        postgres_url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
