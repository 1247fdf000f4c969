"""The traffic timeline: every recorded exchange, filterable, each one expandable."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.kernel.errors import NotFound, ServiceUnavailable

from ..fixtures import fixtures, patient_names, professional_names
from ..rendering import render, templates
from ..status import SERVICE_LABELS
from ..timeline import TimelineQuery, headers_text, request_line, status_class

router = APIRouter()
HELPERS = {"status_class": status_class, "request_line": request_line, "headers_text": headers_text}


@router.get("/traffic")
async def timeline(request: Request) -> Response:
    query = TimelineQuery.from_params(dict(request.query_params))
    response = await request.app.state.gateway.get("sim", "/_sim/traffic", params=query.api_params())
    if response.status_code != 200:
        raise ServiceUnavailable(f"/_sim/traffic answered {response.status_code}")
    body = response.json()
    data = await fixtures(request)
    return await render(
        request,
        "traffic.html",
        query=query,
        total=body["total"],
        exchanges=body["exchanges"],
        pages=query.pages(body["total"]),
        services=SERVICE_LABELS,
        professionals=professional_names(data),
        patients=patient_names(data),
        clients=[c["client_id"] for c in data.get("clients", [])],
        **HELPERS,
    )


async def _exchange(request: Request, exchange_id: int) -> dict[str, object]:
    response = await request.app.state.gateway.get("sim", f"/_sim/traffic/{exchange_id}")
    if response.status_code == 404:
        raise NotFound(f"no exchange {exchange_id} in the traffic record")
    return response.json()  # type: ignore[no-any-return]


@router.get("/traffic/{exchange_id}")
async def one_exchange(request: Request, exchange_id: int) -> Response:
    exchange = await _exchange(request, exchange_id)
    return await render(request, "exchange.html", exchange=exchange, **HELPERS)


@router.get("/traffic/{exchange_id}/fragment")
async def exchange_fragment(request: Request, exchange_id: int) -> Response:
    """The body of one exchange, fetched when its row is expanded (keeps the list page light)."""
    exchange = await _exchange(request, exchange_id)
    return templates.TemplateResponse(request, "_exchange.html", {"exchange": exchange, **HELPERS})
