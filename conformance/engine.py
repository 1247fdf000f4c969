"""Evaluate checks against the evidence of each scenario and roll the results up per requirement.

Roll-up follows Inferno's result summariser: a requirement takes the worst status of its checks (error >
fail > not-tested > pass); a requirement no check covers is not tested. A run succeeds (exit code 0)
only when every applicable DOIT requirement the suite can verify passes — not-tested counts as a miss,
so a driver that did nothing can never make a run green.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Any

from .catalogue import Requirement
from .checks import SEVERITY, Check, Fail, NotTested, Status
from .evidence import ScenarioEvidence


@dataclass
class CheckResult:
    check: str
    scenario: str
    status: Status
    message: str
    title: str = ""
    requirements: tuple[str, ...] = ()
    evidence: list[dict[str, Any]] = field(default_factory=list)
    description: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "scenario": self.scenario,
            "status": str(self.status),
            "message": self.message,
            "title": self.title,
            "requirements": list(self.requirements),
            "description": self.description,
            "evidence": self.evidence,
        }


@dataclass
class RequirementResult:
    requirement: Requirement
    status: Status
    results: list[CheckResult]
    applicable: bool

    @property
    def blocking(self) -> bool:
        """Whether this requirement decides the exit code."""
        return self.applicable and self.requirement.mandatory and self.requirement.automated

    def as_json(self) -> dict[str, Any]:
        return {
            **self.requirement.as_json(),
            "status": str(self.status),
            "applicable": self.applicable,
            "blocking": self.blocking,
            "checks": [result.check + "@" + result.scenario for result in self.results],
        }


def worst(statuses: list[Status]) -> Status:
    return max(statuses, key=SEVERITY.__getitem__) if statuses else Status.NOT_TESTED


def evaluate_check(check: Check, evidence: ScenarioEvidence | None, scenario: str) -> CheckResult:
    """Run one check on one scenario's evidence; every outcome becomes a result, none escapes."""
    result = CheckResult(
        check.id, scenario, Status.ERROR, "", check.title, check.requirements, description=check.description
    )
    if evidence is None:
        result.status, result.message = Status.NOT_TESTED, f"scenario {scenario} was not run"
        return result
    evidence.used = []
    try:
        note = check.function(evidence)
        result.status, result.message = Status.PASS, note or "ok"
    except Fail as exc:
        result.status, result.message = Status.FAIL, str(exc)
    except NotTested as exc:
        result.status, result.message = Status.NOT_TESTED, str(exc)
    except Exception as exc:  # a broken check is reported, never crashes the run
        tail = traceback.format_exception_only(exc)[-1].strip()
        result.status, result.message = Status.ERROR, f"the check raised {tail}"
    result.evidence = [ex.raw for ex in evidence.used]
    return result


def evaluate(checks: dict[str, Check], evidence: dict[str, ScenarioEvidence]) -> list[CheckResult]:
    return [
        evaluate_check(check, evidence.get(scenario), scenario)
        for check in checks.values()
        for scenario in check.scenarios
    ]


def roll_up(
    catalogue: dict[str, Requirement], results: list[CheckResult], profile: str
) -> list[RequirementResult]:
    out = []
    for requirement in catalogue.values():
        mine = [result for result in results if requirement.id in result.requirements]
        out.append(
            RequirementResult(
                requirement,
                worst([result.status for result in mine]),
                mine,
                applicable=requirement.applies_to(profile),
            )
        )
    return out


def exit_code(requirements: list[RequirementResult]) -> int:
    blocking = [result for result in requirements if result.blocking]
    return 0 if blocking and all(result.status is Status.PASS for result in blocking) else 1


def uncovered(catalogue: dict[str, Requirement], checks: dict[str, Check]) -> list[Requirement]:
    """Automated requirements that no check proves: the coverage gap ``socle conformance list`` shows."""
    covered = {requirement for check in checks.values() for requirement in check.requirements}
    return [r for r in catalogue.values() if r.automated and r.id not in covered]
