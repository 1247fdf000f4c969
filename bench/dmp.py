"""DMP on 1,000,000 documents for 100,000 patients: ITI-65 bundles/s, ITI-67 latency, ITI-68 MB/s.

``socle up --psc-auto-login`` runs on the cached bulk data dir (:mod:`bench.bulk`), so the DMP calls
the real INS (1,000,000 identities) for each publication and every request passes the PSC token
check. The client is a professional with a real PSC token from the code flow. The baseline of each
figure is the same client on the bare uvicorn app (``/bytes/N`` for ITI-68); the resident size of the
stack is sampled idle and while the load runs (the memory figure of the issue).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import threading
import time
from pathlib import Path

import httpx

from bench import bulk
from bench.harness import bare, clean_env, load, ms, row, rss_kib, server
from tests.dmp.builders import MT_IDNAT, bundle, cda
from tests.psc_login import login
from tests.support import free_port, start_stack

SEARCHES = 1000
PUBLICATIONS = 300
RETRIEVALS = 60
LARGE = 1024 * 1024
CONCURRENCY = 4


def _patients(folder: Path, count: int) -> list[tuple[str, str]]:
    """(INS, system) of random bulk patients that have documents and a qualified identity."""
    with sqlite3.connect(folder / "dmp.db") as connection:
        connection.execute("ATTACH DATABASE ? AS ins", (str(folder / "ins.db"),))
        top = connection.execute("SELECT max(rowid) FROM dmp_document").fetchone()[0]
        rowids = random.Random(10).sample(range(1, top + 1), count)
        marks = ",".join("?" * len(rowids))
        return connection.execute(
            "SELECT d.patient_ins, json_extract(d.resource, '$.subject.identifier.system')"
            " FROM dmp_document d JOIN ins.ins_identity i ON i.ins = d.patient_ins"
            f" WHERE d.rowid IN ({marks}) AND i.origin = 'bulk' AND i.identity_status = 'QUAL'",
            rowids,
        ).fetchall()


class Sampler:
    """The peak resident size of the stack while a block runs (sampled every 100 ms)."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.1):
            self.peak = max(self.peak, rss_kib([self.pid]))

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


async def _measure(base: str, token: str, patients: list[tuple[str, str]]) -> dict[str, float | list[float]]:
    headers = {"Authorization": f"Bearer {token}"}
    figures: dict[str, float | list[float]] = {}
    async with httpx.AsyncClient(base_url=base + "/dmp/fhir", headers=headers, timeout=60) as http:

        async def search(index: int) -> None:
            ins, system = patients[index % len(patients)]
            query = {"patient.identifier": f"{system}|{ins}", "status": "current"}
            answer = await http.get("/DocumentReference", params=query)
            if answer.status_code != 200 or not answer.json().get("total"):
                raise RuntimeError(f"ITI-67 answered {answer.status_code}: {answer.text[:300]}")

        await load(search, total=50, concurrency=1)
        _, figures["search"] = await load(search, total=SEARCHES, concurrency=1)

        async def publish(index: int) -> None:
            ins, system = patients[index % len(patients)]
            root = system.removeprefix("urn:oid:")
            body = bundle(ins, system=system, data=cda(ins, root=root))
            answer = await http.post(base + "/dmp/fhir", json=body)
            if answer.status_code != 200:
                raise RuntimeError(f"ITI-65 answered {answer.status_code}: {answer.text[:300]}")

        figures["publish"], _ = await load(publish, total=PUBLICATIONS, concurrency=CONCURRENCY)

        ins, system = patients[0]
        padded = cda(ins, root=system.removeprefix("urn:oid:")).replace(
            b"</ClinicalDocument>", b"<!--" + b"x" * LARGE + b"--></ClinicalDocument>"
        )
        answer = await http.post(base + "/dmp/fhir", json=bundle(ins, system=system, data=padded))
        answer.raise_for_status()
        location = answer.json()["entry"][2]["response"]["location"]
        binary = "/Binary/" + location.split("Binary/")[1].split("/")[0]

        async def retrieve(_: int) -> None:
            got = await http.get(binary)
            if got.status_code != 200 or len(got.content) != len(padded):
                raise RuntimeError(f"ITI-68 answered {got.status_code}: {got.text[:300]}")

        rate, _ = await load(retrieve, total=RETRIEVALS, concurrency=2)
        figures["retrieve"] = rate * len(padded) / 1e6
    return figures


async def _baseline(base: str) -> dict[str, float | list[float]]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:

        async def hello(_: int) -> None:
            (await http.get("/")).raise_for_status()

        async def large(_: int) -> None:
            (await http.get(f"/bytes/{LARGE}")).raise_for_status()

        await load(hello, total=50, concurrency=1)
        _, latencies = await load(hello, total=SEARCHES, concurrency=1)
        rate, _ = await load(hello, total=PUBLICATIONS, concurrency=CONCURRENCY)
        bytes_rate, _ = await load(large, total=RETRIEVALS, concurrency=2)
    return {"search": latencies, "publish": rate, "retrieve": bytes_rate * LARGE / 1e6}


def run() -> list[dict[str, object]]:
    folder = bulk.ensure()
    patients = _patients(folder, SEARCHES)
    stack = start_stack(folder, timeout=180)
    try:
        token = login(stack.base_url, idnat=MT_IDNAT)["access_token"]
        time.sleep(1.0)
        idle = rss_kib([stack.process.pid])
        with Sampler(stack.process.pid) as sampler:
            socle = asyncio.run(_measure(stack.base_url, token, patients))
        port = free_port()
        with server(bare(port), f"http://127.0.0.1:{port}/", clean_env()) as bare_pid:
            bare_rss = rss_kib([bare_pid])
            base = asyncio.run(_baseline(f"http://127.0.0.1:{port}"))
    finally:
        stack.stop()
    ceiling = "bare uvicorn"
    size = f"{bulk.DOCUMENTS:,} docs / {bulk.PATIENTS:,} patients"
    rows = [
        row(
            f"DMP ITI-65 one-document bundles/s, {CONCURRENCY} clients ({size})",
            float(socle["publish"]),  # type: ignore[arg-type]
            float(base["publish"]),  # type: ignore[arg-type]
            f"{ceiling} req/s",
        )
    ]
    for quantile in (50, 95):
        rows.append(
            row(
                f"DMP ITI-67 search p{quantile} ms, by patient ({size})",
                ms(socle["search"], quantile),  # type: ignore[arg-type]
                ms(base["search"], quantile),  # type: ignore[arg-type]
                f"{ceiling} ms",
                higher=False,
            )
        )
    rows += [
        row(
            "DMP ITI-68 retrieval MB/s (1 MB CDA, 2 clients)",
            float(socle["retrieve"]),  # type: ignore[arg-type]
            float(base["retrieve"]),  # type: ignore[arg-type]
            f"{ceiling} serving 1 MB, MB/s",
        ),
        row("whole stack resident MB, idle on the bulk data", idle / 1024, bare_rss / 1024, "bare uvicorn"),
        row(
            "whole stack resident MB, peak under the DMP load",
            sampler.peak / 1024,
            bare_rss / 1024,
            "bare uvicorn idle",
            higher=False,
        ),
    ]
    rows[-2]["better"] = "lower"
    return rows
