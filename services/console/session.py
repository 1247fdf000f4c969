"""Who is logged in to the console: a random session id in an HttpOnly cookie, the rest in the database."""

from __future__ import annotations

import asyncio
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


def _fresh(record: ConsoleSession) -> bool:
    return record.access_expires - REFRESH_MARGIN > datetime.now(UTC)


async def access_token(request: Request) -> str:
    """The logged-in professional's PSC access token, refreshed when it is about to expire.

    PSC access tokens live 2 minutes (psc.md §1.4); a page opened later must not fail for that. PSC
    rotates refresh tokens and treats the reuse of a spent one as theft (the whole family is revoked),
    so refreshes of one session are serialised and each re-reads the session first.
    """
    record = await current_session(request)
    if record is None:
        raise Unauthorized("log in with Pro Santé Connect first: this page acts as a professional")
    if _fresh(record):
        return record.access_token
    locks: dict[str, asyncio.Lock] = request.app.state.refresh_locks
    database = request.app.state.database
    async with locks.setdefault(record.id, asyncio.Lock()):
        latest = await database.read(lambda s: store.find_session(session=s, session_id=record.id))
        if latest is not None and _fresh(latest):
            _adopt(record, latest.access_token, latest.refresh_token, latest.access_expires)
            return record.access_token
        psc = PscLogin(request.app, DemoClient.from_fixtures(await fixtures(request)))
        token = await psc.refresh(record.refresh_token) if record.refresh_token else None
        if token is None:
            locks.pop(record.id, None)
            raise Unauthorized("the Pro Santé Connect session has ended: log in again")
        expires = datetime.now(UTC) + timedelta(seconds=int(token.get("expires_in", 120)))
        _adopt(record, token["access_token"], token.get("refresh_token") or record.refresh_token, expires)
        await database.write(
            lambda s: store.update_tokens(
                session=s,
                session_id=record.id,
                access_token=record.access_token,
                refresh_token=record.refresh_token,
                access_expires=expires,
            )
        )
    return record.access_token


def _adopt(record: ConsoleSession, access: str, refresh: str, expires: datetime) -> None:
    """Keep the request's cached session in step with the stored one."""
    record.access_token, record.refresh_token, record.access_expires = access, refresh, expires
