"""Fixtures of the compose tests: the test PostgreSQL, and the compose topology run as local processes."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.compose.cluster import Cluster, run_cluster
from tests.support import IN_CI

POSTGRES_ENV = "SOCLE_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def require_postgres(url: str | None) -> str:
    """The test server's URL (``.ci/postgres`` prints it); a skip locally, a failure in CI."""
    if url:
        return url
    if IN_CI:
        pytest.fail(f"{POSTGRES_ENV} is required in CI (.ci/run sets it from .ci/postgres)")
    pytest.skip(f"{POSTGRES_ENV} is not set (run .ci/postgres)")


@pytest.fixture(scope="session")
def postgres_env() -> str | None:
    """Read once per session: the autouse fixture of tests/conftest.py hides SOCLE_* inside each test."""
    return os.environ.get(POSTGRES_ENV)


@pytest.fixture(scope="module", params=BACKENDS)
def split(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, postgres_env: str | None
) -> Iterator[Cluster]:
    """One local process per compose container, on SQLite files or on fresh PostgreSQL databases."""
    url = require_postgres(postgres_env) if request.param == "postgres" else None
    with run_cluster(tmp_path_factory.mktemp(f"split-{request.param}"), postgres_url=url) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory, postgres_env: str | None) -> Iterator[Cluster]:
    """Two instances of every service on one PostgreSQL, each name resolving to a round-robin over both."""
    url = require_postgres(postgres_env)
    with run_cluster(tmp_path_factory.mktemp("scaled"), postgres_url=url, replicas=2) as cluster:
        yield cluster
