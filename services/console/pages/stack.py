"""Status, test data and fault injection: the pages that only need the kernel's ``/_sim`` routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from services.kernel.errors import BadRequest
from services.kernel.settings import SERVICE_PREFIXES

from ..fixtures import fixtures, professional_names
from ..rendering import render
from ..status import SERVICE_LABELS, endpoints, service_health, test_ca_url

router = APIRouter()


@router.get("/")
async def status(request: Request) -> Response:
    response = await request.app.state.gateway.get("sim", "/_sim/health")
    body = response.json()
    return await render(
        request,
        "status.html",
        overall=body.get("status", "unknown"),
        services=service_health(body),
        endpoints=endpoints(request.app.state.settings),
        test_ca=test_ca_url(request.app.state.settings),
    )


@router.get("/data")
async def test_data(request: Request) -> Response:
    data = await fixtures(request)
    organisations = {o["key"]: o for o in data["organisations"]}
    return await render(
        request, "data.html", data=data, organisations=organisations, names=professional_names(data)
    )


@router.get("/faults")
async def faults(request: Request) -> Response:
    response = await request.app.state.gateway.get("sim", "/_sim/faults")
    return await render(request, "faults.html", rules=response.json(), services=SERVICE_LABELS, message=None)


@router.post("/faults")
async def add_fault(
    request: Request,
    service: Annotated[str, Form()],
    path: Annotated[str, Form()] = "",
    method: Annotated[str, Form()] = "",
    status: Annotated[int | None, Form(ge=400, le=599)] = None,
    latency_ms: Annotated[int, Form(ge=0, le=120_000)] = 0,
    count: Annotated[int | None, Form(ge=1)] = None,
) -> Response:
    if service != "*" and service not in SERVICE_PREFIXES:
        raise BadRequest(f"unknown service {service!r}")
    rule = {
        "service": service,
        "path": path.strip(),
        "method": method.strip().upper() or None,
        "status": status,
        "latency_ms": latency_ms,
        "count": count,
    }
    answer = await request.app.state.gateway.send("POST", "sim", "/_sim/faults", json=rule)
    if answer.status_code != 201:
        listing = await request.app.state.gateway.get("sim", "/_sim/faults")
        return await render(
            request,
            "faults.html",
            status_code=400,
            rules=listing.json(),
            services=SERVICE_LABELS,
            message=answer.json().get("message", answer.text),
        )
    return RedirectResponse("/faults", status_code=303)


@router.post("/faults/clear")
async def clear_faults(request: Request) -> Response:
    await request.app.state.gateway.send("DELETE", "sim", "/_sim/faults")
    return RedirectResponse("/faults", status_code=303)


@router.post("/reset")
async def reset(request: Request) -> Response:
    await request.app.state.gateway.send("POST", "sim", "/_sim/reset", json={})
    return RedirectResponse("/", status_code=303)
