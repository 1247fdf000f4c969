"""Labels of the DMP code lists the explorer shows (J66 type, J57 class), from the copied ANS value sets.

The JSON files in ``data/`` are copies of the spec's ``data/`` folder and keep their ``source`` and
``version`` fields; a document sent with a bare code still reads as "Compte rendu" rather than "10".
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

VALUE_SETS = ("jdv_j66_typecode_dmp.json", "jdv_j57_classcode_dmp.json")


@cache
def labels() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in VALUE_SETS:
        data = json.loads(resources.files("services.console").joinpath("data", name).read_text("utf-8"))
        for concept in data["concepts"]:
            found.setdefault(concept["code"], concept["display"])
    return found


def label(code: str) -> str:
    return labels().get(code, "")
