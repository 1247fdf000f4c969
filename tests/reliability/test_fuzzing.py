"""Schemathesis over every OpenAPI operation of every service, authenticated: no 5xx, no answer that
breaks its own schema, no hang. ``make test`` runs a few cases per operation on the shared stack (no
destructive operation: other tests share it); ``SOCLE_LONG=1`` runs many on a stack of its own, DELETEs
and administration included."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.psc_login import login
from tests.support import RunningStack, start_stack

from .conftest import MT_IDNAT
from .fuzzing import FuzzRun, api_key_and_token, fuzz_service

SERVICES = ("/psc", "/annuaire", "/ins", "/dmp", "/mss")
SHARED_UNSAFE = ("/socle/keys/rotate", "/{operation}")
"""Operations that change what other tests on the shared stack rely on (with DELETE)."""


def documented_fault(failure: str) -> bool:
    """INSi answers its SOAP faults with HTTP 500 as the real teleservice does (``SOCLE_INSI_FAULT_STATUS``)."""
    return failure.startswith("POST /insi: 500") and ":Fault>" in failure


def shared_safe(method: str, path: str) -> bool:
    return method != "DELETE" and not path.endswith(SHARED_UNSAFE)


def fuzz(base_url: str, prefix: str, examples: int, include: object) -> FuzzRun:
    run = FuzzRun()
    headers = api_key_and_token(login(base_url, idnat=MT_IDNAT)["access_token"])
    fuzz_service(base_url, prefix, headers=headers, examples=examples, include=include, run=run)  # type: ignore[arg-type]
    run.failures = [f for f in run.failures if not documented_fault(f)]
    print(f"fuzzed {prefix}: {run.requests} requests")
    return run


@pytest.mark.parametrize("prefix", SERVICES)
def test_bounded_fuzzing_finds_no_server_error(stack: RunningStack, prefix: str) -> None:
    run = fuzz(stack.base_url, prefix, 10, shared_safe)
    assert run.requests > 0
    assert not run.failures, "\n\n".join(run.failures[:10])


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_long_fuzzing_of_every_operation(tmp_path: Path) -> None:
    own = start_stack(tmp_path / "stack")
    try:
        runs = [fuzz(own.base_url, prefix, 100, lambda method, path: True) for prefix in SERVICES]
    finally:
        own.stop()
    failures = [f for run in runs for f in run.failures]
    assert not failures, "\n\n".join(failures[:20])
    assert "Traceback" not in own.log()
