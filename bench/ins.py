"""Benchmark: INSi-style searches on a large identity base (issue 4: p95 under 5 ms at 1,000,000).

Run with ``python -m bench ins`` (or ``python -m bench.ins [N] [DATA_DIR]``). By default it uses the
cached bulk data dir of :mod:`bench.bulk`; with N and DATA_DIR it seeds N identities with ``socle seed``
there (unless DATA_DIR already holds them). It starts ``socle serve ins`` on that base and
times, over real HTTP, a FHIR ``$match``, an INSi SOAP search and the identifier search the DMP makes
before each publication or search, of random bulk identities, plus the rule layer alone (indexed lookup
+ matching); the baseline is the same request count on a bare uvicorn app. The server's CPU time per
request (from ``/proc``) comes with each, against the bare app's: a figure the machine's load moves less.
"""

from __future__ import annotations

import itertools
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from bench import bulk, harness
from services.ins.lookup import Lookups
from services.ins.matching import FOUND, match_traits, traits_query
from services.kernel.db import Database
from tests.ins.soap_messages import envelope, traits
from tests.support import cpu_seconds, free_port

QUERIES = 1000
WARM_UP = 20
CPU_QUERIES = 500
GOAL_MS = 5.0
SECRET = "bench-internal-secret"


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=100)[94] * 1000


def _p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _timed(call: Callable[[], None], count: int) -> list[float]:
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def _sample_people(db_path: Path, count: int) -> list[tuple[str, str, str, str, str, str]]:
    with sqlite3.connect(db_path) as connection:
        top = connection.execute("SELECT max(id) FROM ins_identity").fetchone()[0]
        ids = random.Random(4).sample(range(1, top + 1), count)
        marks = ",".join("?" * len(ids))
        return connection.execute(
            "SELECT birth_name, first_names, sex, birth_date, ins, oid FROM ins_identity"
            f" WHERE id IN ({marks})",
            ids,
        ).fetchall()


FIGURES = {
    "match": "FHIR $match over HTTP",
    "soap": "INSi SOAP search over HTTP",
    "identifier": "INS identifier search over HTTP (the DMP's check)",
}


def _caller(http: httpx.Client, figure: str, people: list[tuple[str, ...]]) -> Callable[[], None]:
    """One request of ``figure`` (a key of :data:`FIGURES`) per call, cycling through ``people``."""
    turn = itertools.cycle(people)

    def fhir_match() -> None:
        name, first_names, sex, born, _, _ = next(turn)
        patient = {
            "resourceType": "Patient",
            "name": [{"family": name, "given": [first_names.split()[0]]}],
            "gender": {"M": "male", "F": "female"}[sex],
            "birthDate": born,
        }
        body = {"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": patient}]}
        assert http.post("/fhir/Patient/$match", json=body).status_code == 200

    def soap_search() -> None:
        name, first_names, sex, born, _, _ = next(turn)
        xml = envelope(body=traits(name=name, first=first_names.split()[0], sex=sex, date=born))
        assert b"<CodeCR>0" in http.post("/insi", content=xml).content

    def identifier() -> None:
        *_, ins, oid = next(turn)
        found = http.get("/fhir/Patient", params={"identifier": f"urn:oid:{oid}|{ins}"}).json()
        assert found["total"] == 1

    return {"match": fhir_match, "soap": soap_search, "identifier": identifier}[figure]


def _server_cpu_ms(pid: int, call: Callable[[], None], count: int) -> float:
    """CPU time (user + system, all threads) the server process spends per call, over ``count`` calls:
    less sensitive than latency to what else the machine runs."""

    before = cpu_seconds(pid)
    for _ in range(count):
        call()
    return (cpu_seconds(pid) - before) * 1000 / count


def run(size: int = bulk.IDENTITIES, data_dir: str | None = None) -> list[dict[str, object]]:
    folder = Path(data_dir) if data_dir else bulk.ensure()
    db_path = folder / "ins.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOCLE_")}
    env |= {"SOCLE_DATA_DIR": str(folder), "SOCLE_INTERNAL_TOKEN": SECRET}
    if not db_path.exists():
        seeding = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "services", "seed", "--patients", str(size)], env=env, check=True
        )
        print(f"seeded {size} identities in {time.perf_counter() - seeding:.1f} s")
    people = _sample_people(db_path, QUERIES)

    database = Database(f"sqlite:///{db_path}", [])
    lookups = Lookups(database)

    def rules_only() -> None:
        name, first_names, sex, born, *_ = people[rules_only.index % len(people)]  # type: ignore[attr-defined]
        rules_only.index += 1  # type: ignore[attr-defined]
        query = traits_query(birth_name=name, first_names=[first_names.split()[0]], sex=sex, birth_date=born)
        candidates = lookups.people("traits", birth_name=name, birth_date=born, sex=sex)
        outcome = match_traits(query, candidates)
        assert outcome.code in (FOUND, "02")

    rules_only.index = 0  # type: ignore[attr-defined]
    rules = _timed(rules_only, QUERIES)
    database.dispose()

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "services", "serve", "ins", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    bare_port = free_port()
    bare = subprocess.Popen(harness.bare(bare_port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        harness.wait_until(f"http://127.0.0.1:{port}/_sim/health", server)
        harness.wait_until(f"http://127.0.0.1:{bare_port}/", bare)
        with (
            httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"x-socle-internal": SECRET}) as http,
            httpx.Client(base_url=f"http://127.0.0.1:{bare_port}") as bare_http,
        ):

            def ok() -> None:
                bare_http.get("/").raise_for_status()

            calls = {name: _caller(http, name, people) for name in FIGURES} | {"bare": ok}
            for call in calls.values():  # warm-up: first connections, lazily built validators
                for _ in range(WARM_UP):
                    call()
            # Interleaved, the baseline too, so that all see the same load on the shared machine (and the
            # same traffic record, which grows as they run).
            latencies: dict[str, list[float]] = {name: [] for name in calls}
            for _ in range(QUERIES):
                for name, call in calls.items():
                    latencies[name] += _timed(call, 1)
            cpu = {name: _server_cpu_ms(server.pid, calls[name], CPU_QUERIES) for name in FIGURES}
            bare_cpu = _server_cpu_ms(bare.pid, ok, CPU_QUERIES)
    finally:
        for process in (server, bare):
            process.terminate()
            process.wait(timeout=15)
    baseline = latencies["bare"]
    rows: list[dict[str, object]] = []
    for quantile, measure in (("p50", _p50), ("p95", _p95)):
        rows.append(_row(f"INSi rules + indexed lookup {quantile} ms", measure(rules), None, size))
        for name, figure in FIGURES.items():
            goal = f"< {GOAL_MS} ms" if quantile == "p95" else ""
            rows.append(
                _row(f"{figure} {quantile} ms", measure(latencies[name]), measure(baseline), size, goal)
            )
    for name, figure in FIGURES.items():
        rows.append(_row(f"{figure}: server CPU ms per request", cpu[name], bare_cpu, size))
    return rows


def _row(figure: str, value: float, base: float | None, size: int, goal: str = "") -> dict[str, object]:
    return {
        "figure": f"{figure} ({size:,} identities)",
        "value": round(value, 2),
        "baseline": round(base, 2) if base else "",
        "ratio": round(value / base, 1) if base else "",
        "goal": goal,
    }


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else bulk.IDENTITIES
    for row in run(size, sys.argv[2] if len(sys.argv) > 2 else None):
        print(row)
