"""Benchmark: INSi-style searches on a large identity base (issue 4: p95 under 5 ms at 1,000,000).

Run with ``python -m bench ins`` (or ``python -m bench.ins [N] [DATA_DIR]``). By default it uses the
cached bulk data dir of :mod:`bench.bulk`; with N and DATA_DIR it seeds N identities with ``socle seed``
there (unless DATA_DIR already holds them). It starts ``socle serve ins`` on that base and
times, over real HTTP, a FHIR ``$match`` and an INSi SOAP search of random bulk identities, plus the rule
layer alone (indexed lookup + matching); the baseline is the same request count on a bare uvicorn app.
"""

from __future__ import annotations

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

from bench import bulk
from services.ins.lookup import Lookups
from services.ins.matching import FOUND, match_traits, traits_query
from services.kernel.db import Database
from tests.ins.soap_messages import envelope, traits
from tests.support import free_port

QUERIES = 1000
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


def _sample_people(db_path: Path, count: int) -> list[tuple[str, str, str, str, str]]:
    with sqlite3.connect(db_path) as connection:
        top = connection.execute("SELECT max(id) FROM ins_identity").fetchone()[0]
        ids = random.Random(4).sample(range(1, top + 1), count)
        marks = ",".join("?" * len(ids))
        return connection.execute(
            f"SELECT birth_name, first_names, sex, birth_date, ins FROM ins_identity WHERE id IN ({marks})",
            ids,
        ).fetchall()


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        time.sleep(0.05)


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
        name, first_names, sex, born, _ = people[rules_only.index % len(people)]  # type: ignore[attr-defined]
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
    bare = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.bare:app",
            "--port",
            str(bare_port),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(f"http://127.0.0.1:{port}/_sim/health", server)
        _wait(f"http://127.0.0.1:{bare_port}/", bare)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"x-socle-internal": SECRET}) as http:
            matches = iter(people * 2)

            def fhir_match() -> None:
                name, first_names, sex, born, _ = next(matches)
                patient = {
                    "resourceType": "Patient",
                    "name": [{"family": name, "given": [first_names.split()[0]]}],
                    "gender": {"M": "male", "F": "female"}[sex],
                    "birthDate": born,
                }
                body = {
                    "resourceType": "Parameters",
                    "parameter": [{"name": "resource", "resource": patient}],
                }
                assert http.post("/fhir/Patient/$match", json=body).status_code == 200

            soaps = iter(people * 2)

            def soap_search() -> None:
                name, first_names, sex, born, _ = next(soaps)
                xml = envelope(body=traits(name=name, first=first_names.split()[0], sex=sex, date=born))
                assert b"<CodeCR>0" in http.post("/insi", content=xml).content

            # Interleaved, so that both see the same load (the traffic record grows as they run).
            fhir, soap = [], []
            for _ in range(QUERIES):
                fhir += _timed(fhir_match, 1)
                soap += _timed(soap_search, 1)
        with httpx.Client(base_url=f"http://127.0.0.1:{bare_port}") as http:
            baseline = _timed(lambda: http.get("/").raise_for_status(), QUERIES)  # type: ignore[func-returns-value]
    finally:
        for process in (server, bare):
            process.terminate()
            process.wait(timeout=15)
    rows: list[dict[str, object]] = []
    for quantile, measure in (("p50", _p50), ("p95", _p95)):
        base = measure(baseline)
        for figure, samples, compare in (
            ("INSi rules + indexed lookup", rules, False),
            ("FHIR $match over HTTP", fhir, True),
            ("INSi SOAP search over HTTP", soap, True),
        ):
            value = measure(samples)
            rows.append(
                {
                    "figure": f"{figure} {quantile} ms ({size:,} identities)",
                    "value": round(value, 2),
                    "baseline": round(base, 2) if compare else "",
                    "ratio": round(value / base, 1) if compare else "",
                    "goal": f"< {GOAL_MS} ms" if quantile == "p95" else "",
                }
            )
    return rows


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else bulk.IDENTITIES
    for row in run(size, sys.argv[2] if len(sys.argv) > 2 else None):
        print(row)
