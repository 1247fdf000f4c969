"""The ``/_sim`` routes that make the simulator steerable: health, fixtures, traffic, reset, faults.

In one process the runner serves them once at the root for every service; a service run alone serves
them for itself. Same router, given the runtime whose services it speaks for.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.responses import JSONResponse

from .errors import NotFound
from .faults import FaultRule
from .runtime import Runtime
from .traffic import Exchange


class ResetRequest(BaseModel):
    services: list[str] | None = None
    traffic: bool = True


def exchange_json(exchange: Exchange, *, bodies: bool) -> dict[str, Any]:
    data = exchange.model_dump(mode="json")
    if not bodies:
        for key in ("request_headers", "request_body", "response_headers", "response_body"):
            data.pop(key, None)
    return data


def sim_router(runtime: Runtime) -> APIRouter:
    router = APIRouter(prefix="/_sim", tags=["simulator"])

    @router.get("/health")
    async def health() -> JSONResponse:
        services = {name: app.state.readiness.as_json() for name, app in runtime.apps.items()}
        ready = bool(services) and all(s["status"] == "ready" for s in services.values())
        body = {"status": "ready" if ready else "starting", "services": services}
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/fixtures")
    async def fixtures() -> dict[str, Any]:
        return runtime.fixtures.as_json()

    @router.get("/traffic")
    async def traffic(
        service: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        client_id: str | None = None,
        idnat: str | None = None,
        patient: str | None = None,
        run: str | None = None,
        caller: str | None = None,
        since_id: int | None = None,
        since: datetime | None = None,
        limit: int = Query(100, ge=1, le=5000),
        offset: int = Query(0, ge=0),
        order: str = Query("asc", pattern="^(asc|desc)$"),
        bodies: bool = True,
    ) -> dict[str, Any]:
        filters = {
            "service": service,
            "method": method.upper() if method else None,
            "path": path,
            "status": status,
            "client_id": client_id,
            "idnat": idnat,
            "patient": patient,
            "run": run,
            "caller": caller,
            "since_id": since_id,
            "since": since,
        }
        total, rows = await runtime.recorder.query(
            filters, limit=limit, offset=offset, newest_first=order == "desc"
        )
        return {"total": total, "exchanges": [exchange_json(row, bodies=bodies) for row in rows]}

    @router.get("/traffic/{exchange_id}")
    async def one_exchange(exchange_id: int) -> dict[str, Any]:
        exchange = await runtime.recorder.get(exchange_id)
        if exchange is None:
            raise NotFound(f"no exchange {exchange_id}")
        return exchange_json(exchange, bodies=True)

    @router.post("/reset")
    async def reset(request: ResetRequest | None = None) -> dict[str, Any]:
        request = request or ResetRequest()
        done = []
        for name, app in runtime.apps.items():
            if request.services is not None and name not in request.services:
                continue
            if app.state.reset is not None:
                await app.state.reset()
                done.append(name)
        if request.traffic:
            await runtime.recorder.clear()
        runtime.faults.clear()
        return {"reset": done, "traffic": request.traffic}

    @router.get("/faults")
    async def list_faults() -> list[dict[str, Any]]:
        return runtime.faults.as_json()

    @router.post("/faults", status_code=201)
    async def add_fault(rule: FaultRule) -> dict[str, Any]:
        return runtime.faults.add(rule).model_dump()

    @router.delete("/faults")
    async def clear_faults() -> dict[str, Any]:
        runtime.faults.clear()
        return {"faults": []}

    return router
