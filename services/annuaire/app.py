"""Factory of the Annuaire Santé (simulated) app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from services.kernel.db import Database
from services.kernel.runtime import Runtime
from services.kernel.service import service_app
from services.kernel.settings import Settings

from .directory import fixed_resources
from .models import DirectoryIndex, DirectoryResource
from .routes import router
from .store import save_resources

TABLES = [DirectoryResource, DirectoryIndex]
SEED_ATTEMPTS = 3


def open_database(settings: Settings) -> Database:
    """The directory's database with its tables created (also used by ``socle seed``)."""
    database = Database(settings.database_for("annuaire"), TABLES, schema="annuaire")
    database.create_tables()
    return database


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    database = open_database(app.state.settings)
    app.state.database = database
    resources = fixed_resources(app.state.runtime.fixtures)

    async def seed() -> None:
        """Store the fixed directory; an instance starting beside another on the same PostgreSQL may
        lose the race to insert the same rows, and then simply stores them again over the winner's."""
        for attempt in range(SEED_ATTEMPTS):
            try:
                await database.write(lambda session: save_resources(session=session, resources=resources))
                return
            except IntegrityError:
                if attempt == SEED_ATTEMPTS - 1:
                    raise

    async def reset() -> None:
        await to_thread.run_sync(database.clear)
        await seed()

    await seed()
    app.state.reset = reset
    try:
        yield
    finally:
        database.dispose()


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or Settings(service="annuaire")
    app = service_app(
        "annuaire",
        settings,
        title="Annuaire Santé (simulated)",
        error_format="fhir",
        lifespan=lifespan,
        runtime=runtime,
    )
    app.include_router(router)
    return app
