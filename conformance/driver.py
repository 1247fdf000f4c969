"""Run the vendor's automation for one scenario: a command, environment variables, a timeout.

The command runs in its own process group so that a hanging driver (and whatever it started) is killed
at the scenario timeout. It may write a JSON report to ``CONFORMANCE_RESULT_FILE`` — ``{"outcome":
"refused", "reason": ...}`` is how a negative scenario says the software refused to go on.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .evidence import DriverOutcome

OUTPUT_TAIL = 4000


@dataclass(frozen=True)
class DriverEnv:
    """The facts a driver needs, passed as ``CONFORMANCE_*`` environment variables."""

    values: dict[str, str]

    def with_result_file(self, path: Path) -> dict[str, str]:
        return {**self.values, "CONFORMANCE_RESULT_FILE": str(path)}


def driver_command(driver: str) -> list[str] | str:
    """``reference`` and ``reference:MUTANT`` name the bundled reference client; anything else is a shell command."""
    if driver == "reference" or driver.startswith("reference:"):
        mutant = driver.partition(":")[2]
        command = [sys.executable, "-m", "conformance.reference_client"]
        return [*command, "--mutant", mutant] if mutant else command
    return driver


def run_driver(command: list[str] | str, env: DriverEnv, *, timeout: float) -> DriverOutcome:
    with tempfile.TemporaryDirectory(prefix="conformance-") as folder:
        result_file = Path(folder) / "result.json"
        full_env = {**os.environ, **env.with_result_file(result_file)}
        try:
            process = subprocess.Popen(
                command,
                shell=isinstance(command, str),
                env=full_env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            shown = command if isinstance(command, str) else shlex.join(command)
            return DriverOutcome(exit_code=None, error=f"the driver could not start ({shown}): {exc}")
        timed_out = False
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(process)
            output, _ = process.communicate()
        return DriverOutcome(
            exit_code=None if timed_out else process.returncode,
            timed_out=timed_out,
            reported=_read_report(result_file),
            output=output.decode("utf-8", "replace")[-OUTPUT_TAIL:],
            error=f"the driver did not finish within {timeout:g} s and was killed" if timed_out else "",
        )


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _read_report(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
