"""Factory of the MSSanté (simulated) app."""

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
    settings = settings or Settings(service="mssante")
    return service_app(
        "mssante",
        settings,
        title="MSSanté (simulated)",
        error_format="json",
        lifespan=lifespan,
        runtime=runtime,
    )
