"""Readiness is honest: a service whose start-up failed keeps the stack at 503 and says why."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel

from services.kernel import service
from services.kernel.service import service_app
from services.kernel.settings import Settings


@asynccontextmanager
async def broken(_: FastAPI) -> AsyncIterator[None]:
    raise RuntimeError("database unreachable")
    yield


def test_a_failed_start_is_reported_with_its_reason_and_routes_answer_503(tmp_path: Path) -> None:
    app = service_app(
        "dmp", Settings(service="dmp", data_dir=tmp_path), title="t", error_format="fhir", lifespan=broken
    )

    @app.get("/fhir/metadata")
    async def metadata() -> dict[str, str]:
        return {"resourceType": "CapabilityStatement"}

    with TestClient(app) as client:
        health = client.get("/_sim/health")
        assert health.status_code == 503
        component = health.json()["services"]["dmp"]["components"]["app"]
        assert component["status"] == "failed" and "database unreachable" in component["detail"]
        refused = client.get("/fhir/metadata")
        assert refused.status_code == 503
        assert "database unreachable" in refused.json()["issue"][0]["diagnostics"]


def test_a_failed_start_is_retried_until_it_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "RETRY_FIRST_SECONDS", 0.05)
    attempts: list[int] = []

    @asynccontextmanager
    async def flaky(_: FastAPI) -> AsyncIterator[None]:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("peer down")
        yield

    app = service_app(
        "ins", Settings(service="ins", data_dir=tmp_path), title="t", error_format="fhir", lifespan=flaky
    )
    with TestClient(app) as client:
        deadline = time.monotonic() + 10
        while client.get("/_sim/health").status_code != 200:
            assert time.monotonic() < deadline, "never recovered"
            time.sleep(0.02)
    assert len(attempts) == 3


def test_a_standalone_service_is_ready_after_its_lifespan(tmp_path: Path) -> None:
    app = service_app("ins", Settings(service="ins", data_dir=tmp_path), title="t", error_format="fhir")
    assert not app.state.readiness.ready
    with TestClient(app) as client:
        health = client.get("/_sim/health")
        assert health.status_code == 200
        assert health.json()["services"]["ins"]["status"] == "ready"


def test_a_streamed_body_over_the_limit_is_cut_off_while_read(tmp_path: Path) -> None:
    app = service_app(
        "dmp", Settings(service="dmp", data_dir=tmp_path), title="t", error_format="fhir", max_body_bytes=1024
    )

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    def chunks() -> Iterator[bytes]:
        for _ in range(4):
            yield b"x" * 512

    with TestClient(app) as client:
        assert client.post("/echo", content=b"x" * 1000).json() == {"size": 1000}
        response = client.post("/echo", content=chunks())
        assert response.status_code == 413
        assert response.json()["issue"][0]["code"] == "too-long"


class Message(BaseModel):
    text: str


def test_a_streamed_body_over_the_limit_is_a_413_even_on_a_route_with_a_body_model(tmp_path: Path) -> None:
    app = service_app(
        "mssante",
        Settings(service="mssante", data_dir=tmp_path),
        title="t",
        error_format="json",
        max_body_bytes=1024,
    )

    @app.post("/send")
    async def send(message: Message) -> dict[str, int]:
        return {"size": len(message.text)}

    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(4):
            yield b"x" * 512
        yield b'"}'

    with TestClient(app) as client:
        assert client.post("/send", json={"text": "short"}).json() == {"size": 5}
        response = client.post("/send", content=chunks(), headers={"content-type": "application/json"})
        assert response.status_code == 413
        assert response.json()["error"] == "payload-too-large"
