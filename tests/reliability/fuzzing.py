"""Schemathesis over one service's OpenAPI document against a running stack, counted and collected.

The checks are the ones a vendor relies on: no 5xx, no answer that breaks the documented schema, no hang
(every request has a timeout, so a hang shows as a transport error).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

TIMEOUT = 15.0
"""Seconds a single answer may take before it counts as a hang."""


@dataclass
class FuzzRun:
    requests: int = 0
    failures: list[str] = field(default_factory=list)


def fuzz_service(
    base_url: str,
    prefix: str,
    *,
    headers: dict[str, str],
    examples: int,
    include: Callable[[str, str], bool],
    run: FuzzRun,
) -> None:
    """Every operation of ``{base_url}{prefix}/_openapi.json`` accepted by ``include(method, path)``,
    fed ``examples`` positive and ``examples`` negative cases; one request in five goes without credentials."""
    schema = schemathesis.openapi.from_url(f"{base_url}{prefix}/_openapi.json")
    for result in schema.get_all_operations():
        operation = result.ok()
        if not include(operation.method.upper(), operation.path):
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _fuzz_operation(operation, mode, f"{base_url}{prefix}", headers, examples, run)


def _fuzz_operation(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    base_url: str,
    headers: dict[str, str],
    examples: int,
    run: FuzzRun,
) -> None:
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def one(case: schemathesis.Case) -> None:
        sent = {**headers, **(case.headers or {})} if run.requests % 5 else dict(case.headers or {})
        run.requests += 1
        try:
            response = case.call(base_url=base_url, headers=sent, timeout=TIMEOUT)
        except Exception as error:  # a hang or a dropped connection is a finding, not a test crash
            run.failures.append(f"{operation.label}: {type(error).__name__} {error}")
            return
        if response.status_code >= 500:
            run.failures.append(
                f"{operation.label}: {response.status_code} {response.text[:300]}\n{case.as_curl_command()}"
            )
            return
        try:
            case.validate_response(response, checks=[response_schema_conformance], headers=sent)
        except Exception as error:
            run.failures.append(f"{operation.label}: schema {str(error)[:400]}")

    with contextlib.suppress(Unsatisfiable):  # an operation without parameters has no negative case
        one()


def api_key_and_token(token: str) -> dict[str, str]:
    """The credentials every service accepts: a PSC bearer token and an Annuaire API key."""
    return {"Authorization": f"Bearer {token}", "ESANTE-API-KEY": "socle-fuzz"}
