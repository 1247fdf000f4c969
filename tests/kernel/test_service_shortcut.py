"""The one-process stack hands a service's requests straight to its app, with the scope its Mount gives."""

from __future__ import annotations

import asyncio

import httpx
from fastapi import FastAPI

from .mounted import mounted_stack


async def _get(app: FastAPI, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://socle") as client:
        return await client.get(path)


def test_a_service_request_skips_the_root_layers_and_sees_the_mounts_scope() -> None:
    short, short_outer = mounted_stack(shortcut=True)
    routed, routed_outer = mounted_stack(shortcut=False)
    direct = asyncio.run(_get(short, "/ins/fhir/Patient?identifier=x")).json()
    through_router = asyncio.run(_get(routed, "/ins/fhir/Patient?identifier=x")).json()
    assert (
        direct
        == through_router
        == {
            "path": "/ins/fhir/Patient",
            "root_path": "/ins",
            "url": "http://socle/ins/fhir/Patient?identifier=x",
        }
    )
    assert short_outer == [] and routed_outer == ["/ins/fhir/Patient"]


def test_root_routes_and_the_bare_prefix_take_the_usual_way() -> None:
    root, outer = mounted_stack(shortcut=True)
    assert asyncio.run(_get(root, "/_sim/health")).json() == {"status": "ok"}
    bare = asyncio.run(_get(root, "/ins"))
    unchanged = asyncio.run(_get(mounted_stack(shortcut=False)[0], "/ins"))
    assert (bare.status_code, bare.headers["location"]) == (
        unchanged.status_code,
        unchanged.headers["location"],
    )
    assert bare.status_code == 307 and bare.headers["location"].endswith("/ins/")  # the router's redirect
    assert asyncio.run(_get(root, "/insurance/fhir/Patient")).status_code == 404
    assert outer == ["/_sim/health", "/ins", "/insurance/fhir/Patient"]
