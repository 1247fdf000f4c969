"""``make bench``: run every benchmark, print ratios, write ``bench/results/latest.json``."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import startup

BENCHMARKS = {"startup": startup.run}


def main(selected: list[str]) -> int:
    console = Console()
    results: dict[str, list[dict[str, object]]] = {}
    for name, run in BENCHMARKS.items():
        if selected and name not in selected:
            continue
        console.print(f"[bold]{name}[/bold] …")
        results[name] = run()
    table = Table(title="socle benchmarks (ratios against baselines run alongside)")
    for column in ("benchmark", "figure", "socle", "baseline", "ratio", "goal"):
        table.add_column(column)
    for name, rows in results.items():
        for row in rows:
            table.add_row(
                name, *(str(row.get(k, "")) for k in ("figure", "value", "baseline", "ratio", "goal"))
            )
    console.print(table)
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps({"time": time.time(), "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
