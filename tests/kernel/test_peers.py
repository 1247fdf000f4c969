"""Peer clients in one process: a peer is reached at its mounted app, as the stack's router would."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from services.kernel.peers import IN_PROCESS_HOST, Peers
from services.kernel.settings import Settings

from .mounted import mounted_stack


def test_a_peer_is_reached_at_its_mounted_app_with_the_paths_the_router_gives() -> None:
    root, outer = mounted_stack()

    async def both() -> tuple[dict[str, Any], dict[str, Any]]:
        peers = Peers(Settings(service="dmp"), "secret")
        peers.attach(httpx.ASGITransport(app=root))
        through_root = httpx.AsyncClient(transport=httpx.ASGITransport(app=root), base_url=IN_PROCESS_HOST)
        try:
            direct = (await peers.client("ins").get("/fhir/Patient", params={"identifier": "x"})).json()
            routed = (await through_root.get("/ins/fhir/Patient", params={"identifier": "x"})).json()
        finally:
            await peers.close()
            await through_root.aclose()
        return direct, routed

    direct, routed = asyncio.run(both())
    assert (
        direct
        == routed
        == {
            "path": "/ins/fhir/Patient",
            "root_path": "/ins",
            "url": f"{IN_PROCESS_HOST}/ins/fhir/Patient?identifier=x",
        }
    )
    assert outer == ["/ins/fhir/Patient"]  # the routed call only: the peer call skipped the outer stack


def test_a_transport_that_is_not_asgi_is_used_as_given() -> None:
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, json={})

    async def call() -> None:
        peers = Peers(Settings(service="dmp"), "secret")
        peers.attach(httpx.MockTransport(answer))
        try:
            await peers.client("ins").get("/fhir/Patient")
        finally:
            await peers.close()

    asyncio.run(call())
    assert calls == [f"{IN_PROCESS_HOST}/ins/fhir/Patient"]
