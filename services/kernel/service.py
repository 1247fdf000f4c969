"""Build a service app the same way for every service: middleware, errors, readiness, peers, ``/_sim``.

A service's ``create_app`` calls :func:`service_app` with its own lifespan (open the database, seed,
start listeners). The wrapper runs that lifespan, marks the service ready only once it has finished,
and records why when it fails, so ``/_sim/health`` never reports a half-initialised service as ready.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from fastapi import FastAPI

from .errors import ErrorFormat, FormatChooser, install_error_handlers
from .faults import FaultMiddleware
from .limits import BodyLimitMiddleware
from .peers import Peers
from .runtime import Readiness, Runtime
from .settings import Settings
from .sim import sim_router
from .traffic import TrafficMiddleware

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
            if standalone:
                await stack.enter_async_context(runtime.lifespan())
            stack.push_async_callback(app.state.peers.close)
            try:
                if lifespan is not None:
                    await stack.enter_async_context(lifespan(app))
            except Exception as exc:
                app.state.readiness.set("app", "failed", f"{type(exc).__name__}: {exc}")
                raise
            app.state.readiness.set("app", "ready", url=settings.base_url)
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
    app.add_middleware(FaultMiddleware, service=name, book=runtime.faults, owner=app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=max_body_bytes or settings.max_body_bytes, owner=app)
    app.add_middleware(TrafficMiddleware, service=name, recorder=runtime.recorder)
    runtime.register(name, app)
    if standalone:
        app.include_router(sim_router(runtime))
    return app
