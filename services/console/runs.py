"""Conformance runs started from the console: ``socle conformance run`` in a child process.

The console does not import the suite's engine; it runs the same command a vendor's CI runs, against
the stack's public URL, and keeps its JSON and HTML reports in the run's folder. The run's state is a
row in the console's database; a run that was under way when the console stopped is marked
interrupted at the next start, never left "running" forever.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from services.kernel.db import Database
from services.kernel.errors import BadRequest

from .models import ConformanceRun

MUTANT = re.compile(r"^[a-z0-9_-]{1,40}$")
OUTPUT_LIMIT = 200_000
STATUS_OF_EXIT = {0: "passed", 1: "failed"}
RUN_TIMEOUT_SECONDS = 30 * 60
"""A run never stays "running" for ever: every scenario has its own 60 s limit in the suite, and a
command still alive after this is stopped and reported as an error."""


def _now() -> datetime:
    return datetime.now(UTC)


def driver_name(mutant: str) -> str:
    """``reference`` or ``reference:<mutant>``: the console never runs an arbitrary command."""
    mutant = mutant.strip()
    if not mutant:
        return "reference"
    if not MUTANT.match(mutant):
        raise BadRequest(f"not a mutant name: {mutant!r}")
    return f"reference:{mutant}"


class Runs:
    def __init__(self, directory: Path, database: Database, base_url: str) -> None:
        self.directory = directory
        self.database = database
        self.base_url = base_url
        self._tasks: set[asyncio.Task[None]] = set()

    def folder(self, run_id: str) -> Path:
        return self.directory / run_id

    def interrupt_stale(self) -> None:
        with self.database.transaction() as session:
            for run in session.exec(select(ConformanceRun).where(col(ConformanceRun.status) == "running")):
                run.status, run.finished = "interrupted", _now()
                session.add(run)

    async def start(self, *, profile: str, mutant: str, scenarios: list[str]) -> ConformanceRun:
        run = ConformanceRun(
            id=f"console-{secrets.token_hex(6)}", started=_now(), profile=profile, driver=driver_name(mutant)
        )
        folder = self.folder(run.id)
        folder.mkdir(parents=True, exist_ok=True)
        await self.database.write(lambda s: s.add(run))
        command = [
            sys.executable, "-m", "services", "conformance", "run",
            "--base", self.base_url, "--profile", profile, "--driver", run.driver,
            "--json", str(folder / "run.json"), "--html", str(folder / "report.html"),
            *(arg for scenario in scenarios for arg in ("--scenario", scenario)),
        ]  # fmt: skip
        with (folder / "output.txt").open("wb") as output:
            process = await asyncio.create_subprocess_exec(
                *command, stdout=output, stderr=asyncio.subprocess.STDOUT, stdin=asyncio.subprocess.DEVNULL
            )
        task = asyncio.create_task(self._finish(run.id, process), name=f"conformance-{run.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return run

    async def _finish(self, run_id: str, process: asyncio.subprocess.Process) -> None:
        try:
            code = await asyncio.wait_for(process.wait(), RUN_TIMEOUT_SECONDS)
        except TimeoutError:
            process.kill()
            code = await process.wait()

        def record(session: Session) -> None:
            run = session.get(ConformanceRun, run_id)
            if run is not None:
                run.status, run.exit_code, run.finished = STATUS_OF_EXIT.get(code, "error"), code, _now()
                session.add(run)

        await self.database.write(record)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def recent(self) -> list[ConformanceRun]:
        return await self.database.read(
            lambda s: list(
                s.exec(select(ConformanceRun).order_by(col(ConformanceRun.started).desc()).limit(50))
            )
        )

    async def get(self, run_id: str) -> ConformanceRun | None:
        return await self.database.read(lambda s: s.get(ConformanceRun, run_id))

    def report(self, run_id: str) -> dict[str, Any] | None:
        path = self.folder(run_id) / "run.json"
        return json.loads(path.read_text("utf-8")) if path.exists() else None

    def output(self, run_id: str) -> str:
        path = self.folder(run_id) / "output.txt"
        return path.read_bytes()[-OUTPUT_LIMIT:].decode("utf-8", "replace") if path.exists() else ""
