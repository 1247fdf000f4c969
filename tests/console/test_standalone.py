"""The console run alone (its own process or container) reads a stack by URL, over HTTP only."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from services.console.app import create_app
from services.console.models import ConsoleSettings
from tests.support import RunningStack


def test_a_console_alone_shows_a_running_stack(stack: RunningStack, tmp_path: Path) -> None:
    settings = ConsoleSettings(stack_url=stack.base_url, public_url=stack.base_url, data_dir=tmp_path)
    with TestClient(create_app(settings)) as console:
        status = console.get("/")
        assert status.status_code == 200
        assert all(name in status.text for name in ("prosanteconnect", "annuaire", "ins", "dmp", "mssante"))
        data = console.get("/data")
        assert "MARTIN-SOCLE" in data.text
        assert console.get("/traffic").status_code == 200
    assert (tmp_path / "console.db").exists()


def test_the_status_page_links_the_test_ca_that_mssante_serves(stack: RunningStack) -> None:
    page = httpx.get(f"{stack.base_url}/").text
    assert f'href="{stack.base_url}/mss/api/ca.pem"' in page
    pem = httpx.get(f"{stack.base_url}/mss/api/ca.pem")
    assert pem.status_code == 200 and pem.text.startswith("-----BEGIN CERTIFICATE-----")


def test_a_console_without_a_stack_says_so(tmp_path: Path) -> None:
    with TestClient(create_app(ConsoleSettings(data_dir=tmp_path))) as console:
        answer = console.get("/")
    assert answer.status_code == 503 and "SOCLE_STACK_URL" in answer.text
