"""Factory of the Annuaire Santé (simulated) app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.kernel.runtime import Runtime
from services.kernel.service import service_app
from services.kernel.settings import Settings


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or Settings(service="annuaire")
    return service_app(
        "annuaire",
        settings,
        title="Annuaire Santé (simulated)",
        error_format="fhir",
        lifespan=lifespan,
        runtime=runtime,
    )
