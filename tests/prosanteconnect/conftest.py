from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from .helpers import start


@pytest.fixture(scope="module")
def psc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A standalone PSC app with ``--psc-auto-login``."""
    with start(tmp_path_factory.mktemp("psc"), auto_login=True) as client:
        yield client


@pytest.fixture(scope="module")
def psc_interactive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A standalone PSC app that shows its login page."""
    with start(tmp_path_factory.mktemp("psc-ui"), auto_login=False) as client:
        yield client
