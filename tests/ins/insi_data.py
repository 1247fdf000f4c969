"""The CNDA / qualification INSi test identities and their published answers, read from the project's
own copy (``services/kernel/data/insi-test-identities.json``, source: padoa/tlsi-ins fixtures)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

IDENTITIES: list[dict[str, Any]] = json.loads(
    resources.files("services.kernel").joinpath("data", "insi-test-identities.json").read_text("utf-8")
)["identities"]
WITH_INS = [i for i in IDENTITIES if "NumIdentifiant" in i]
HERMANN_BAD_KEY = "1810363220456"
"""CNDA 2.08 case 2: the published key 60 is not the computed one (76); INSi returns it as is."""


def label(identity: dict[str, Any]) -> str:
    return f"{identity['NomNaissance']}-{identity.get('ListePrenom', 'probe')}".replace(" ", "_")


def first_names_tried(identity: dict[str, Any]) -> list[str]:
    """The first names a vendor's script sends one per call: the published query list, else the list's first."""
    return identity.get("query_firstnames") or [identity["ListePrenom"].split(" ")[0]]
