"""Who is logged in to the console: a random session id in an HttpOnly cookie, the rest in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import Request

from services.kernel.errors import Unauthorized

from . import store
from .fixtures import fixtures
from .models import ConsoleSession
from .psc import DemoClient, PscLogin

COOKIE = "socle_console"


async def current_session(request: Request) -> ConsoleSession | None:
    cached = request.scope.get("state", {}).get("console.session", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    session_id = request.cookies.get(COOKIE)
    record = None
    if session_id:
        database = request.app.state.database
        record = await database.read(lambda s: store.find_session(session=s, session_id=session_id))
    request.scope.setdefault("state", {})["console.session"] = record
    return record


REFRESH_MARGIN = timedelta(seconds=15)


async def access_token(request: Request) -> str:
    """The logged-in professional's PSC access token, refreshed when it is about to expire.

    PSC access tokens live 2 minutes (psc.md §1.4); a page opened later must not fail for that.
    """
    record = await current_session(request)
    if record is None:
        raise Unauthorized("log in with Pro Santé Connect first: this page acts as a professional")
    if record.access_expires - REFRESH_MARGIN > datetime.now(UTC):
        return record.access_token
    psc = PscLogin(request.app, DemoClient.from_fixtures(await fixtures(request)))
    token = await psc.refresh(record.refresh_token) if record.refresh_token else None
    if token is None:
        raise Unauthorized("the Pro Santé Connect session has ended: log in again")
    expires = datetime.now(UTC) + timedelta(seconds=int(token.get("expires_in", 120)))
    await request.app.state.database.write(
        lambda s: store.update_tokens(
            session=s,
            session_id=record.id,
            access_token=token["access_token"],
            refresh_token=token.get("refresh_token", ""),
            access_expires=expires,
        )
    )
    record.access_token = token["access_token"]
    return record.access_token
