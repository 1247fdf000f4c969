from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from _pytest.nodeid import NodeId
from hypothesis import settings

from tests.support import RunningStack, start_stack

settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true" and not os.environ.get("SOCLE_LONG"):
    # CI replays the same examples on every run, so a red build is the change's doing; local runs and
    # the long run (SOCLE_LONG=1) keep drawing new ones, which is how the property tests find bugs
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test depends on the developer's SOCLE_* variables."""
    for name in list(os.environ):
        if name.startswith("SOCLE_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """One real ``socle up --psc-auto-login`` process shared by a test session (per xdist worker)."""
    running = start_stack(tmp_path_factory.mktemp("stack"))
    yield running
    running.stop()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make ``xdist_group`` work under pytest 9 with pytest-xdist 3.8.

    ``--dist loadgroup`` appends ``@group`` to the nodeid through ``item._nodeid``, which pytest 9 no
    longer reads (it keeps the nodeid in ``item._id``): without this, grouped tests that share an
    expensive module fixture (a second stack, a browser) are spread over both workers.
    """
    if not config.getoption("loadgroup", default=False):
        return
    for item in items:
        if "@" in item.nodeid:
            continue
        groups = sorted(
            {
                str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                for m in item.iter_markers("xdist_group")
            }
        )
        if groups:
            item._id = NodeId.parse(f"{item.nodeid}@{'_'.join(groups)}")  # type: ignore[attr-defined]
