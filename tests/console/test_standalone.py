"""The console run alone (its own process or container) reads a stack by URL, over HTTP only."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx

from services.console.app import create_app
from services.console.models import ConsoleSettings
from tests.support import RunningStack


def console_get(settings: ConsoleSettings, *paths: str) -> list[httpx.Response]:
    """GET ``paths`` from a console app run with its lifespan, in-process."""

    async def scenario() -> list[httpx.Response]:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://console") as client:
                return [await client.get(path) for path in paths]

    return anyio.run(scenario)


def test_a_console_alone_shows_a_running_stack(stack: RunningStack, tmp_path: Path) -> None:
    settings = ConsoleSettings(stack_url=stack.base_url, public_url=stack.base_url, data_dir=tmp_path)
    status, data, traffic = console_get(settings, "/", "/data", "/traffic")
    assert status.status_code == 200
    assert all(name in status.text for name in ("prosanteconnect", "annuaire", "ins", "dmp", "mssante"))
    assert "MARTIN-SOCLE" in data.text
    assert traffic.status_code == 200
    assert (tmp_path / "console.db").exists()


def test_the_status_page_links_the_test_ca_that_mssante_serves(stack: RunningStack) -> None:
    page = httpx.get(f"{stack.base_url}/").text
    assert f'href="{stack.base_url}/mss/api/ca.pem"' in page
    pem = httpx.get(f"{stack.base_url}/mss/api/ca.pem")
    assert pem.status_code == 200 and pem.text.startswith("-----BEGIN CERTIFICATE-----")


def test_a_console_without_a_stack_says_so(tmp_path: Path) -> None:
    [answer] = console_get(ConsoleSettings(data_dir=tmp_path), "/")
    assert answer.status_code == 503 and "SOCLE_STACK_URL" in answer.text
