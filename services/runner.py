"""The one-process stack: every service app mounted under its prefix on one port.

Starlette does not run the lifespan of a mounted app, so the root lifespan enters each service's
lifespan itself, after handing every service the in-process transport through which it reaches its
peers. A service that fails to start is reported by ``/_sim/health`` (503, with the reason) instead
of taking the others down.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI
from starlette.routing import Mount

from services.kernel.errors import ErrorFormat, FormatChooser, error_format_of, install_error_handlers
from services.kernel.limits import BodyLimitMiddleware
from services.kernel.runtime import Runtime
from services.kernel.settings import SERVICE_PREFIXES, Settings
from services.kernel.sim import sim_router

SERVICES = tuple(SERVICE_PREFIXES)
"""Start order: PSC first (every other service checks its tokens), then the directory and INS."""

CONSOLE = "console"
"""The web console, mounted at ``/`` after every service; it reaches them over HTTP like any client."""

AppFactory = Callable[[Settings | None, Runtime | None], FastAPI]


def service_factory(name: str) -> AppFactory:
    module = importlib.import_module(f"services.{name}.app")
    return module.create_app  # type: ignore[no-any-return]


def service_settings(settings: Settings, name: str, *, mounted: bool = True) -> Settings:
    return settings.model_copy(
        update={"service": name, "mount": SERVICE_PREFIXES[name] if mounted else settings.mount}
    )


def create_stack(settings: Settings, *, on_ready: Callable[[FastAPI], None] | None = None) -> FastAPI:
    """The root app of ``socle up``; ``on_ready`` runs once every service has started."""
    runtime = Runtime(settings)
    apps = {name: service_factory(name)(service_settings(settings, name), runtime) for name in SERVICES}
    console = service_factory(CONSOLE)(settings.model_copy(update={"service": CONSOLE, "mount": ""}), runtime)

    @asynccontextmanager
    async def lifespan(root: FastAPI) -> AsyncIterator[None]:
        transport = httpx.ASGITransport(app=root)
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(runtime.lifespan())
            for app in apps.values():
                app.state.peers.attach(transport)
            console.state.gateway.attach(transport)
            # a service whose start fails reports it and retries by itself (kernel.service): none raises here
            for app in apps.values():
                await stack.enter_async_context(app.router.lifespan_context(app))
            try:
                await stack.enter_async_context(console.router.lifespan_context(console))
            except Exception:  # the console is a convenience: the services stay up without it
                logging.getLogger("socle").exception("the web console failed to start")
            if on_ready:
                on_ready(root)
            yield

    root = FastAPI(
        title="socle",
        lifespan=lifespan,
        docs_url="/_sim/docs",
        redoc_url=None,
        openapi_url="/_sim/openapi.json",
    )
    root.state.runtime = runtime
    root.state.settings = settings
    install_error_handlers(root, _format_by_mount(apps))
    root.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, owner=root)
    root.include_router(sim_router(runtime))
    for name, app in apps.items():
        root.router.routes.append(Mount(SERVICE_PREFIXES[name], app=app, name=name))
    root.router.routes.append(Mount("", app=console, name=CONSOLE))  # last: never shadows a service
    return root


def _format_by_mount(apps: dict[str, FastAPI]) -> FormatChooser:
    """Errors raised before a request reaches its service (e.g. a body over the limit) speak its format."""

    def choose(path: str) -> ErrorFormat:
        for name, app in apps.items():
            prefix = SERVICE_PREFIXES[name]
            if path == prefix or path.startswith(prefix + "/"):
                return error_format_of(app, path[len(prefix) :])
        return "json"

    return choose


def create_service(settings: Settings, name: str) -> FastAPI:
    """One service alone (``socle serve``): same app, no prefix, its own ``/_sim``."""
    return service_factory(name)(service_settings(settings, name, mounted=False), None)
