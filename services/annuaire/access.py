"""Who may call the directory: the gateway's ``ESANTE-API-KEY`` (spec C1).

Every request needs a non-empty key, as the gateway asks of every application; when
``settings.annuaire_api_keys`` lists keys only those pass. Peer services (MSSanté checking an address)
send ``socle-internal`` along with the stack's internal secret, which always passes.
"""

from __future__ import annotations

import hashlib
import hmac

from services.kernel.errors import Unauthorized

API_KEY_HEADER = "esante-api-key"


def check_api_key(key: str | None, *, allowed: list[str], internal: bool) -> str:
    """The caller's label for the traffic record; 401 when the key is missing or not allowed."""
    if internal:
        return "socle-internal"
    if not key:
        raise Unauthorized("ESANTE-API-KEY header is missing: subscribe on the API portal and send the key")
    if allowed and not any(hmac.compare_digest(key, candidate) for candidate in allowed):
        raise Unauthorized("ESANTE-API-KEY is not a key of a subscribed application")
    return "api-key:" + hashlib.sha256(key.encode()).hexdigest()[:12]
