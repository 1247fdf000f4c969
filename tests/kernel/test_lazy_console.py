"""The web console is built on its first request, not at start-up, and never holds the services back."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services import runner
from services.kernel.settings import Settings
from tests.support import free_port


def _settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path, port=free_port(), smtp_port=free_port(), imap_port=free_port())


def test_the_stack_is_healthy_before_the_console_is_built_and_the_first_page_builds_it(
    tmp_path: Path,
) -> None:
    root = runner.create_stack(_settings(tmp_path))
    with TestClient(root) as client:
        assert client.get("/_sim/health").status_code == 200
        assert root.state.console.app is None
        page = client.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        built = root.state.console.app
        assert built is not None
        assert client.get("/traffic").status_code == 200
        assert root.state.console.app is built  # built once


def test_a_console_that_fails_to_start_answers_503_and_is_tried_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    factory = runner.service_factory
    attempts: list[str] = []

    def failing_once(name: str) -> runner.AppFactory:
        if name == runner.CONSOLE and not attempts:
            attempts.append(name)
            raise ImportError("a console module is broken")
        return factory(name)

    monkeypatch.setattr(runner, "service_factory", failing_once)
    root = runner.create_stack(_settings(tmp_path))
    with TestClient(root) as client, caplog.at_level(logging.ERROR, logger="socle"):
        assert client.get("/_sim/health").status_code == 200  # the services do not depend on it
        refused = client.get("/")
        assert refused.status_code == 503 and "console failed to start" in refused.text
        assert "a console module is broken" in refused.text
        assert "a console module is broken" in caplog.text
        assert client.get("/").status_code == 200
