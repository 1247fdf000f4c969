"""The server's CapabilityStatement, generated from the parameters it really serves (IG v2 statement).

Security is the gateway's API key, not OAuth, so the kernel's OAuth security block is left out and
the key is described instead.
"""

from __future__ import annotations

from typing import Any

from services.kernel.fhir import capability_statement

from .codes import AS_IG, PROFILES
from .parameters import INCLUDES, OF_TYPE, PARAMETERS, RESOURCE_TYPES, REVINCLUDES

STANDARD = {
    "_id": ("token", "Resource-id"),
    "_lastUpdated": ("date", "Resource-lastUpdated"),
    "_profile": ("uri", "Resource-profile"),
}


def _resource(resource_type: str) -> dict[str, Any]:
    params = [
        {"name": name, "type": kind, "definition": f"http://hl7.org/fhir/SearchParameter/{definition}"}
        for name, (kind, definition) in STANDARD.items()
    ]
    params += [
        {"name": p.name, "type": p.kind} for p in PARAMETERS[resource_type].values() if p.name != OF_TYPE
    ]
    entry: dict[str, Any] = {
        "type": resource_type,
        "profile": PROFILES[resource_type][-1],
        "interaction": [{"code": "read"}, {"code": "search-type"}],
        "searchParam": params,
    }
    if INCLUDES[resource_type]:
        entry["searchInclude"] = ["*", *INCLUDES[resource_type]]
    if REVINCLUDES[resource_type]:
        entry["searchRevInclude"] = list(REVINCLUDES[resource_type])
    return entry


def capability(base_url: str) -> dict[str, Any]:
    statement = capability_statement(
        name="AnnuaireSanteSocle",
        title="Annuaire Santé FHIR API v2 (simulated by socle)",
        base_url=base_url,
        resources=[_resource(t) for t in RESOURCE_TYPES],
        instantiates=[f"{AS_IG}/CapabilityStatement/AsServerDPCapabilityStatementv2"],
        security_service=None,
    )
    statement["rest"][0]["security"] = {
        "description": "Send the key of a subscribed application in the ESANTE-API-KEY header."
    }
    return statement
