"""Code lists copied into the package with their source (``data/*.json``): identity statuses, identity
attributes, collection methods, validation documents, INSi return codes."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def _load(name: str) -> dict[str, Any]:
    return json.loads(resources.files("services.ins").joinpath("data", name).read_text("utf-8"))  # type: ignore[no-any-return]


def displays(name: str) -> dict[str, str]:
    """code → display of a CodeSystem-like list (``concept`` entries)."""
    return {c["code"]: c["display"] for c in _load(name)["concept"]}


def insi_labels() -> dict[str, str]:
    """INSi ``CodeCR`` → ``LibelleCR``."""
    return {c["CodeCR"]: c["LibelleCR"] for c in _load("insi-cr-codes.json")["codes"]}


STATUS_LABELS = displays("ins-identity-status.json")
ATTRIBUTES = displays("ins-identity-status-comment.json")
METHODS = displays("ins-method-collection.json")
DOCUMENTS = displays("ins-validation-mode.json")
