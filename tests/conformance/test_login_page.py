"""The README's tour: on a stack without auto-login the reference client answers PSC's login page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.session import RunOptions, run
from tests.support import RunningStack, start_stack


@pytest.fixture(scope="module")
def interactive_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("interactive"), auto_login=False)
    yield running
    running.stop()


def test_the_teaching_scenario_runs_through_the_login_page(
    interactive_stack: RunningStack, tmp_path: Path
) -> None:
    report = run(
        RunOptions(
            base=interactive_stack.base_url,
            profile="lgc",
            driver="reference",
            scenarios=["parcours", "psc-login"],
            timeout=60,
        )
    )
    failed = [
        f"{c['check']}: {c['message']}" for c in report.checks if c["status"] not in ("pass", "not-tested")
    ]
    assert failed == []
    parcours = next(s for s in report.scenarios if s["id"] == "parcours")
    assert parcours["reported"]["outcome"] == "completed"
    with interactive_stack.client() as client:
        pages = client.get(
            "/_sim/traffic",
            params={
                "path": "/psc/auth/realms/esante-wallet/protocol/openid-connect/auth",
                "status": 200,
                "bodies": "false",
            },
        ).json()
    assert pages["total"] >= 2, (
        "the login page was never shown: the test would not prove the form is answered"
    )
