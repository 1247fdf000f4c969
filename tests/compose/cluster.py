"""Run the compose topology as local processes: each container becomes ``python -m services serve SVC``.

The environment each process gets is the container's, read from ``docker-compose.yml`` and translated by
:class:`LocalView` (compose host names become local addresses, the ``postgres`` databases become fresh
databases of the test server or SQLite files). Start order follows ``depends_on``; a service is
waited for with the compose healthcheck itself (``deploy/healthcheck.py``), as ``service_healthy``
does. With ``replicas=2`` every service runs twice and its name resolves to a round-robin gateway
over both, as Docker's DNS does with ``--scale``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.compose.composefile import ROOT, LocalView, init_databases, load_compose
from tests.compose.gateway import RoundRobinGateway
from tests.support import RunningStack, free_port

HEALTHCHECK = ROOT / "deploy" / "healthcheck.py"
START_TIMEOUT = 90.0


@dataclass
class Instance:
    service: str
    index: int
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def smtp_port(self) -> int:
        return int(self.env["SOCLE_SMTP_PORT"])

    @property
    def imap_port(self) -> int:
        return int(self.env["SOCLE_IMAP_PORT"])

    def healthcheck(self) -> subprocess.CompletedProcess[str]:
        """Run the container's healthcheck command against this process."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SOCLE_")} | {
            "SOCLE_PORT": str(self.port)
        }
        return subprocess.run(
            [sys.executable, str(HEALTHCHECK)], env=env, capture_output=True, text=True, timeout=15
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Cluster:
    document: dict[str, Any]
    gateway: RoundRobinGateway
    instances: dict[str, list[Instance]] = field(default_factory=dict)

    @property
    def public_url(self) -> str:
        return self.gateway.url

    def urls(self, service: str) -> list[str]:
        return [instance.url for instance in self.instances[service]]

    def first(self, service: str) -> Instance:
        return self.instances[service][0]

    @property
    def smtp_port(self) -> int:
        return self.first("mssante").smtp_port

    @property
    def imap_port(self) -> int:
        return self.first("mssante").imap_port

    def logs(self) -> str:
        return "\n".join(
            f"===== {i.service}#{i.index}\n{i.log()[-4000:]}"
            for group in self.instances.values()
            for i in group
        )


@dataclass(frozen=True)
class AllInOne:
    """``socle up`` on one PostgreSQL database: what the all-in-one container runs, pointed at PostgreSQL."""

    stack: RunningStack
    database_url: str

    @property
    def public_url(self) -> str:
        return self.stack.base_url

    @property
    def smtp_port(self) -> int:
        return self.stack.smtp_port

    @property
    def imap_port(self) -> int:
        return self.stack.imap_port


def socle_services(document: Mapping[str, Any]) -> list[list[str]]:
    """The containers that run one socle service, in waves: each wave's ``depends_on`` are in earlier ones.

    Compose starts a container once the ones it depends on are healthy; containers of one wave have no
    dependency on each other, so they start together, as compose would.
    """
    services = document["services"]
    chosen = {
        name
        for name, service in services.items()
        if not service.get("profiles") and (service.get("command") or [None])[0] == "serve"
    }
    levels: dict[str, int] = {}

    def level(name: str, path: tuple[str, ...]) -> int:
        if name in path:
            raise AssertionError(f"depends_on cycle: {' -> '.join((*path, name))}")
        if name not in levels:
            dependencies = [d for d in services[name].get("depends_on") or {} if d in chosen]
            levels[name] = 1 + max((level(d, (*path, name)) for d in dependencies), default=-1)
        return levels[name]

    for name in chosen:
        level(name, ())
    return [sorted(n for n in chosen if levels[n] == wave) for wave in range(max(levels.values()) + 1)]


def database_urls(postgres_url: str | None, workdir: Path, tag: str) -> dict[str, str]:
    """A local database for every database compose creates: on the test PostgreSQL, or SQLite files."""
    names = init_databases() | {"socle"}
    if postgres_url is None:
        return {name: f"sqlite:///{workdir / 'db' / name}.db" for name in names}
    base = postgres_url.rsplit("/", 1)[0]
    return {name: f"{base}/{name}_{tag}" for name in names}


def empty_postgres_databases(postgres_url: str, urls: list[str]) -> None:
    """Make each database exist and be empty: created once, then emptied schema by schema.

    Dropping a database takes seconds on PostgreSQL 15 and creating one about half a second, while
    dropping its schemas takes milliseconds, so a test run reuses its databases (the role has CREATEDB).
    """
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as admin:
        existing = {row[0] for row in admin.execute("SELECT datname FROM pg_database")}
        for url in urls:
            name = url.rsplit("/", 1)[1]
            if name not in existing:
                admin.execute(f'CREATE DATABASE "{name}"')
                continue
            with psycopg.connect(url, autocommit=True) as connection:
                schemas = connection.execute(
                    "SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                    "AND nspname <> 'information_schema'"
                ).fetchall()
                for (schema,) in schemas:
                    connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
                connection.execute("CREATE SCHEMA public")


def spawn(
    document: Mapping[str, Any], service: str, index: int, env: dict[str, str], workdir: Path
) -> Instance:
    home = workdir / f"{service}-{index}"
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "service.log"
    command = [sys.executable, "-m", "services", *document["services"][service]["command"]]
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SOCLE_")} | env
    # the image installs the distribution; here the checkout is the installed code, whatever the cwd
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=home, env=full_env, stdout=log, stderr=subprocess.STDOUT)
    return Instance(service, index, int(env["SOCLE_PORT"]), env, process, log_path)


