"""A container whose database or peer cannot be reached never serves half-initialised, and says why.

Compose restarts a container that exits (``restart: unless-stopped``) and keeps an unhealthy one out of
its dependents' way (``service_healthy``); what is checked here is the process's side of that bargain.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from services.kernel.settings import SERVICE_PREFIXES
from tests.compose.cluster import spawn, wait_healthy
from tests.compose.composefile import LocalView, load_compose
from tests.support import free_port


def test_an_unreachable_database_keeps_the_service_unhealthy_with_the_reason(tmp_path: Path) -> None:
    document = load_compose({})
    closed = free_port()
    unreachable = f"postgresql://socle:socle@127.0.0.1:{closed}"
    nowhere = {name: f"http://127.0.0.1:{closed}" for name in SERVICE_PREFIXES}
    view = LocalView(nowhere, {name: f"{unreachable}/{name}" for name in ("socle_ins", "socle_traffic")})
    port = free_port()
    env = view.environment(
        document, "ins", {"SOCLE_HOST": "127.0.0.1", "SOCLE_PORT": str(port), "SOCLE_DATA_DIR": "."}
    )
    instance = spawn(document, "ins", 0, env, tmp_path)
    try:
        deadline = time.monotonic() + 60
        reason = ""
        while time.monotonic() < deadline and not reason:
            try:
                health = httpx.get(instance.url + "/_sim/health", timeout=2)
                assert health.status_code != 200, "served with no database"
                reason = health.text
            except httpx.TransportError:
                if instance.process.poll() is not None:
                    assert instance.process.returncode != 0
                    reason = instance.log()
            time.sleep(0.1)
        assert str(closed) in reason and "refused" in reason.lower(), reason[-3000:]
        assert instance.healthcheck().returncode == 1
    finally:
        instance.stop()


def test_an_unreachable_peer_is_a_503_that_names_it(tmp_path: Path) -> None:
    document = load_compose({})
    closed = free_port()
    nowhere = {name: f"http://127.0.0.1:{closed}" for name in SERVICE_PREFIXES}
    view = LocalView(
        nowhere, {name: f"sqlite:///{tmp_path / name}.db" for name in ("socle_dmp", "socle_traffic")}
    )
    port = free_port()
    env = view.environment(
        document, "dmp", {"SOCLE_HOST": "127.0.0.1", "SOCLE_PORT": str(port), "SOCLE_DATA_DIR": "."}
    )
    instance = spawn(document, "dmp", 0, env, tmp_path)
    try:
        wait_healthy([instance])
        search = httpx.get(
            instance.url + "/fhir/DocumentReference",
            params={"patient.identifier": "urn:oid:1.2.250.1.213.1.4.8|297022A02077878", "status": "current"},
            headers={"Authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln"},
            timeout=30,
        )
        assert search.status_code == 503
        outcome = search.json()
        assert outcome["resourceType"] == "OperationOutcome"
        assert "Pro Santé Connect" in outcome["issue"][0]["diagnostics"]
    finally:
        instance.stop()
