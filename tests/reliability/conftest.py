"""Fixtures and constants of the reliability suite: the bounds of every run, a fresh PostgreSQL database."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support import fresh_postgres_database

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


@pytest.fixture
def database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    with fresh_postgres_database("reliability") as url:
        yield url


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
