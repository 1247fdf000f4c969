"""Fixtures of the compose tests: the test PostgreSQL, and the compose topology run as local processes.

Three deployments, each started once per session: ``split`` is one process per container on SQLite
files; ``scaled`` is two processes per container on PostgreSQL databases, behind a round-robin;
``all_in_one`` is ``socle up`` on one PostgreSQL database. The cross-service flows run on each.
The modules that use them are in the xdist group ``compose``, so one worker starts them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from _pytest.nodeid import NodeId

from tests.compose.cluster import AllInOne, Cluster, empty_postgres_databases, run_cluster
from tests.support import IN_CI, start_stack

HERE = Path(__file__).parent
POSTGRES_ENV = "SOCLE_TEST_POSTGRES_URL"
DEPLOYMENTS = [
    pytest.param("split", id="sqlite-one-each"),
    pytest.param("scaled", id="postgres-two-each", marks=pytest.mark.postgres),
    pytest.param("all_in_one", id="postgres-socle-up", marks=pytest.mark.postgres),
]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make ``xdist_group`` work for this folder under pytest 9 (it does not with pytest-xdist 3.8).

    xdist's ``--dist loadgroup`` appends ``@group`` to the item's nodeid by assigning ``item._nodeid``,
    which pytest 9 no longer reads (the nodeid is ``item._id``); without it both workers start the
    deployments. Same suffix, set where pytest 9 keeps it.
    """
    if not config.getoption("loadgroup", default=False):
        return
    for item in items:
        if HERE not in item.path.parents or "@" in item.nodeid:
            continue
        groups = sorted(
            {
                str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                for m in item.iter_markers("xdist_group")
            }
        )
        if groups:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")  # type: ignore[attr-defined]


def require_postgres(url: str | None) -> str:
    """The test server's URL (``.ci/postgres`` prints it); a skip locally, a failure in CI."""
    if url:
        return url
    if IN_CI:
        pytest.fail(f"{POSTGRES_ENV} is required in CI (.ci/run sets it from .ci/postgres)")
    pytest.skip(f"{POSTGRES_ENV} is not set (run .ci/postgres)")


POSTGRES_URL = os.environ.get(POSTGRES_ENV)
"""Read at collection: the autouse fixture of tests/conftest.py hides SOCLE_* while a test runs."""


@pytest.fixture(scope="session")
def split(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """One local process per compose container, on SQLite files."""
    with run_cluster(tmp_path_factory.mktemp("split")) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def scaled(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[Cluster]:
    """Two instances of every service on PostgreSQL, each name resolving to a round-robin over both."""
    url = require_postgres(POSTGRES_URL)
    workdir = tmp_path_factory.mktemp("scaled")
    with run_cluster(workdir, postgres_url=url, replicas=2, tag=f"scaled_{worker_id}") as cluster:
        yield cluster


@pytest.fixture(scope="session")
def all_in_one(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[AllInOne]:
    url = require_postgres(POSTGRES_URL)
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
