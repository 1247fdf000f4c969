"""Conformance: wall time of the full reference-client run, against the suite with a driver that does nothing.

``socle conformance run --driver reference`` on a fresh ``socle up --psc-auto-login``, once per
software profile; the baseline is the same command with ``--driver true`` (every scenario's driver
exits at once), i.e. the suite's own overhead: evidence collection, fault injection, checks, reports.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import clean_env, row
from conformance.catalogue import PROFILES
from tests.support import start_stack


def _wall(base: str, profile: str, driver: str, report: Path) -> tuple[float, int]:
    args = [sys.executable, "-m", "services", "conformance", "run", "--base", base, "--profile", profile]
    started = time.perf_counter()
    done = subprocess.run(
        [*args, "--driver", driver, "--json", str(report)],
        env=clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=600,
    )
    return time.perf_counter() - started, done.returncode


def run() -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory() as folder:
        stack = start_stack(Path(folder))
        try:
            reference = idle = 0.0
            failures = []
            for profile in PROFILES:
                seconds, code = _wall(stack.base_url, profile, "reference", Path(folder) / f"{profile}.json")
                reference += seconds
                if code != 0:
                    failures.append(profile)
                idle += _wall(stack.base_url, profile, "true", Path(folder) / f"{profile}-idle.json")[0]
        finally:
            stack.stop()
    verdict = f" (reference client failed on {', '.join(failures)})" if failures else ""
    return [
        row(
            f"conformance run, reference client, {len(PROFILES)} profiles, wall s{verdict}",
            reference,
            idle,
            "same run with a driver doing nothing, s",
            higher=False,
        )
    ]
