"""Factory of the DMP (simulated) app: the PDSm / MHD document store with the DMP's access rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI

from services.kernel.db import Database
from services.kernel.runtime import Runtime
from services.kernel.service import service_app
from services.kernel.settings import Settings

from . import store
from .dates import now
from .models import TABLES
from .routes import router


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    database = Database(settings.database_for(), TABLES, schema="dmp")
    database.create_tables()
    patients = app.state.runtime.fixtures.patients

    async def seed() -> None:
        await database.write(lambda session: store.seed_records(session, patients=patients, now=now()))

    async def reset() -> None:
        await to_thread.run_sync(database.clear)
        app.state.ins_directory = None
        await seed()

    await seed()
    app.state.db = database
    app.state.reset = reset
    try:
        yield
    finally:
        database.dispose()


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or Settings(service="dmp")
    app = service_app(
        "dmp", settings, title="DMP (simulated)", error_format="fhir", lifespan=lifespan, runtime=runtime
    )
    app.include_router(router)
    return app
