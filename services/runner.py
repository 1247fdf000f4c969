"""The one-process stack: every service app mounted under its prefix on one port.

Starlette does not run the lifespan of a mounted app, so the root lifespan enters each service's
lifespan itself, after handing every service the in-process transport through which it reaches its
peers. A service that fails to start is reported by ``/_sim/health`` (503, with the reason) instead
of taking the others down. The web console, no service, is built on its first request (:class:`LazyConsole`).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
from fastapi import FastAPI
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, get_route_path
from starlette.types import ASGIApp, Receive, Scope, Send

from services.kernel.errors import ErrorFormat, FormatChooser, error_format_of, install_error_handlers
from services.kernel.limits import BodyLimitMiddleware
from services.kernel.runtime import Runtime
from services.kernel.settings import SERVICE_PREFIXES, Settings
from services.kernel.sim import sim_router

SERVICES = tuple(SERVICE_PREFIXES)
"""Start order: PSC first (every other service checks its tokens), then the directory and INS."""

CONSOLE = "console"
"""The web console, mounted at ``/`` after every service; it reaches them over HTTP like any client."""

log = logging.getLogger("socle")

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
    console = LazyConsole(settings.model_copy(update={"service": CONSOLE, "mount": ""}), runtime)

    @asynccontextmanager
    async def lifespan(root: FastAPI) -> AsyncIterator[None]:
        transport = httpx.ASGITransport(app=root)
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(runtime.lifespan())
            for app in apps.values():
                app.state.peers.attach(transport)
            console.attach(transport, stack)
            # a service whose start fails reports it and retries by itself (kernel.service): none raises here
            for app in apps.values():
                await stack.enter_async_context(app.router.lifespan_context(app))
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
    root.state.console = console
    install_error_handlers(root, _format_by_mount(apps))
    root.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes, owner=root)
    root.include_router(sim_router(runtime))
    for name, app in apps.items():
        root.router.routes.append(Mount(SERVICE_PREFIXES[name], app=app, name=name))
    root.router.routes.append(Mount("", app=console, name=CONSOLE))  # last: never shadows a service
    root.add_middleware(ServiceShortcut, mounts={SERVICE_PREFIXES[name]: app for name, app in apps.items()})
    return root


class ServiceShortcut:
    """An HTTP request under a service's prefix goes straight to that service's app, with the scope the
    ``Mount`` would have given it (prefix added to ``root_path``).

    The root's own layers add nothing for such a request: each service app limits bodies, renders its
    errors and records its traffic itself, and the root's routes (``/_sim``, the console) never share a
    prefix with a service. Walking them cost a fifth of a PSC introspection's CPU. Lifespan events, the
    bare prefix without a slash (redirected by the router) and every other path take the usual way.
    """

    def __init__(self, app: ASGIApp, *, mounts: dict[str, ASGIApp]) -> None:
        self.app = app
        self.mounts = tuple((prefix + "/", prefix, mounted) for prefix, mounted in mounts.items())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            root_path = scope.get("root_path", "")
            path = get_route_path(scope)
            for start, prefix, mounted in self.mounts:
                if path.startswith(start):
                    child = scope | {
                        "app_root_path": scope.get("app_root_path", root_path),
                        "root_path": root_path + prefix,
                        "path_params": dict(scope.get("path_params", {})),
                        "endpoint": mounted,
                    }
                    await mounted(child, receive, send)
                    return
        await self.app(scope, receive, send)


class LazyConsole:
    """The web console, built and started on its first request instead of with the stack.

    Its pages, templates and the conformance catalogue they list cost ~70 ms of CPU, a tenth of a
    start-up that must stay under a second, for pages many users of the APIs never open. It is no
    service: ``/_sim/health`` speaks for the services, which never depend on it. A console that fails
    to build or start answers 503 with the reason, logs the traceback, and is tried again on the next
    request; the services stay up without it (as when it was started eagerly).
    """

    def __init__(self, settings: Settings, runtime: Runtime) -> None:
        self.settings = settings
        self.runtime = runtime
        self.app: FastAPI | None = None
        self._transport: httpx.AsyncBaseTransport | None = None
        self._stack: AsyncExitStack | None = None
        self._lock = asyncio.Lock()
        self._failure = ""

    def attach(self, transport: httpx.AsyncBaseTransport, stack: AsyncExitStack) -> None:
        """Where the console will reach the stack, and the exit stack that will stop it at shutdown."""
        self._transport, self._stack = transport, stack

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = self.app or await self._start()
        if app is None:
            response = PlainTextResponse(f"the web console failed to start: {self._failure}", status_code=503)
            await response(scope, receive, send)
            return
        await app(scope, receive, send)

    async def _start(self) -> FastAPI | None:
        async with self._lock:
            if self.app is not None:
                return self.app
            if self._transport is None or self._stack is None:
                raise RuntimeError("the console is reached before the stack has started")
            try:
                app = service_factory(CONSOLE)(self.settings, self.runtime)
                app.state.gateway.attach(self._transport)
                await self._stack.enter_async_context(app.router.lifespan_context(app))
            except Exception as exc:  # the console is a convenience: the services stay up without it
                log.exception("the web console failed to start")
                self._failure = f"{type(exc).__name__}: {exc}"[:500]
                return None
            self.app = app
            return app


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
