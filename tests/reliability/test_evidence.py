"""The traffic record is the conformance suite's evidence: one hostile request must not stop it."""

from __future__ import annotations

import time
import uuid

import httpx

from tests.psc_login import login
from tests.support import RunningStack

from .conftest import MT_IDNAT, bearer


def recorded(stack: RunningStack, path: str, marker: str) -> bool:
    answer = httpx.get(
        f"{stack.base_url}/_sim/traffic",
        params={"path": path, "order": "desc", "limit": "200", "bodies": "false"},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text[:200]
    return any(marker in (e.get("query") or "") for e in answer.json()["exchanges"])


def test_a_lone_surrogate_in_a_json_body_does_not_stop_the_record(stack: RunningStack) -> None:
    headers = bearer(login(stack.base_url, idnat=MT_IDNAT)["access_token"]) | {
        "Content-Type": "application/fhir+json"
    }
    hostile = httpx.post(
        f"{stack.base_url}/ins/fhir/Patient/$match",
        content=b'{"resourceType": "Parameters", "id": "\\ud800"}',
        headers=headers,
        timeout=30,
    )
    assert 400 <= hostile.status_code < 500 or hostile.status_code == 200, hostile.text[:200]
    marker = uuid.uuid4().hex
    httpx.get(f"{stack.base_url}/ins/fhir/Patient", params={"family": marker}, headers=headers, timeout=30)
    deadline = time.monotonic() + 20
    while not recorded(stack, "/ins/fhir/Patient", marker):
        assert time.monotonic() < deadline, "the exchange after the hostile one was never recorded"
        time.sleep(0.3)
