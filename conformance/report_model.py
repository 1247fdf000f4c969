"""The result of a run as plain data: what the JSON report holds and every other report is rendered from.

``socle conformance report run.json --html F`` re-renders a stored run, so a vendor's CI can keep one
JSON artefact and produce the human report later.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

SCHEMA = "socle-conformance-run/1"


@dataclass
class RunReport:
    run_id: str
    base: str
    profile: str
    driver: str
    client_id: str
    started: str
    duration_s: float
    scenarios: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    requirements: list[dict[str, Any]]
    exit_code: int

    def as_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, **asdict(self)}

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_json(), indent=2, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> RunReport:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.pop("schema", None) != SCHEMA:
            raise ValueError(f"{path} is not a socle conformance run report ({SCHEMA})")
        return cls(**data)

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.requirements:
            if item["applicable"]:
                out[item["status"]] = out.get(item["status"], 0) + 1
        return out

    def checks_of(self, requirement: dict[str, Any]) -> list[dict[str, Any]]:
        wanted = set(requirement["checks"])
        return [c for c in self.checks if f"{c['check']}@{c['scenario']}" in wanted]
