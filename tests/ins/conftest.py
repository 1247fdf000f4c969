"""Fixtures of the INS tests: the INS app alone, in process.

Tests through real clients (zeep, fhirpy, a real PSC token) use the shared ``stack``; the in-process
app overrides the caller check with a peer service (the DMP's view) to test the rules alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.ins.app import create_app
from services.ins.settings import DEFAULT_TEST_IDAM, InsSettings
from services.kernel.tokens import ServiceCaller, require_professional_or_service

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
