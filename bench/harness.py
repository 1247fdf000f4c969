"""What every benchmark shares: servers as child processes, a bounded-concurrency load loop, quantiles.

Figures are only meaningful as ratios against a baseline measured in the same run, so each benchmark
starts its baseline next to socle and measures both with the same client code.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

NODE_DIR = Path(__file__).parent / "node"
RESULTS = Path(__file__).parent / "results"
BARE_APP = "bench.bare:app"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without any ``SOCLE_*`` of the caller's shell, so each run is reproducible."""
    return {k: v for k, v in os.environ.items() if not k.startswith("SOCLE_")} | extra


def wait_until(url: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"{process.args} exited with {process.returncode}")
        time.sleep(0.01)
    raise RuntimeError(f"{url} not answering after {timeout} s")


@contextmanager
def server(args: list[str], ready_url: str, env: dict[str, str] | None = None) -> Iterator[int]:
    """Run ``args`` until the block ends; yields its pid once ``ready_url`` answers."""
    process = subprocess.Popen(
        args, env=env or clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until(ready_url, process)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def bare(port: int) -> list[str]:
    """The ceiling: an ASGI app that does nothing, on the same uvicorn as socle."""
    return [sys.executable, "-m", "uvicorn", BARE_APP, "--port", str(port), "--log-level", "warning"]


def node_tool(name: str) -> Path | None:
    """``bench/node/node_modules/<name>``, installed with ``npm ci`` on first use; None without node."""
    if not shutil.which("node") or not shutil.which("npm"):
        return None
    if not (NODE_DIR / "node_modules" / name).exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=NODE_DIR, check=True, timeout=600
        )
    return NODE_DIR / "node_modules" / name


def rss_kib(pids: list[int]) -> int:
    """Resident size of these processes and all their descendants (the stack may fork helpers)."""
    total, seen, todo = 0, set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            continue
        total += next((int(x.split()[1]) for x in status.splitlines() if x.startswith("VmRSS:")), 0)
        todo += [int(child) for child in children]
    return total


async def load(
    call: Callable[[int], Awaitable[None]], *, total: int, concurrency: int
) -> tuple[float, list[float]]:
    """Run ``call(i)`` for i < total with at most ``concurrency`` in flight: (per second, latencies)."""
    counter = iter(range(total))
    latencies: list[float] = []

    async def worker() -> None:
        for index in counter:
            began = time.perf_counter()
            await call(index)
            latencies.append(time.perf_counter() - began)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return total / (time.perf_counter() - started), latencies


def ms(samples: list[float], quantile: int) -> float:
    """The ``quantile``-th percentile in milliseconds (50 = median)."""
    if quantile == 50:
        return round(statistics.median(samples) * 1000, 2)
    return round(statistics.quantiles(samples, n=100)[quantile - 1] * 1000, 2)


def row(
    figure: str, value: float, baseline: float | None, label: str, goal: str = "", higher: bool = True
) -> dict[str, object]:
    """One result line; ``ratio`` is socle / baseline (so > 1 is better for rates, worse for times)."""
    result: dict[str, object] = {"figure": figure, "value": round(value, 2), "goal": goal}
    if baseline:
        result["baseline"] = f"{label} {baseline:.2f}"
        result["ratio"] = round(value / baseline, 2)
    else:
        result["baseline"] = f"{label} not measured"
        result["ratio"] = ""
    result["better"] = "higher" if higher else "lower"
    return result
