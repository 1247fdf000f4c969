"""The bulk data of the INS and DMP figures, built once by ``socle seed`` and cached between runs.

Seeding 1,000,000 identities and 1,000,000 documents takes longer than the rest of ``make bench``, so it
goes to ``bench/results/bulk`` (gitignored) and later runs reuse it; each part is seeded only when its
database holds fewer rows than planned (a stopped seed resumes, ``socle seed`` continues the numbering).
There are no migrations: a database whose tables no longer have the columns of the current models is
deleted and seeded again, and the other services' stores are dropped before each run (they are small
and rebuilt at start-up).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlmodel import SQLModel

from bench.harness import RESULTS, clean_env
from services.dmp.models import TABLES as DMP_TABLES
from services.ins.models import TABLES as INS_TABLES

FOLDER = RESULTS / "bulk"
IDENTITIES = 1_000_000
DOCUMENTS = 1_000_000
PATIENTS = 100_000
"""``socle seed --documents N`` alone spreads N documents over N / 10 bulk patients."""


def _rows(database: Path, table: str, where: str = "") -> int:
    if not database.exists():
        return 0
    with sqlite3.connect(database) as connection:
        try:
            return int(connection.execute(f"SELECT count(*) FROM {table} {where}").fetchone()[0])
        except sqlite3.OperationalError:
            return 0


def _stale(database: Path, models: list[type[SQLModel]]) -> bool:
    """Whether a table of ``database`` lacks or has columns the current models do not."""
    if not database.exists():
        return False
    with sqlite3.connect(database) as connection:
        for model in models:
            table = model.__table__  # type: ignore[attr-defined]
            found = {r[1] for r in connection.execute(f"PRAGMA table_info({table.name})")}
            if found and found != set(table.columns.keys()):
                return True
    return False


def _seed(option: str, missing: int) -> None:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "services", "seed", option, str(missing)],
        env=clean_env(SOCLE_DATA_DIR=str(FOLDER)),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"socle seed {option} {missing}: {time.perf_counter() - started:.0f} s (cached in {FOLDER})")


def ensure() -> Path:
    """The data dir holding at least the planned identities and documents."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    models = {"ins.db": INS_TABLES, "dmp.db": DMP_TABLES}
    kept = {name for name, tables in models.items() if not _stale(FOLDER / name, tables)}
    for path in list(FOLDER.iterdir()):
        if path.name.split("-")[0] not in kept:  # with its -wal and -shm files
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    identities = _rows(FOLDER / "ins.db", "ins_identity", "WHERE origin = 'bulk'")
    if identities < IDENTITIES:
        _seed("--patients", IDENTITIES - identities)
    documents = _rows(FOLDER / "dmp.db", "dmp_document", "WHERE unique_id LIKE 'urn:oid:1.2.250.1.213.9.%'")
    if documents < DOCUMENTS:
        _seed("--documents", DOCUMENTS - documents)
    return FOLDER
