"""Conformance runs: start one with the reference client, follow it, read its report and evidence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import FileResponse, RedirectResponse, Response

from conformance.catalogue import PROFILES
from conformance.reference_client.mutants import MUTANTS
from conformance.scenarios import SCENARIOS
from services.kernel.errors import BadRequest, NotFound

from ..rendering import render

router = APIRouter()


@router.get("/conformance")
async def runs(request: Request) -> Response:
    return await render(
        request,
        "conformance.html",
        runs=await request.app.state.runs.recent(),
        profiles=PROFILES,
        scenarios=SCENARIOS,
        mutants=MUTANTS.values(),
    )


@router.post("/conformance")
async def start(
    request: Request,
    profile: Annotated[str, Form()] = "lgc",
    mutant: Annotated[str, Form()] = "",
    scenario: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Start a run of the chosen scenarios (every one when none is ticked)."""
    if mutant and mutant not in MUTANTS:
        raise BadRequest(f"unknown mutant {mutant!r} of the reference client")
    if profile not in PROFILES:
        raise BadRequest(f"unknown profile {profile!r}; one of {', '.join(PROFILES)}")
    unknown = set(scenario or ()) - {s.id for s in SCENARIOS}
    if unknown:
        raise BadRequest(f"unknown scenario {', '.join(sorted(unknown))}")
    run = await request.app.state.runs.start(profile=profile, mutant=mutant, scenarios=scenario or [])
    return RedirectResponse(f"/conformance/{run.id}", status_code=303)


@router.get("/conformance/{run_id}")
async def one_run(request: Request, run_id: str) -> Response:
    run = await request.app.state.runs.get(run_id)
    if run is None:
        raise NotFound(f"no conformance run {run_id}")
    report = request.app.state.runs.report(run_id) if run.status != "running" else None
    counts: dict[str, int] = {}
    for requirement in (report or {}).get("requirements", []):
        if requirement.get("applicable"):
            counts[requirement["status"]] = counts.get(requirement["status"], 0) + 1
    return await render(
        request,
        "conformance_run.html",
        run=run,
        report=report,
        counts=counts,
        output=request.app.state.runs.output(run_id),
    )


@router.get("/conformance/{run_id}/report.html")
async def html_report(request: Request, run_id: str) -> Response:
    """The suite's own self-contained HTML report, evidence included."""
    return _file(request, run_id, "report.html", "text/html; charset=utf-8")


@router.get("/conformance/{run_id}/run.json")
async def json_report(request: Request, run_id: str) -> Response:
    return _file(request, run_id, "run.json", "application/json")


def _file(request: Request, run_id: str, name: str, media_type: str) -> Response:
    if not run_id.replace("-", "").isalnum():
        raise NotFound(f"no conformance run {run_id}")
    path = request.app.state.runs.folder(run_id) / name
    if not path.exists():
        raise NotFound(f"run {run_id} has no {name} (yet)")
    return FileResponse(path, media_type=media_type)
