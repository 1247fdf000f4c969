"""Drive ``socle seed``: each service that can take bulk data exposes ``services.<name>.bulk.seed``.

A service's ``seed(settings, plan, advance)`` writes its share (INS the identities, the directory the
professionals, DMP the documents) straight into its own database in large transactions and calls
``advance(n)`` as it goes; this module owns the progress bar only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from .settings import Settings


@dataclass(frozen=True)
class SeedPlan:
    patients: int = 0
    professionals: int = 0
    documents: int = 0
    seed: int = 0


Advance = Callable[[int], None]


def run_seed(
    settings: Settings, plan: SeedPlan, hooks: dict[str, ModuleType], *, console: Console
) -> dict[str, int]:
    counts: dict[str, int] = {}
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        for name, module in hooks.items():
            total = module.planned(plan)
            if not total:
                continue
            task = progress.add_task(name, total=total)
            service_settings = settings.model_copy(update={"service": name})
            counts[name] = module.seed(service_settings, plan, lambda n, t=task: progress.advance(t, n))
    return counts
