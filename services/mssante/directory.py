"""Ask the Annuaire Santé and INS whether an address exists (over HTTP, through the peer clients).

A professional or organisational address is valid when the Annuaire publishes it as a ``mailbox-mss``
telecom (spec C7); a patient address when INS knows the INS and holds it qualified. Positive answers
are kept for a short while so that a burst of messages does not ask the same question each time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from services.kernel.errors import SocleError

from .codes import mailbox_types

IDNAT_PS_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"
IDNAT_ST_SYSTEM = "urn:oid:1.2.250.1.71.4.2.2"
RELIABILITY_URL = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability"
METADATA_URL = (
    "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss-metadata"
)
API_KEY = {"ESANTE-API-KEY": "socle-internal"}
CARRIERS = ("Practitioner", "PractitionerRole", "Organization")
CACHE_SECONDS = 30.0


class DirectoryUnavailable(Exception):
    """A peer did not answer: the SMTP reply is a temporary failure (4xx), the client retries."""


@dataclass(frozen=True)
class Listing:
    """A mailbox as the Annuaire publishes it."""

    address: str
    kind: str
    owner: str
    display_name: str


@dataclass(frozen=True)
class PatientIdentity:
    ins: str
    status: str
    display_name: str

    @property
    def qualified(self) -> bool:
        return self.status == "QUAL"


def _identifier(resource: dict[str, Any], system: str) -> str:
    return next((i.get("value", "") for i in resource.get("identifier", []) if i.get("system") == system), "")


def _box_type(resource: dict[str, Any], address: str) -> str:
    for telecom in resource.get("telecom", []):
        if str(telecom.get("value", "")).lower() != address:
            continue
        for extension in telecom.get("extension", []):
            if extension.get("url") != METADATA_URL:
                continue
            for sub in extension.get("extension", []):
                if sub.get("url") == "type":
                    codings = sub.get("valueCodeableConcept", {}).get("coding", [])
                    if codings:
                        return str(codings[0].get("code", ""))
    return ""


def _name(resource: dict[str, Any]) -> str:
    if "name" in resource and isinstance(resource["name"], str):
        return resource["name"]
    names = resource.get("name") or [{}]
    return " ".join([*names[0].get("given", []), names[0].get("family", "")]).strip()


def _listing(kind: str, resource: dict[str, Any], address: str) -> Listing:
    box_type = _box_type(resource, address)
    if box_type not in mailbox_types():
        box_type = "ORG" if kind == "Organization" else "PER"
    system = IDNAT_ST_SYSTEM if kind == "Organization" else IDNAT_PS_SYSTEM
    return Listing(address, box_type, _identifier(resource, system), _name(resource))


def _reliability(patient: dict[str, Any]) -> str:
    for extension in patient.get("extension", []):
        if extension.get("url") != RELIABILITY_URL:
            continue
        for sub in extension.get("extension", []):
            if sub.get("url") == "identityStatus":
                return str(sub.get("valueCoding", {}).get("code", ""))
    return ""


class Directory:
    def __init__(self, peers: Any) -> None:
        self.peers = peers
        self._cache: dict[str, tuple[float, Any]] = {}

    def _cached(self, key: str) -> Any:
        hit = self._cache.get(key)
        return hit[1] if hit and time.monotonic() - hit[0] < CACHE_SECONDS else None

    async def _get(
        self, peer: str, path: str, params: dict[str, str], headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        try:
            response = await self.peers.client(peer).get(path, params=params, headers=headers)
        except (httpx.HTTPError, OSError, SocleError) as exc:
            raise DirectoryUnavailable(f"{peer} unreachable: {exc}") from exc
        if response.status_code >= 500 or response.status_code in (401, 403, 429):
            raise DirectoryUnavailable(f"{peer} answered {response.status_code}")
        if response.status_code != 200:
            return {}
        body = response.json()
        return body if isinstance(body, dict) else {}

    async def mailbox(self, address: str) -> Listing | None:
        """The Annuaire's listing of ``address`` (Practitioner, then PractitionerRole, then Organization)."""
        cached = self._cached(f"box:{address}")
        if cached:
            return cached  # type: ignore[no-any-return]
        for kind in CARRIERS:
            bundle = await self._get("annuaire", f"/fhir/v2/{kind}", {"mailbox-mss": address}, API_KEY)
            for entry in bundle.get("entry", []):
                resource = entry.get("resource", {})
                if resource.get("resourceType") == kind:
                    found = _listing(kind, resource, address)
                    self._cache[f"box:{address}"] = (time.monotonic(), found)
                    return found
        return None

    async def patient(self, ins: str) -> PatientIdentity | None:
        """What INS knows of ``ins``: its identity status (QUAL, PROV, RECUP, VALI)."""
        cached = self._cached(f"ins:{ins}")
        if cached:
            return cached  # type: ignore[no-any-return]
        bundle = await self._get("ins", "/fhir/Patient", {"identifier": ins})
        for entry in bundle.get("entry", []):
            resource = entry.get("resource", {})
            if resource.get("resourceType") == "Patient":
                found = PatientIdentity(ins, _reliability(resource), _name(resource))
                self._cache[f"ins:{ins}"] = (time.monotonic(), found)
                return found
        return None
