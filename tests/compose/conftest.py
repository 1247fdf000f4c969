"""Fixtures of the compose tests: the test PostgreSQL, and the compose topology run as local processes.

Three deployments, each started once per session: ``split`` is one process per container on SQLite
files; ``scaled`` is two processes per container on PostgreSQL databases, behind a round-robin;
``all_in_one`` is ``socle up`` on one PostgreSQL database. The cross-service flows run on each.
The modules that use them are in the xdist group ``compose``, so one worker starts them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.compose.cluster import AllInOne, Cluster, empty_postgres_databases, run_cluster
from tests.support import require_postgres, start_stack

DEPLOYMENTS = [
    pytest.param("split", id="sqlite-one-each"),
    pytest.param("scaled", id="postgres-two-each", marks=pytest.mark.postgres),
    pytest.param("all_in_one", id="postgres-socle-up", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session")
def split(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One local process per compose container, on SQLite files."""
    with run_cluster(tmp_path_factory.mktemp("split")) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def scaled(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Cluster]:
    """Two instances of every service on PostgreSQL, each name resolving to a round-robin over both."""
    url = require_postgres()
    workdir = tmp_path_factory.mktemp("scaled")
    with run_cluster(workdir, postgres_url=url, replicas=2, tag=f"scaled_{worker_id}") as cluster:
        yield cluster


@pytest.fixture(scope="session")
def all_in_one(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[AllInOne]:
    url = require_postgres()
    database = f"{url.rsplit('/', 1)[0]}/socle_up_{worker_id}"
    empty_postgres_databases(url, [database])
    stack = start_stack(tmp_path_factory.mktemp("up-postgres"), extra_args=("--database-url", database))
    try:
        yield AllInOne(stack, database)
    finally:
        stack.stop()


@pytest.fixture(params=DEPLOYMENTS)
def deployment(request: pytest.FixtureRequest) -> Cluster | AllInOne:
    """Where the flows run: the compose topology (one or two instances each) or ``socle up``."""
    target: Cluster | AllInOne = request.getfixturevalue(request.param)
    return target
