"""Build a service app the same way for every service: middleware, errors, readiness, peers, ``/_sim``.

A service's ``create_app`` calls :func:`service_app` with its own lifespan (open the database, seed,
start listeners). The wrapper runs that lifespan, marks the service ready only once it has finished,
and records why when it fails, so ``/_sim/health`` never reports a half-initialised service as ready.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import (
    ErrorFormat,
    FormatChooser,
    ServiceUnavailable,
    error_format_of,
    install_error_handlers,
    render_error,
)
from .faults import FaultMiddleware
from .limits import BodyLimitMiddleware
from .peers import Peers
from .runtime import Readiness, Runtime
from .settings import Settings
from .sim import sim_router
from .traffic import TrafficMiddleware, relative_path

log = logging.getLogger("socle")

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def service_app(
    name: str,
    settings: Settings,
    *,
    title: str,
    error_format: ErrorFormat | FormatChooser,
    lifespan: Lifespan | None = None,
    runtime: Runtime | None = None,
    max_body_bytes: int | None = None,
) -> FastAPI:
    """A FastAPI app for service ``name``; standalone when no shared ``runtime`` is given."""
    standalone = runtime is None
    runtime = runtime or Runtime(settings)

    @asynccontextmanager
    async def wrapped(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            stack.push_async_callback(app.state.peers.close)
            started: set[str] = set()

            async def start() -> None:
                if standalone and "runtime" not in started:
                    await stack.enter_async_context(runtime.lifespan())
                    started.add("runtime")
                if lifespan is not None:
                    await stack.enter_async_context(lifespan(app))
                app.state.readiness.set("app", "ready", url=settings.base_url)

            try:
                await start()
            except Exception as exc:
                _report_failure(app, exc)
                retrying = asyncio.create_task(_retry(app, start), name=f"{name}-start")
                stack.callback(retrying.cancel)
            yield

    app = FastAPI(
        title=title, lifespan=wrapped, docs_url="/_docs", redoc_url=None, openapi_url="/_openapi.json"
    )
    app.state.name = name
    app.state.settings = settings
    app.state.runtime = runtime
    app.state.readiness = Readiness()
    app.state.peers = Peers(settings, runtime.internal_token)
    app.state.reset = None
    install_error_handlers(app, error_format)
    app.add_middleware(NotReadyGuard, owner=app)
    app.add_middleware(FaultMiddleware, service=name, book=runtime.faults, owner=app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes or settings.max_body_bytes, owner=app)
    app.add_middleware(TrafficMiddleware, service=name, recorder=runtime.recorder, mount=settings.mount)
    runtime.register(name, app)
    if standalone:
        app.include_router(sim_router(runtime))
    return app


RETRY_FIRST_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0


def _report_failure(app: FastAPI, exc: Exception) -> None:
    log.warning("%s failed to start: %s: %s (retrying)", app.state.name, type(exc).__name__, exc)
    app.state.readiness.set("app", "failed", f"{type(exc).__name__}: {exc}"[:500])


async def _retry(app: FastAPI, start: Callable[[], Awaitable[None]]) -> None:
    """Start again until it works (a database or peer that was down comes back), backing off to 30 s."""
    delay = RETRY_FIRST_SECONDS
    while True:
        await asyncio.sleep(delay)
        try:
            await start()
            return
        except Exception as exc:
            _report_failure(app, exc)
            delay = min(delay * 2, RETRY_MAX_SECONDS)


class NotReadyGuard:
    """A service that has not started answers 503 with the reason, instead of failing half-initialised."""

    def __init__(self, app: ASGIApp, *, owner: FastAPI) -> None:
        self.app = app
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        component = self.owner.state.readiness.components["app"]
        if scope["type"] != "http" or component.status == "ready" or relative_path(scope).startswith("/_sim"):
            await self.app(scope, receive, send)
            return
        error = ServiceUnavailable(
            f"{self.owner.state.name} is not ready: {component.detail or component.status}"
        )
        await render_error(error, error_format_of(self.owner, relative_path(scope)))(scope, receive, send)
