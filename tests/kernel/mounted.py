"""A miniature one-process stack: a root app with a route of its own and an ``ins`` app mounted at ``/ins``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from starlette.routing import Mount

from services.runner import ServiceShortcut


def mounted_stack(*, shortcut: bool = False) -> tuple[FastAPI, list[str]]:
    """The root app (with the runner's shortcut to ``/ins`` when asked) and the paths its middleware saw.

    The mounted app answers with the scope it was given, so tests can compare the ways a request reaches it.
    """
    ins = FastAPI()

    @ins.get("/fhir/Patient")
    async def patients(request: Request) -> dict[str, Any]:
        scope = request.scope
        return {"path": scope["path"], "root_path": scope["root_path"], "url": str(request.url)}

    root, outer = FastAPI(), []

    @root.get("/_sim/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @root.middleware("http")
    async def count(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        outer.append(request.url.path)
        return await call_next(request)

    root.router.routes.append(Mount("/ins", app=ins))
    if shortcut:
        root.add_middleware(ServiceShortcut, mounts={"/ins": ins})
    return root, outer
