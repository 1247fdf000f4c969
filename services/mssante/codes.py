"""Code lists copied from the spec data (each file keeps its ``source``): mailbox types, MDM errors."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def _data(name: str) -> Any:
    return json.loads(resources.files("services.mssante").joinpath("data", name).read_text("utf-8"))


def mailbox_types() -> frozenset[str]:
    """TRE_R257-TypeBAL codes (PER, ORG, APP, CAB)."""
    return frozenset(concept["code"] for concept in _data("mss-bal-types.json")["concept"])


def mdm_error_label(code: str) -> str:
    """The label of an application error (ERR-5, 900-906) of the MDM integration guide."""
    return str(_data("mss-mdm-error-codes.json")["applicationErrorCondition_ERR5"].get(code, ""))
