"""Factory of the Pro Santé Connect (simulated) app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlmodel import Session

from services.kernel.db import Database
from services.kernel.runtime import Runtime
from services.kernel.service import service_app
from services.kernel.settings import Settings

from .ciba import install as install_ciba
from .clients import static_metadata
from .ecps import router as ecps_router
from .endpoints import install as install_endpoints
from .grants import install as install_grants
from .keys import KeyRing, store_key
from .models import TABLES
from .routes import router
from .server import Provider
from .store import put_client
from .testapi import router as test_router


def _seed(session: Session, provider: Provider) -> None:
    for client in provider.fixtures.clients:
        put_client(
            session,
            client_id=client.client_id,
            client_secret=client.client_secret,
            metadata=static_metadata(client),
            static=True,
        )


def open_database(settings: Settings) -> Database:
    """PSC's database with its tables (the app and ``socle seed`` both open it)."""
    database = Database(settings.database_for(), TABLES, schema="prosanteconnect")
    database.create_tables()
    return database


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    database = open_database(settings)
    keys = KeyRing()
    provider = Provider(settings, app.state.runtime.fixtures, database, keys)
    install_grants(provider)
    install_endpoints(provider)
    install_ciba(provider)

    def start(session: Session) -> None:
        keys.load(session)
        _seed(session, provider)

    await database.write(start)
    app.state.database = database
    app.state.provider = provider

    async def reset() -> None:
        """Clear every row but keep the signing keys, so tokens verifiers cached stay checkable."""
        kept = list(keys.all_keys)
        database.clear()

        def restore(session: Session) -> None:
            for key in kept:
                store_key(session, key)
            keys.load(session)
            _seed(session, provider)

        await database.write(restore)

    app.state.reset = reset
    try:
        yield
    finally:
        database.dispose()


class PscSettings(Settings):
    psc_authorization_url: str | None = None
    """Authorization endpoint to advertise instead of Keycloak's, e.g. ``{base}/auth`` like the real wallet host."""


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or Settings(service="prosanteconnect")
    if not isinstance(settings, PscSettings):  # the runner hands the stack's settings: add PSC's own
        settings = PscSettings(**settings.model_dump())
    app = service_app(
        "prosanteconnect",
        settings,
        title="Pro Santé Connect (simulated)",
        error_format="oauth",
        lifespan=lifespan,
        runtime=runtime,
    )
    app.include_router(router)
    app.include_router(test_router)
    app.include_router(ecps_router)
    return app
