"""Is this INS known to the INS service, and qualified? Asked over HTTP (the cross-service contract).

The identity status is in the ``fr-core-identity-reliability`` extension (sub-extension
``identityStatus``) of the FR Core Patient. The INS is first read as a Patient id
(``GET {ins}/fhir/Patient/<ins>``: one indexed lookup, half the INS service's work of a search); the
read answers for the identity whose *current* INS it is, so when it finds nothing, or an identity whose
INS has another system than the one given, the search ``GET {ins}/fhir/Patient?identifier=<system>|<ins>``
(which also knows past INS) decides, as it always did. Answers are kept a few seconds: a burst of
submissions for one patient asks once.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx

from services.kernel.errors import ServiceUnavailable

IDENTITY_RELIABILITY = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
QUALIFIED = "QUAL"
CACHE_SECONDS = 5.0


def identity_status(bundle: Any) -> str | None:
    """The identity status (QUAL, PROV, RECUP, VALI) of the first Patient of a searchset, or None."""
    for entry in (bundle or {}).get("entry") or []:
        patient = entry.get("resource") or {}
        if patient.get("resourceType") == "Patient":
            return status_of(patient)
    return None


def status_of(patient: dict[str, Any]) -> str | None:
    """The identity status of one Patient ("" when it carries none)."""
    for extension in patient.get("extension") or []:
        if extension.get("url") != IDENTITY_RELIABILITY:
            continue
        for part in extension.get("extension") or []:
            if part.get("url") == "identityStatus":
                return str((part.get("valueCoding") or {}).get("code") or "") or None
    return ""


def holds(patient: Any, system: str, ins: str) -> bool:
    """Whether a read Patient is the identity whose INS is ``ins`` (in ``system``, when one is given)."""
    if not isinstance(patient, dict) or patient.get("resourceType") != "Patient":
        return False
    return any(
        isinstance(i, dict) and i.get("value") == ins and (not system or i.get("system") == system)
        for i in patient.get("identifier") or []
    )


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
        found = await self._read(system, ins)
        if found is None:
            found = await self._search(identifier)
        self._cache[identifier] = (time.monotonic() + CACHE_SECONDS, found)
        return found

    async def _read(self, system: str, ins: str) -> str | None:
        """The status when ``ins`` is the current INS of an identity (in ``system``); else None."""
        response = await self._get(f"/fhir/Patient/{quote(ins, safe='')}")
        if response.status_code == 200:
            patient = response.json()
            if holds(patient, system, ins):
                return status_of(patient)
        elif response.status_code not in (400, 404):
            raise ServiceUnavailable(f"the INS service answered {response.status_code}")
        return None

    async def _search(self, identifier: str) -> str | None:
        response = await self._get("/fhir/Patient", params={"identifier": identifier})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ServiceUnavailable(f"the INS service answered {response.status_code}")
        return identity_status(response.json())

    async def _get(self, path: str, params: dict[str, str] | None = None) -> httpx.Response:
        try:
            return await self.client.get(path, params=params)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"the INS service is unreachable: {exc}") from exc
