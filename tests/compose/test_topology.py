"""The compose topology run as local processes: each container's command and environment, its healthcheck.

If a name, port, prefix or setting in ``docker-compose.yml`` were wrong, a service would not start,
would not be healthy, or would announce the wrong public base; the gateway template is run with
Debian's nginx exactly as the nginx image renders it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from services.kernel.settings import PSC_REALM_PATH, SERVICE_PREFIXES
from tests.compose.cluster import HEALTHCHECK, Cluster, eventually
from tests.compose.composefile import LocalView
from tests.compose.nginx import run_nginx
from tests.support import free_port, require_tool

pytestmark = pytest.mark.xdist_group("compose")


def test_every_container_is_healthy_and_knows_its_public_base(split: Cluster) -> None:
    assert set(split.instances) == set(SERVICE_PREFIXES)
    for name, (instance,) in split.instances.items():
        check = instance.healthcheck()
        assert check.returncode == 0, check.stdout
        health = json.loads(check.stdout)
        assert health["status"] == "ready"
        assert (
            health["services"][name]["components"]["app"]["url"] == split.public_url + SERVICE_PREFIXES[name]
        )


def test_the_healthcheck_fails_when_the_service_does_not_answer() -> None:
    port = free_port()
    check = subprocess.run(
        [sys.executable, str(HEALTHCHECK)], env={"SOCLE_PORT": str(port)}, capture_output=True, text=True
    )
    assert check.returncode == 1
    assert f"127.0.0.1:{port}/_sim/health" in check.stdout


def test_the_issuer_behind_the_gateway_is_the_one_of_socle_up(split: Cluster) -> None:
    issuer = split.public_url + "/psc" + PSC_REALM_PATH
    discovery = httpx.get(issuer + "/.well-known/openid-configuration", timeout=10)
    assert discovery.status_code == 200
    body = discovery.json()
    assert body["issuer"] == issuer
    assert body["token_endpoint"].startswith(issuer + "/protocol/openid-connect/")


def test_every_container_records_traffic_in_one_place(split: Cluster) -> None:
    for name, prefix in SERVICE_PREFIXES.items():
        assert httpx.get(f"{split.public_url}{prefix}/_sim/health", timeout=10).status_code == 200, name

    def services_seen() -> set[str]:
        seen = httpx.get(split.first("dmp").url + "/_sim/traffic", params={"limit": 5000}, timeout=10)
        assert seen.status_code == 200
        # each container records its public path (mount prefix included), as socle up does
        return {
            exchange["service"]
            for exchange in seen.json()["exchanges"]
            if exchange["path"] == SERVICE_PREFIXES[exchange["service"]] + "/_sim/health"
        }

    assert eventually(lambda: services_seen() >= set(SERVICE_PREFIXES))


def test_the_nginx_gateway_template_routes_the_contract_paths(split: Cluster, tmp_path: Path) -> None:
    nginx = require_tool("nginx")
    port = free_port()
    view = LocalView({name: split.first(name).url for name in split.instances}, {})
    environ = view.environment(split.document, "gateway", {"SOCLE_GATEWAY_PORT": str(port)})
    with run_nginx(nginx, tmp_path / "nginx", environ, port) as url:
        for name, prefix in SERVICE_PREFIXES.items():
            health = httpx.get(f"{url}{prefix}/_sim/health", timeout=10)
            assert health.status_code == 200
            assert set(health.json()["services"]) == {name}
        fixtures = httpx.get(f"{url}/_sim/fixtures", timeout=10)
        assert fixtures.status_code == 200 and fixtures.json()["clients"][0]["client_id"] == "socle-demo"
        traffic = httpx.get(f"{url}/_sim/traffic", params={"service": "dmp", "limit": 5}, timeout=10)
        assert traffic.status_code == 200 and traffic.json()["total"] >= 1
        assert httpx.get(f"{url}/nowhere", timeout=10).status_code == 404
