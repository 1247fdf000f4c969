"""Factory of the web console, served at ``/`` by ``socle up`` (after every service mount)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from services.kernel.db import Database
from services.kernel.runtime import Runtime
from services.kernel.settings import Settings

from .gateway import Gateway
from .models import ConformanceRun, ConsoleSession, ConsoleSettings, PendingLogin
from .origin import same_origin
from .pages import conformance, dmp, login, mailbox, stack, traffic
from .rendering import install_error_pages
from .runs import Runs

HERE = Path(__file__).parent


def console_settings(settings: Settings | None) -> ConsoleSettings:
    if isinstance(settings, ConsoleSettings):
        return settings
    if settings is None:
        return ConsoleSettings(service="console")
    return ConsoleSettings(**(settings.model_dump() | {"service": "console"}))


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    """The console app; ``runtime`` is accepted for the runner's signature but never used: the
    console learns everything over HTTP, as it would from its own container."""
    del runtime
    config = console_settings(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(
            config.database_for("console"), [PendingLogin, ConsoleSession, ConformanceRun], schema="console"
        )
        database.create_tables()
        app.state.database = database
        app.state.runs = Runs(config.data_dir / "console-runs", database, config.root_url)
        app.state.runs.interrupt_stale()
        try:
            yield
        finally:
            await app.state.runs.close()
            await app.state.gateway.close()
            database.dispose()

    app = FastAPI(
        title="socle console",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(same_origin)],
    )
    app.state.settings = config
    app.state.gateway = Gateway(config.stack_url)
    app.state.fixtures = None
    app.state.refresh_locks = {}
    install_error_pages(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for module in (stack, traffic, login, dmp, mailbox, conformance):
        app.include_router(module.router)
    return app
