from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support import RunningStack, start_stack


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
