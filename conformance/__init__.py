"""socle's conformance suite: requirement catalogue, checks over recorded evidence, runs, reports."""

from .checks import Check, Fail, NotTested, Status, check, expect, fail, not_tested
from .evidence import Exchange, ScenarioEvidence

__all__ = [
    "Check",
    "Exchange",
    "Fail",
    "NotTested",
    "ScenarioEvidence",
    "Status",
    "check",
    "expect",
    "fail",
    "not_tested",
]
