"""Entry point of the reference client: ``python -m conformance.reference_client [--mutant NAME]``.

Runs the scenario named by ``CONFORMANCE_SCENARIO`` and writes its outcome to ``CONFORMANCE_RESULT_FILE``:
``completed``, ``refused`` (the software rightly stopped, with the reason) or ``error``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .config import Config
from .mutants import MUTANTS
from .scenarios import Refused, run_scenario


def report(cfg: Config, outcome: dict[str, Any]) -> None:
    if cfg.result_file:
        Path(cfg.result_file).write_text(json.dumps(outcome), encoding="utf-8")
    print(json.dumps(outcome))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="conformance.reference_client")
    parser.add_argument("--mutant", default="", choices=["", *MUTANTS])
    args = parser.parse_args(argv)
    cfg = Config.from_env(args.mutant)
    try:
        details = run_scenario(cfg)
    except Refused as exc:
        report(cfg, {"outcome": "refused", "reason": str(exc)})
        return 0
    except Exception as exc:  # the software reports its error cleanly, as a user would see it
        report(cfg, {"outcome": "error", "reason": f"{type(exc).__name__}: {exc}"})
        return 1
    report(cfg, {"outcome": "completed", **details})
    return 0


if __name__ == "__main__":
    sys.exit(main())
