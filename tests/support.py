"""Test helpers shared by every test folder: a real ``socle up`` process, free ports, required tools."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

IN_CI = os.environ.get("CI", "").lower() == "true"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system, every thread) ``pid`` has used so far (Linux ``/proc``): a benchmark's
    steadier figure than wall time when the machine is shared."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def require_tool(name: str) -> str:
    """The path of a command the test needs; a skip locally, a failure in CI (CI must have it)."""
    path = shutil.which(name)
    if path:
        return path
    if IN_CI:
        pytest.fail(f"{name} is required in CI (.ci/run installs it)")
    pytest.skip(f"{name} is not installed")


@dataclass
class RunningStack:
    base_url: str
    port: int
    smtp_port: int
    imap_port: int
    data_dir: Path
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=30, **kwargs)  # type: ignore[arg-type]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_stack(
    data_dir: Path,
    *,
    auto_login: bool = True,
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> RunningStack:
    """Start ``socle up`` as a real process on free ports and wait until ``/_sim/health`` says ready.

    A free port can be taken by another process between the check and the bind: the stack then
    exits with "address already in use", and it is started again on other ports.
    """
    for attempt in range(3):
        try:
            return _launch(data_dir, auto_login=auto_login, extra_args=extra_args, env=env, timeout=timeout)
        except PortTaken:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


class PortTaken(RuntimeError):
    pass


def _launch(
    data_dir: Path,
    *,
    auto_login: bool,
    extra_args: tuple[str, ...],
    env: dict[str, str] | None,
    timeout: float,
) -> RunningStack:
    port, smtp_port, imap_port = free_port(), free_port(), free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "socle.log"
    args = [
        sys.executable,
        "-m",
        "services",
        "up",
        "--port",
        str(port),
        "--smtp-port",
        str(smtp_port),
        "--imap-port",
        str(imap_port),
        "--data-dir",
        str(data_dir),
        *extra_args,
    ]
    if auto_login:
        args.append("--psc-auto-login")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SOCLE_")} | (env or {})
    with log_path.open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=full_env)
    stack = RunningStack(
        f"http://127.0.0.1:{port}", port, smtp_port, imap_port, data_dir, process, log_path, env=full_env
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            if "address already in use" in stack.log().lower():
                raise PortTaken(stack.log())
            raise RuntimeError(f"socle up exited with {process.returncode}:\n{stack.log()}")
        try:
            if httpx.get(f"{stack.base_url}/_sim/health", timeout=2).status_code == 200:
                return stack
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    stack.stop()
    if "address already in use" in stack.log().lower():
        raise PortTaken(stack.log())
    raise RuntimeError(f"socle up was not healthy after {timeout} s:\n{stack.log()}")


POSTGRES_ENV = "SOCLE_TEST_POSTGRES_URL"
POSTGRES_URL = os.environ.get(POSTGRES_ENV)
"""Read at import, before the autouse fixture hides every ``SOCLE_*`` variable inside each test."""


def require_postgres() -> str:
    """The test server's URL (``.ci/postgres`` prints it); a skip locally, a failure in CI."""
    if POSTGRES_URL:
        return POSTGRES_URL
    if IN_CI:
        pytest.fail(f"{POSTGRES_ENV} is required in CI (.ci/run sets it from .ci/postgres)")
    pytest.skip(f"{POSTGRES_ENV} is not set (run .ci/postgres)")


@contextmanager
def fresh_postgres_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards."""
    server = require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        server.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
