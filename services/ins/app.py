"""Factory of the INS (simulated) app: the identity base, its FHIR API and the INSi SOAP façade."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError

from services.kernel.db import Database
from services.kernel.runtime import Runtime
from services.kernel.service import service_app
from services.kernel.settings import Settings

from . import store
from .insi_routes import router as insi_router
from .lookup import Lookups
from .models import TABLES
from .routes import router as fhir_router
from .settings import ins_settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = app.state.settings
    db = Database(settings.database_for(), TABLES, schema="ins")
    db.create_tables()
    patients = app.state.runtime.fixtures.patients

    async def reset() -> None:
        """Restore the fixed identities; bulk identities from ``socle seed`` stay (only --fresh drops them)."""
        await db.write(lambda s: store.replace_fixtures(s, patients=patients))

    try:
        await reset()
    except IntegrityError:
        # Another instance on the same database seeded at the same moment: its rows are the same ones.
        await reset()
    app.state.db = db
    app.state.lookups = Lookups(db)
    app.state.reset = reset
    try:
        yield
    finally:
        db.dispose()


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = ins_settings(settings or Settings(service="ins"))
    app = service_app(
        "ins",
        settings,
        title="INS (simulated)",
        error_format="fhir",
        lifespan=lifespan,
        runtime=runtime,
    )
    app.state.ins_settings = settings
    app.include_router(insi_router)  # first: two routes to try before the FHIR ones, not six after them
    app.include_router(fhir_router)
    return app
