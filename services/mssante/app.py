"""Factory of the MSSanté (simulated) app: the mailbox API, and the SMTP and IMAP listeners.

The listeners run in the app's own event loop, started by its lifespan, so the service works the
same mounted in ``socle up`` or alone in ``socle serve mssante``; they report through readiness and
the service is ready only once both accept connections.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from fastapi import FastAPI

from services.kernel.db import Database
from services.kernel.runtime import Runtime
from services.kernel.service import service_app
from services.kernel.settings import Settings

from . import mailboxes
from .auth import Authenticator
from .delivery import Delivery
from .evidence import Evidence
from .imap import ImapContext, start_imap
from .models import Mailbox, Message
from .routes import router
from .settings import MssSettings, mss_settings
from .smtp import SubmissionHandler, start_smtp
from .tls import TlsFiles, ensure_pki, server_context


@dataclass
class Operator:
    """What the routes and the listeners share."""

    settings: MssSettings
    database: Database
    tls: TlsFiles
    resolver: mailboxes.Resolver
    authenticator: Authenticator
    delivery: Delivery


async def _close(server: asyncio.Server) -> None:
    server.close()
    await server.wait_closed()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: MssSettings = app.state.settings
    database = Database(settings.database_for(), [Mailbox, Message], schema="mssante")
    database.create_tables()
    boxes = mailboxes.fixture_boxes(app.state.runtime.fixtures)
    mailboxes.seed(database, boxes)
    tls = ensure_pki(settings.data_dir / "mssante-tls", settings.host)
    resolver = mailboxes.Resolver(settings, database, app.state.peers)
    authenticator = Authenticator(app, settings, resolver)
    delivery = Delivery(settings, database, resolver.directory)
    app.state.operator = Operator(settings, database, tls, resolver, authenticator, delivery)

    async def reset() -> None:
        database.clear()
        mailboxes.seed(database, boxes)
        resolver.forget()

    app.state.reset = reset
    evidence = Evidence(app.state.runtime.recorder)
    context = server_context(tls)
    smtp = await start_smtp(
        settings, SubmissionHandler(settings, authenticator, resolver, delivery, evidence), context
    )
    app.state.readiness.set("smtp", "ready", url=f"smtp://{settings.host}:{settings.smtp_port}")
    try:
        imap = await start_imap(ImapContext(settings, database, authenticator, context, evidence))
    except BaseException:
        await _close(smtp)
        raise
    app.state.readiness.set("imap", "ready", url=f"imap://{settings.host}:{settings.imap_port}")
    try:
        yield
    finally:
        await _close(imap)
        await _close(smtp)
        database.dispose()


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = mss_settings(settings or Settings(service="mssante"))
    app = service_app(
        "mssante",
        settings,
        title="MSSanté (simulated)",
        error_format="json",
        lifespan=lifespan,
        runtime=runtime,
    )
    app.include_router(router)
    return app
