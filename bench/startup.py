"""Start-up time and idle memory of ``socle up`` against the tools users would start instead.

Each is timed from process start to its first answer: ``socle up`` to ``/_sim/health`` 200, panva's
oidc-provider (``bench/node/oidc.mjs``) to its discovery document, maildev to its web UI, and the bare
uvicorn app as the floor of any Python server.

``socle up`` is timed twice per run on one data dir: the first start on the empty dir (creates the
tables, seeds the fixed test data, makes the MSSanté TLS material), then the everyday start, with all
that already in place (the headline figure). socle's own modules are byte-compiled first, as
``pip install`` does: where ``PYTHONDONTWRITEBYTECODE`` is set (this build machine, the Dockerfile's
build step) an editable checkout would otherwise recompile ~160 modules at every start. The CPU time
the process spent until healthy is reported beside the wall time: on a shared machine it moves far less.
"""

from __future__ import annotations

import compileall
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import httpx

from bench.harness import NODE_DIR, node_tool, rss_kib
from tests.support import cpu_seconds, free_port

BARE_APP = "bench.bare:app"
RUNS = 3
ROOT = Path(__file__).resolve().parents[1]


class Start(NamedTuple):
    seconds: float
    """Wall-clock seconds from process start to the first answer."""
    cpu: float
    """CPU seconds the process spent until then (user + system): steadier than wall time under load."""
    rss_kib: int
    """Resident size once idle, a second later."""


def _time_to_ready(args: list[str], url: str) -> Start:
    """Start ``args`` and time it until the first answer below 400 on ``url``."""
    started = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                if httpx.get(url, timeout=1).status_code < 400:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                raise RuntimeError(f"{args} exited with {process.returncode}")
            time.sleep(0.005)
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(process.pid)
        time.sleep(1.0)
        return Start(elapsed, cpu, rss_kib([process.pid]))
    finally:
        process.terminate()
        process.wait(timeout=15)


def _socle_up(data: str) -> list[str]:
    port, smtp, imap = free_port(), free_port(), free_port()
    return [
        *(sys.executable, "-m", "services", "up", "--port", str(port), "--data-dir", data),
        *("--smtp-port", str(smtp), "--imap-port", str(imap)),
    ]


def _health(args: list[str]) -> str:
    return f"http://127.0.0.1:{args[args.index('--port') + 1]}/_sim/health"


def run() -> list[dict[str, object]]:
    for package in ("services", "conformance"):
        compileall.compile_dir(ROOT / package, quiet=1)
    seeded, empty, bare = [], [], []
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory() as data:
            args = _socle_up(data)
            empty.append(_time_to_ready(args, _health(args)))
            args = _socle_up(data)
            seeded.append(_time_to_ready(args, _health(args)))
        port = free_port()
        args = [sys.executable, "-m", "uvicorn", BARE_APP, "--port", str(port), "--log-level", "warning"]
        bare.append(_time_to_ready(args, f"http://127.0.0.1:{port}/"))
    tools = _node_tools()
    socle_s, empty_s, bare_s = (statistics.median(s.seconds for s in runs) for runs in (seeded, empty, bare))
    socle_cpu, bare_cpu = (statistics.median(s.cpu for s in runs) for runs in (seeded, bare))
    socle_mb, bare_mb = (statistics.median(s.rss_kib for s in runs) / 1024 for runs in (seeded, bare))
    rows: list[dict[str, object]] = [
        {
            "figure": f"start to healthy, data seeded by a previous start (s, median of {RUNS})",
            "value": round(socle_s, 3),
            "baseline": f"bare uvicorn app {bare_s:.3f}",
            "ratio": round(socle_s / bare_s, 2),
            "goal": "< 1 s",
            "better": "lower",
        },
        {
            "figure": f"CPU spent until healthy, data seeded (s, median of {RUNS})",
            "value": round(socle_cpu, 3),
            "baseline": f"bare uvicorn app {bare_cpu:.3f}",
            "ratio": round(socle_cpu / bare_cpu, 2),
            "goal": "",
            "better": "lower",
        },
        {
            "figure": f"first start to healthy, empty data dir (s, median of {RUNS})",
            "value": round(empty_s, 3),
            "baseline": f"bare uvicorn app {bare_s:.3f}",
            "ratio": round(empty_s / bare_s, 2),
            "goal": "",
            "better": "lower",
        },
    ]
    for name, (seconds, _) in tools.items():
        rows.append(
            {
                "figure": f"start to healthy, data seeded (s), against {name}",
                "value": round(socle_s, 3),
                "baseline": f"{name} {seconds:.3f}",
                "ratio": round(socle_s / seconds, 2),
                "goal": "< 1 s",
                "better": "lower",
            }
        )
    rows.append(
        {
            "figure": "idle resident memory of the whole stack (MB)",
            "value": round(socle_mb, 1),
            "baseline": f"bare uvicorn app {bare_mb:.1f}"
            + "".join(f", {name} {kib / 1024:.1f}" for name, (_, kib) in tools.items()),
            "ratio": round(socle_mb / bare_mb, 2),
            "goal": "< 200 MB",
            "better": "lower",
        }
    )
    return rows


def _node_tools() -> dict[str, tuple[float, float]]:
    """Median start time and resident size (KiB) of oidc-provider and maildev, when node is there."""
    if node_tool("oidc-provider") is None or (maildev := node_tool("maildev")) is None:
        return {}
    measured: dict[str, tuple[float, float]] = {}
    for name in ("oidc-provider", "maildev"):
        times, sizes = [], []
        for _ in range(RUNS):
            port = free_port()
            if name == "oidc-provider":
                args = ["node", str(NODE_DIR / "oidc.mjs"), str(port)]
                url = f"http://127.0.0.1:{port}/.well-known/openid-configuration"
            else:
                smtp = str(free_port())
                args = ["node", str(maildev / "bin" / "maildev"), "--smtp", smtp, "--web", str(port)]
                args += ["--ip", "127.0.0.1", "--silent"]
                url = f"http://127.0.0.1:{port}/"
            start = _time_to_ready(args, url)
            times.append(start.seconds)
            sizes.append(start.rss_kib)
        measured[name] = (statistics.median(times), statistics.median(sizes))
    return measured
