"""Test controls a real PSC does not have: what vendors' CI needs to drive the provider black-box.

Under ``{issuer}/socle/`` (outside Keycloak's paths): set a client's test behaviour, approve or refuse
a CIBA request as the professional's phone would, rotate the signing key.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.kernel.errors import BadRequest, NotFound
from services.kernel.fhir import loads_json
from services.kernel.settings import PSC_REALM_PATH

from .ciba import decide
from .clients import SettingsError, check_socle_settings
from .keys import new_key, store_key
from .server import Provider, db
from .store import pending_ciba, update_client_settings

router = APIRouter(prefix=PSC_REALM_PATH + "/socle")


def provider_of(request: Request) -> Provider:
    provider: Provider = request.app.state.provider
    return provider


@router.put("/clients/{client_id}/settings")
async def client_settings(request: Request, client_id: str) -> dict[str, Any]:
    """Change a client's ``socle_*`` settings (``null`` clears one), e.g. ``socle_test_behaviour``."""
    body = loads_json(await request.body())
    if not isinstance(body, dict):
        raise BadRequest("a JSON object of socle_* settings is expected")
    try:
        check_socle_settings({k: v for k, v in body.items() if v is not None})
    except SettingsError as exc:
        raise BadRequest(str(exc)) from exc
    if set(body) - {k for k in body if k.startswith("socle_")}:
        raise BadRequest("only socle_* settings can be changed here")
    provider = provider_of(request)
    client = await provider.run(lambda: update_client_settings(db(), client_id=client_id, settings=body))
    if client is None:
        raise NotFound(f"no client {client_id}")
    return {k: v for k, v in client.metadata.items() if k.startswith("socle_")}


@router.post("/keys/rotate")
async def rotate(request: Request) -> dict[str, Any]:
    """Add a new signing key; the previous ones stay in the JWKS for verification."""
    provider = provider_of(request)

    def work() -> None:
        store_key(db(), new_key())
        provider.keys.load(db())

    await provider.run(work)
    return provider.keys.jwks


@router.get("/ciba")
async def ciba_pending(request: Request, idnat: str | None = None) -> list[dict[str, Any]]:
    """Pending CIBA requests (of one professional with ``idnat``), what the phone would show."""
    provider = provider_of(request)
    rows = await provider.read(lambda: pending_ciba(db(), idnat=idnat))
    return [
        {
            "auth_req_id": row.auth_req_id,
            "client_id": row.client_id,
            "idnat": row.idnat,
            "binding_message": row.binding_message,
            "channel": row.channel,
            "expires_at": row.expires_at,
        }
        for row in rows
    ]


@router.post("/ciba/{auth_req_id}/{decision}")
async def ciba_decide(request: Request, auth_req_id: str, decision: str) -> dict[str, str]:
    """Approve or refuse a pending request, as the professional would on the e-CPS app."""
    if decision not in ("approve", "deny"):
        raise NotFound("decision is approve or deny")
    provider = provider_of(request)
    row = await provider.run(lambda: decide(provider, auth_req_id=auth_req_id, approve=decision == "approve"))
    if row is None:
        raise NotFound("no such pending CIBA request")
    return {"auth_req_id": row.auth_req_id, "status": row.status}
