"""The stack's fixed test data, read once from ``/_sim/fixtures`` (it never changes while running)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from services.kernel.errors import ServiceUnavailable


async def fixtures(request: Request) -> dict[str, Any]:
    cached: dict[str, Any] | None = request.app.state.fixtures
    if cached is None:
        response = await request.app.state.gateway.get("sim", "/_sim/fixtures")
        if response.status_code != 200:
            raise ServiceUnavailable(f"/_sim/fixtures answered {response.status_code}")
        cached = request.app.state.fixtures = response.json()
    return cached


def professional_names(data: dict[str, Any]) -> dict[str, str]:
    """idNat → "DR JULIE MARTIN-SOCLE", to show names where the record only holds an idNat."""
    return {
        p["idnat"]: " ".join(part for part in (p["title"], p["given_name"], p["family_name"]) if part)
        for p in data.get("professionals", [])
    }


def patient_names(data: dict[str, Any]) -> dict[str, str]:
    return {p["ins"]: f"{p['birth_name']} {p['first_name']}" for p in data.get("patients", [])}
