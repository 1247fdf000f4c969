"""Obtaining the patient's INS the INSi way: ITI-119 ``$match`` with the strict traits (spec A5, A8).

The identity status is read from the FR Core identity-reliability extension; only ``QUAL`` lets the
software carry the INS to other systems (RNIV, FR Core ``fr-core-patient-ins``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from .config import Config

RELIABILITY = "fr-core-identity-reliability"


@dataclass(frozen=True)
class Identity:
    ins: str
    system: str
    status: str


def status_of(patient: dict[str, Any]) -> str:
    for extension in patient.get("extension") or []:
        if str(extension.get("url", "")).endswith(RELIABILITY):
            for part in extension.get("extension") or []:
                if part.get("url") == "identityStatus":
                    return str((part.get("valueCoding") or {}).get("code", ""))
    return ""


def match_request(cfg: Config) -> dict[str, Any]:
    """The traits as read from the Vitale card / INSi: birth name, first names, sex, birth date, place."""
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "name": [
            {"use": "official", "family": cfg.patient_birth_name, "given": cfg.patient_first_names.split()}
        ],
        "gender": {"F": "female", "M": "male"}.get(cfg.patient_sex, "unknown"),
        "birthDate": cfg.patient_birth_date,
    }
    return {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "resource", "resource": patient},
            {"name": "onlyCertainMatches", "valueBoolean": True},
        ],
    }


def find_identity(http: httpx.Client, cfg: Config) -> Identity:
    """The one certain match for the traits, with its INS and identity status."""
    response = http.post(f"{cfg.ins_url}/fhir/Patient/$match", json=match_request(cfg))
    response.raise_for_status()
    for entry in response.json().get("entry") or []:
        resource = entry.get("resource") or {}
        if resource.get("resourceType") != "Patient":
            continue
        for identifier in resource.get("identifier") or []:
            if identifier.get("value") == cfg.patient_ins:
                return Identity(cfg.patient_ins, str(identifier.get("system", "")), status_of(resource))
    raise LookupError("INSi found no certain match for the patient's traits")
