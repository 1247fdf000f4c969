from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.kernel.settings import Settings
from services.prosanteconnect.app import create_app


def start(data_dir: Path, *, auto_login: bool) -> TestClient:
    settings = Settings(
        service="prosanteconnect",
        data_dir=data_dir,
        psc_auto_login=auto_login,
        public_url="http://testserver",
    )
    return TestClient(create_app(settings), base_url="http://testserver", follow_redirects=False)


@pytest.fixture(scope="module")
def psc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A standalone PSC app with ``--psc-auto-login`` ."""
    with start(tmp_path_factory.mktemp("psc"), auto_login=True) as client:
        yield client


@pytest.fixture(scope="module")
def psc_interactive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A standalone PSC app that shows its login page."""
    with start(tmp_path_factory.mktemp("psc-ui"), auto_login=False) as client:
        yield client
