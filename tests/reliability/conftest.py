"""Fixtures of the reliability suite: tokens on the shared ``stack`` and the bounds of every run."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.psc_login import login
from tests.support import RunningStack

LONG = os.environ.get("SOCLE_LONG") == "1"
"""``SOCLE_LONG=1`` runs the large fuzzing, crash and load runs (marker ``slow``)."""

MT_IDNAT = "810000000017"
"""The first test professional: médecin généraliste, médecin traitant of the reference patient."""
OTHER_IDNAT = "810000000025"
"""A cardiologist; the reference patient has not blocked him."""
THIRD_IDNAT = "810000000090"
REFERENCE_INS = "297022A02077878"
INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if LONG:
        return
    skip = pytest.mark.skip(reason="long run: set SOCLE_LONG=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def tokens(stack: RunningStack) -> dict[str, dict[str, Any]]:
    """Token responses of three professionals, from the real authorization-code flow."""
    return {idnat: login(stack.base_url, idnat=idnat) for idnat in (MT_IDNAT, OTHER_IDNAT, THIRD_IDNAT)}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
