"""``make bench``: run every benchmark, print ratios, write ``bench/results/latest.json``.

``python -m bench [name ...]`` runs only the named ones. Bulk data for INS and DMP is seeded once into
``bench/results/bulk`` (see :mod:`bench.bulk`); a first run spends most of its time there.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import conformance, dmp, ins, mssante, psc, startup

BENCHMARKS: dict[str, Callable[[], list[dict[str, object]]]] = {
    "startup": startup.run,
    "psc": psc.run,
    "mssante": mssante.run,
    "conformance": conformance.run,
    "dmp": dmp.run,
    "ins": ins.run,
}


COLUMNS = ("figure", "value", "baseline", "ratio", "better", "goal")


def _table(results: dict[str, list[dict[str, object]]]) -> Table:
    table = Table(title="socle benchmarks (ratio = socle / baseline run alongside)")
    for column in ("benchmark", "figure", "socle", "baseline", "ratio", "better", "goal"):
        table.add_column(column)
    for name, rows in results.items():
        for row in rows:
            table.add_row(name, *(str(row.get(k, "")) for k in COLUMNS))
    return table


def main(selected: list[str]) -> int:
    console = Console()
    results: dict[str, list[dict[str, object]]] = {}
    seconds: dict[str, float] = {}
    failed = []
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    for name, run in BENCHMARKS.items():
        if selected and name not in selected:
            continue
        console.print(f"[bold]{name}[/bold] …")
        started = time.perf_counter()
        try:
            results[name] = run()
            console.print(_table({name: results[name]}))
        except Exception:  # one broken benchmark must not hide the figures of the others
            console.print(traceback.format_exc())
            failed.append(name)
        seconds[name] = round(time.perf_counter() - started, 1)
        console.print(f"{name}: {seconds[name]} s")
        document = {"time": time.time(), "seconds": seconds, "failed": failed, "results": results}
        (out / "latest.json").write_text(json.dumps(document, indent=2))
    console.print(_table(results))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