def eventually(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll ``condition`` until true: peers flush the shared traffic record in batches (0.2 s)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def wait_healthy(instances: list[Instance], timeout: float = START_TIMEOUT) -> None:
    """Wait until each instance answers ``/_sim/health`` with 200, then run the container's healthcheck."""
    deadline = time.monotonic() + timeout
    for instance in instances:
        while True:
            if instance.process.poll() is not None:
                raise RuntimeError(f"{instance.service}#{instance.index} exited:\n{instance.log()[-6000:]}")
            try:
                if httpx.get(instance.url + "/_sim/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{instance.service}#{instance.index} not healthy after {timeout} s:\n{instance.log()[-6000:]}"
                )
            time.sleep(0.1)
        check = instance.healthcheck()
        assert check.returncode == 0, f"{instance.service}: healthcheck failed: {check.stdout}"


@contextmanager
def run_cluster(
    workdir: Path,
    *,
    postgres_url: str | None = None,
    replicas: int = 1,
    tag: str = "test",
    variables: Mapping[str, str] | None = None,
) -> Iterator[Cluster]:
    """Start the socle containers of the compose file as local processes; stop them all on exit.

    The first instance of every service starts wave by wave as compose orders them; further replicas
    start together once the first ones are healthy. Two first starts on one empty database race on
    creating the tables (the kernel's ``Database.create_tables`` takes no lock; every service writes
    the shared traffic database): compose's restart policy would retry the loser, a test should not
    rely on that, so one service starts alone first and no two first starts share a database.
    """
    gateway = RoundRobinGateway(free_port())
    environ = {"SOCLE_GATEWAY_URL": gateway.url, "SOCLE_PSC_AUTO_LOGIN": "true"} | dict(variables or {})
    document = load_compose(environ)
    waves = socle_services(document)
    services = [name for wave in waves for name in wave]
    ports = {name: [free_port() for _ in range(replicas)] for name in services}
    mounts = {name: document["services"][name]["environment"]["SOCLE_MOUNT"] for name in services}
    for name in services:
        gateway.route(mounts[name], [f"http://127.0.0.1:{port}" for port in ports[name]])
    for shared in ("/_sim/traffic", "/_sim/fixtures"):  # as the nginx gateway does
        gateway.route_exact(shared, [f"http://127.0.0.1:{ports['prosanteconnect'][0]}"])
    if replicas == 1:
        service_urls = {name: f"http://127.0.0.1:{ports[name][0]}" for name in services}
    else:
        service_urls = {name: gateway.url + mounts[name] for name in services}
    databases = database_urls(postgres_url, workdir, tag)
    if postgres_url is not None:
        empty_postgres_databases(postgres_url, sorted(databases.values()))
    view = LocalView(service_urls, databases)
    cluster = Cluster(document, gateway, {name: [] for name in services})

    def start(name: str, index: int) -> Instance:
        overrides = {"SOCLE_HOST": "127.0.0.1", "SOCLE_PORT": str(ports[name][index]), "SOCLE_DATA_DIR": "."}
        environment = view.environment(document, name, overrides)
        for key in ("SOCLE_SMTP_PORT", "SOCLE_IMAP_PORT"):
            if key in environment:
                environment[key] = str(free_port())
        instance = spawn(document, name, index, environment, workdir)
        cluster.instances[name].append(instance)
        return instance

    gateway.start()
    try:
        # every service creates the shared traffic table on its first start: one goes first, alone
        wait_healthy([start(waves[0][0], 0)])
        for wave in waves:
            wait_healthy([start(name, 0) for name in wave if not cluster.instances[name]])
        for index in range(1, replicas):
            wait_healthy([start(name, index) for name in services])
        yield cluster
    finally:
        for group in cluster.instances.values():
            for instance in group:
                instance.stop()
        gateway.stop()
