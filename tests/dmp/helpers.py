"""Small HTTP helpers shared by the DMP tests (in-process client or real stack alike)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.dmp.builders import INS_NIR, REFERENCE_INS


def patient_query(ins: str = REFERENCE_INS, system: str = INS_NIR, **extra: str) -> dict[str, str]:
    return {"patient.identifier": f"{system}|{ins}", "status": "current", **extra}


def location_id(response: httpx.Response, index: int) -> str:
    """The id in the ``location`` of one transaction-response entry."""
    return str(response.json()["entry"][index]["response"]["location"].split("/")[1])


def ids(bundle: dict[str, Any]) -> list[str]:
    return [
        e["resource"]["id"]
        for e in bundle.get("entry", [])
        if e["resource"]["resourceType"] == "DocumentReference"
    ]


def assert_outcome(response: httpx.Response, status: int, expression: str) -> None:
    """The response is ``status`` with an OperationOutcome naming ``expression`` (prefix match)."""
    assert response.status_code == status, response.text
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    named = [e for issue in outcome["issue"] for e in issue.get("expression", [])]
    assert any(e.startswith(expression) for e in named), (expression, named, outcome)


def json_patch(path: str, value: Any, op: str = "replace") -> list[dict[str, Any]]:
    return [{"op": op, "path": path, "value": value}]


JSON_PATCH = {"Content-Type": "application/json-patch+json"}
