"""Test controls a real PSC does not have: what vendors' CI needs to drive the provider black-box.

Under ``{issuer}/socle/`` (outside Keycloak's paths): set a client's test behaviour, approve or refuse
a CIBA request as the professional's phone would, rotate the signing key.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from services.kernel.errors import BadRequest, NotFound
from services.kernel.settings import PSC_REALM_PATH

from .clients import SettingsError, check_socle_settings
from .keys import new_key, store_key
from .server import Provider, db
from .store import update_client_settings

router = APIRouter(prefix=PSC_REALM_PATH + "/socle")


def provider_of(request: Request) -> Provider:
    provider: Provider = request.app.state.provider
    return provider


@router.put("/clients/{client_id}/settings")
async def client_settings(request: Request, client_id: str) -> dict[str, Any]:
    """Change a client's ``socle_*`` settings (``null`` clears one), e.g. ``socle_test_behaviour``."""
    body = await request.json()
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
