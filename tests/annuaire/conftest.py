"""Clients of the directory: fhirpy (a real FHIR client) and httpx against the shared ``socle up`` stack."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fhirpy import SyncFHIRClient

from tests.support import RunningStack

API_KEY = {"ESANTE-API-KEY": "test-application-key"}


@pytest.fixture(scope="session")
def fhir_base(stack: RunningStack) -> str:
    return f"{stack.base_url}/annuaire/fhir/v2"


@pytest.fixture(scope="session")
def fhir(fhir_base: str) -> SyncFHIRClient:
    return SyncFHIRClient(fhir_base, extra_headers=API_KEY)


@pytest.fixture(scope="session")
def http(fhir_base: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fhir_base, headers=API_KEY, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def seed(stack: RunningStack) -> dict[str, Any]:
    """The fixed test data as the stack publishes it (``/_sim/fixtures``)."""
    with stack.client() as client:
        return client.get("/_sim/fixtures").json()  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def stack_client(stack: RunningStack) -> Iterator[httpx.Client]:
    with stack.client() as client:
        yield client
