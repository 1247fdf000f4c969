"""The compose file and the image, checked without a Docker engine.

The compose file is validated against the Compose Specification's own JSON schema (the copy in this
folder, see SOURCE.md), after interpolation as Compose does; then the facts the schema cannot know:
every setting a container is given is one socle reads, every service reaches every peer with the
same secret, each has its own database, the gateway routes each prefix to the right container.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from services.kernel.settings import SERVICE_PREFIXES, Settings
from tests.compose.composefile import (
    ROOT,
    WiringError,
    environment_of,
    init_databases,
    interpolate,
    load_compose,
)

HERE = Path(__file__).parent
SCHEMA = json.loads((HERE / "compose-spec.json").read_text())
GATEWAY_TEMPLATE = ROOT / "deploy" / "gateway" / "socle.conf.template"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return load_compose({})


def schema_errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(document)
    ]


def socle_containers(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in document["services"].items()
        if (service.get("command") or [None])[0] == "serve"
    }


def test_compose_file_is_valid_against_the_compose_specification(document: dict[str, Any]) -> None:
    assert schema_errors(document) == []


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("services", "dmp", "depends_on", "ins", "condition"), "service_ready"),
        (("services", "dmp", "healthcheck", "interval"), 5),
        (("services", "dmp", "restart_policy"), "always"),
        (("volumes", "dmp-data"), "a string"),
    ],
)
def test_the_schema_refuses_a_broken_compose_file(
    document: dict[str, Any], path: tuple[str, ...], value: object
) -> None:
    broken = copy.deepcopy(document)
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    assert schema_errors(broken), f"the schema accepted {'/'.join(path)} = {value!r}"


def test_interpolation_follows_compose_rules() -> None:
    assert interpolate("${A:-x}/${B-y}/${C:-z}/$$A/$A", {"A": "a", "C": ""}) == "a/y/z/$A/a"
    assert interpolate("${A-x}${B:+set}", {"A": "", "B": "1"}) == "set"
    with pytest.raises(WiringError):
        interpolate("${NEEDED:?set it}", {})


def test_one_container_per_service_each_with_its_prefix(document: dict[str, Any]) -> None:
    containers = socle_containers(document)
    assert {service["command"][1] for service in containers.values()} == set(SERVICE_PREFIXES)
    for name, service in containers.items():
        assert service["command"] == ["serve", name]
        assert environment_of(service)["SOCLE_MOUNT"] == SERVICE_PREFIXES[name]


def test_every_setting_given_to_a_container_is_one_socle_reads(document: dict[str, Any]) -> None:
    known = {f"SOCLE_{field.upper()}" for field in Settings.model_fields}
    for name, service in [
        *socle_containers(document).items(),
        ("all-in-one", document["services"]["all-in-one"]),
    ]:
        unknown = set(environment_of(service)) - known
        assert not unknown, f"{name}: socle has no setting {sorted(unknown)}"


def test_peers_share_one_secret_and_reach_every_service(document: dict[str, Any]) -> None:
    environments = [environment_of(service) for service in socle_containers(document).values()]
    secrets = {env["SOCLE_INTERNAL_TOKEN"] for env in environments}
    assert len(secrets) == 1 and all(secrets)
    for env in environments:
        for peer in SERVICE_PREFIXES:
            assert env[f"SOCLE_{peer.upper()}_URL"] == f"http://{peer}:8080"
        assert env["SOCLE_PUBLIC_URL"] == "http://localhost:8080"


def test_each_service_has_its_own_database_and_all_share_the_traffic_record(document: dict[str, Any]) -> None:
    environments = [environment_of(service) for service in socle_containers(document).values()]
    databases = [env["SOCLE_DATABASE_URL"].rsplit("/", 1)[1] for env in environments]
    assert len(set(databases)) == len(databases)
    traffic = {env["SOCLE_TRAFFIC_DATABASE_URL"] for env in environments}
    assert len(traffic) == 1
    assert {*databases, next(iter(traffic)).rsplit("/", 1)[1]} == init_databases()


def test_containers_start_after_their_dependencies_are_healthy(document: dict[str, Any]) -> None:
    services = document["services"]
    for name in socle_containers(document):
        dependencies = services[name]["depends_on"]
        assert "postgres" in dependencies
        for dependency, rule in dependencies.items():
            assert rule["condition"] == "service_healthy", f"{name} -> {dependency}"
            assert "healthcheck" in services[dependency]
        assert services[name]["healthcheck"]["test"] == ["CMD", "socle-healthcheck"]


def test_mssante_publishes_the_ports_it_listens_on(document: dict[str, Any]) -> None:
    service = document["services"]["mssante"]
    env = environment_of(service)
    published = {port.rsplit(":", 1)[1]: port.split(":")[0] for port in service["ports"]}
    assert published == {env["SOCLE_SMTP_PORT"]: "2525", env["SOCLE_IMAP_PORT"]: "1143"}


def test_the_all_in_one_profile_runs_socle_up_behind_one_http_port(document: dict[str, Any]) -> None:
    service = document["services"]["all-in-one"]
    assert service["profiles"] == ["all-in-one"]
    assert service["command"] == ["up"]
    http = [port for port in service["ports"] if port.endswith(":8080")]
    assert http == ["8080:8080"]
    assert "all-in-one" not in str(document["services"]["gateway"])


def test_every_volume_is_a_declared_named_volume(document: dict[str, Any]) -> None:
    declared = set(document["volumes"])
    used = set()
    for service in document["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith("./"):
                used.add(source)
            else:
                assert (ROOT / source).exists(), f"bind mount of a missing file {source}"
    assert used == declared


def test_the_gateway_routes_each_prefix_to_its_service(document: dict[str, Any]) -> None:
    gateway = environment_of(document["services"]["gateway"])
    routes = dict(
        re.findall(r"location (/\w+)/ \{ proxy_pass \$\{(\w+)\}/; \}", GATEWAY_TEMPLATE.read_text())
    )
    assert routes == {prefix: f"SOCLE_{name.upper()}_URL" for name, prefix in SERVICE_PREFIXES.items()}
    for name in SERVICE_PREFIXES:
        assert gateway[f"SOCLE_{name.upper()}_URL"] == f"http://{name}:8080"
    assert set(document["services"]["gateway"]["depends_on"]) == set(SERVICE_PREFIXES)
