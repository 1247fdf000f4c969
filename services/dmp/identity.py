"""Is this INS known to the INS service, and qualified? Asked over HTTP (the cross-service contract).

``GET {ins}/fhir/Patient?identifier=<system>|<ins>`` answers a searchset of FR Core Patients whose
identity status is in the ``fr-core-identity-reliability`` extension (sub-extension
``identityStatus``). Answers are kept a few seconds: a burst of submissions for one patient asks once.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from services.kernel.errors import ServiceUnavailable

IDENTITY_RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
QUALIFIED = "QUAL"
CACHE_SECONDS = 5.0


def identity_status(bundle: Any) -> str | None:
    """The identity status (QUAL, PROV, RECUP, VALI) of the first Patient of a searchset, or None."""
    for entry in (bundle or {}).get("entry") or []:
        patient = entry.get("resource") or {}
        if patient.get("resourceType") != "Patient":
            continue
        for extension in patient.get("extension") or []:
            if extension.get("url") != IDENTITY_RELIABILITY:
                continue
            for part in extension.get("extension") or []:
                if part.get("url") == "identityStatus":
                    return str((part.get("valueCoding") or {}).get("code") or "") or None
        return ""
    return None


class InsDirectory:
    """The INS service seen from the DMP, with a short cache of its answers."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self._cache: dict[str, tuple[float, str | None]] = {}

    async def status(self, system: str, ins: str) -> str | None:
        """The identity status of ``ins``; None when INS does not know it."""
        identifier = f"{system}|{ins}" if system else ins
        cached = self._cache.get(identifier)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            response = await self.client.get("/fhir/Patient", params={"identifier": identifier})
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"the INS service is unreachable: {exc}") from exc
        if response.status_code == 404:
            found = None
        elif response.status_code != 200:
            raise ServiceUnavailable(f"the INS service answered {response.status_code}")
        else:
            found = identity_status(response.json())
        self._cache[identifier] = (time.monotonic() + CACHE_SECONDS, found)
        return found
