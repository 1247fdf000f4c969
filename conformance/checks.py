"""Checks: one small function each, with an ID and the requirements it proves.

A check reads the evidence of the scenarios it names and signals its verdict Inferno-style: returning
normally is a pass, :func:`fail` / :func:`expect` raise :class:`Fail`, :func:`not_tested` raises
:class:`NotTested`, any other exception is an ``error``. Bare ``assert`` is never used (stripped by
``python -O``). A check that finds no evidence must fail, never pass: :meth:`Evidence.require` helps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from .evidence import ScenarioEvidence


class Status(StrEnum):
    """Result of a check or of a requirement, ordered from best to worst by :data:`SEVERITY`."""

    PASS = "pass"
    NOT_TESTED = "not-tested"
    FAIL = "fail"
    ERROR = "error"


SEVERITY = {Status.PASS: 0, Status.NOT_TESTED: 1, Status.FAIL: 2, Status.ERROR: 3}


class Fail(Exception):
    """The evidence shows the software does not meet the requirement."""


class NotTested(Exception):
    """The scenario did not run or did not reach the point this check looks at."""


def fail(message: str) -> NoReturn:
    raise Fail(message)


def expect(condition: object, message: str) -> None:
    if not condition:
        raise Fail(message)


def not_tested(message: str) -> NoReturn:
    raise NotTested(message)


CheckFunction = Callable[["ScenarioEvidence"], str | None]
"""Receives the evidence of one scenario; may return a short note shown with a pass."""


@dataclass(frozen=True)
class Check:
    id: str
    requirements: tuple[str, ...]
    scenarios: tuple[str, ...]
    title: str
    function: CheckFunction

    @property
    def description(self) -> str:
        return (self.function.__doc__ or "").strip()


REGISTRY: dict[str, Check] = {}


def check(
    id: str, requirements: list[str], *, scenarios: list[str], title: str
) -> Callable[[CheckFunction], CheckFunction]:
    """Register ``function`` as check ``id`` proving ``requirements`` from each of ``scenarios``."""

    def register(function: CheckFunction) -> CheckFunction:
        if id in REGISTRY:
            raise ValueError(f"check {id} is defined twice")
        REGISTRY[id] = Check(id, tuple(requirements), tuple(scenarios), title, function)
        return function

    return register


def all_checks() -> dict[str, Check]:
    """Every check, once the suites that define them are imported."""
    from . import suites  # noqa: F401  (importing registers the checks)

    return REGISTRY
