"""Who is logged in to the console: a random session id in an HttpOnly cookie, the rest in the database."""

from __future__ import annotations

from fastapi import Request

from . import store
from .models import ConsoleSession

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
