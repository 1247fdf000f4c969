"""Log in to the console as a test professional: through the PSC page (code flow) or e-CPS (CIBA)."""

from __future__ import annotations

import secrets
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from services.kernel.errors import BadRequest, NotFound, Unauthorized

from .. import store
from ..fixtures import fixtures
from ..models import ConsoleSession
from ..psc import DemoClient, PscLogin
from ..rendering import render
from ..session import COOKIE

router = APIRouter()


async def _psc(request: Request) -> PscLogin:
    return PscLogin(request.app, DemoClient.from_fixtures(await fixtures(request)))


def _logged_in(request: Request, record: ConsoleSession, target: str) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    _set_cookie(request, response, record)
    return response


def _set_cookie(request: Request, response: Response, record: ConsoleSession) -> None:
    secure = request.app.state.settings.root_url.startswith("https://")
    max_age = int((record.expires - record.created).total_seconds())
    response.set_cookie(COOKIE, record.id, max_age=max_age, httponly=True, samesite="lax", secure=secure)


@router.get("/login")
async def login(request: Request, login_hint: str = "") -> Response:
    url, pending = (await _psc(request)).authorization(login_hint.strip())
    await request.app.state.database.write(lambda s: store.save_pending(session=s, pending=pending))
    return RedirectResponse(url, status_code=303)


@router.get("/callback")
async def callback(
    request: Request, state: str = "", code: str = "", error: str = "", error_description: str = ""
) -> Response:
    """The ``socle-demo`` redirect URI: the state is single-use and bound to the PKCE verifier."""
    pending = await request.app.state.database.write(
        lambda s: store.take_pending(session=s, state=state, kind="code")
    )
    if pending is None:
        raise BadRequest("unknown or expired login state: start the login again")
    if error:
        raise Unauthorized(f"Pro Santé Connect answered {error}: {error_description}")
    if not code:
        raise BadRequest("the callback carries no authorization code")
    psc = await _psc(request)
    record = await psc.new_session(await psc.exchange_code(pending, code), pending.nonce)
    await request.app.state.database.write(lambda s: store.save_session(session=s, record=record))
    return _logged_in(request, record, "/")


@router.post("/logout")
async def logout(request: Request) -> Response:
    session_id = request.cookies.get(COOKIE, "")
    record = await request.app.state.database.write(
        lambda s: store.delete_session(session=s, session_id=session_id)
    )
    target = (await _psc(request)).logout_url(record.id_token) if record and record.id_token else "/"
    response = RedirectResponse(target, status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("/ciba")
async def ciba_form(request: Request) -> Response:
    data = await fixtures(request)
    professionals = [p for p in data["professionals"] if p["ecps"]]
    return await render(request, "ciba.html", professionals=professionals)


@router.post("/ciba")
async def ciba_start(request: Request, login_hint: Annotated[str, Form()]) -> Response:
    binding_message = f"{secrets.randbelow(100):02d}"
    pending = await (await _psc(request)).start_ciba(login_hint.strip(), binding_message)
    await request.app.state.database.write(lambda s: store.save_pending(session=s, pending=pending))
    return RedirectResponse(f"/ciba/{pending.state}", status_code=303)


@router.get("/ciba/{state}")
async def ciba_waiting(request: Request, state: str) -> Response:
    pending = await request.app.state.database.read(
        lambda s: store.find_pending(session=s, state=state, kind="ciba")
    )
    if pending is None:
        raise NotFound("no e-CPS request under way with this id (expired or already used)")
    ecps = f"{request.app.state.settings.psc_issuer}/ecps?" + urlencode({"idnat": pending.login_hint})
    return await render(request, "ciba_wait.html", pending=pending, ecps_url=ecps)


@router.post("/ciba/{state}/poll")
async def ciba_poll(request: Request, state: str) -> Response:
    """One poll of PSC's token endpoint (CIBA poll mode); JSON for the page's script."""
    database = request.app.state.database
    pending = await database.read(lambda s: store.find_pending(session=s, state=state, kind="ciba"))
    if pending is None:
        return JSONResponse({"status": "expired_token"}, status_code=404)
    psc = await _psc(request)
    answer = await psc.poll_ciba(pending)
    if isinstance(answer, str):
        if answer not in ("authorization_pending", "slow_down"):
            await database.write(lambda s: store.drop_pending(session=s, state=state))
        return JSONResponse({"status": answer, "interval": pending.interval})
    record = await psc.new_session(answer, None)
    await database.write(lambda s: store.complete_pending(session=s, state=state, record=record))
    response = JSONResponse({"status": "approved", "next": "/"})
    _set_cookie(request, response, record)
    return response
