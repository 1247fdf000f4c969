"""Fixtures of the INS tests: the INS app alone, in process and behind a real HTTP server.

The FHIR routes need a PSC token or the stack's internal secret; until ``tests/psc_login.py`` can
give a real token, the caller dependency is overridden with a peer service caller (the DMP's view).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.ins.app import create_app
from services.ins.settings import DEFAULT_TEST_IDAM, InsSettings
from services.kernel.tokens import ServiceCaller, require_professional_or_service
from tests.support import free_port

__all__ = ["DEFAULT_TEST_IDAM"]


def ins_app(data_dir: Path, **overrides: object) -> FastAPI:
    app = create_app(InsSettings(service="ins", data_dir=data_dir, **overrides))  # type: ignore[arg-type]
    app.dependency_overrides[require_professional_or_service] = lambda: ServiceCaller("dmp")
    return app


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """An in-process client of a fresh INS app (its lifespan run: tables made, fixtures seeded)."""
    with TestClient(ins_app(tmp_path)) as http:
        yield http


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # the server runs in a thread
        pass


@pytest.fixture(scope="session")
def ins_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of the INS app served alone by uvicorn on a free port (real HTTP for zeep, fhirpy)."""
    port = free_port()
    settings_dir = tmp_path_factory.mktemp("ins-server")
    app = ins_app(settings_dir, port=port)
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(400):
        if server.started:
            break
        threading.Event().wait(0.025)
    else:
        raise RuntimeError("the INS test server did not start")
    yield base
    server.should_exit = True
    thread.join(timeout=10)
