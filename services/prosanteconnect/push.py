"""The e-CPS "push" of the login page: the browser waits while the professional answers on the phone.

The waiting login is a row holding the authorization request, so the answer may come from the e-CPS page
(another device, another instance) and the waiting screen, which reloads itself, finishes the login once
the row says so — exactly once.
"""

from __future__ import annotations

import json
import secrets
import time

from starlette.datastructures import Headers

from .authorize import ErrorPage, Outcome, authorize
from .models import PscPush
from .server import Provider, PscRequest, db
from .store import get_push, save_push

PUSH_TTL = 120


def start_push(provider: Provider, *, idnat: str, params: dict[str, str]) -> PscPush:
    now = time.time()
    push = PscPush(
        push_id=secrets.token_urlsafe(24),
        idnat=idnat,
        client_id=params.get("client_id", ""),
        params_json=json.dumps(params),
        binding_message=f"{secrets.randbelow(100):02d}",
        created_at=now,
        expires_at=now + PUSH_TTL,
    )
    save_push(db(), push=push)
    return push


def decide_push(*, push_id: str, approve: bool, idnat: str | None = None) -> PscPush | None:
    """The phone's answer; None when no such pending push exists (for that professional)."""
    push = get_push(db(), push_id=push_id)
    if push is None or push.status != "pending" or push.expires_at <= time.time():
        return None
    if idnat is not None and push.idnat != idnat:
        return None
    push.status = "approved" if approve else "denied"
    db().add(push)
    return push


def finish_push(provider: Provider, *, push_id: str, url: str, headers: Headers) -> Outcome | PscPush:
    """The login's outcome once the phone answered; the push itself while it has not."""
    push = get_push(db(), push_id=push_id)
    if push is None or push.status == "used":
        return ErrorPage("invalid_request", "this e-CPS login is unknown or already finished")
    if push.status == "pending":
        if push.expires_at <= time.time():
            return ErrorPage("invalid_request", "the e-CPS login expired: start again from the application")
        return push
    params = json.loads(push.params_json)
    request = PscRequest("GET", url, headers, list(params.items()), [])
    denied = push.status == "denied"
    push.status = "used"
    db().add(push)
    return authorize(
        provider, request, cookie_sid=None, auto_login=False, login=(push.idnat, "ECPS"), denied=denied
    )
