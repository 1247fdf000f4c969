"""``meta`` of a published resource: FR Core + AS profiles, source, version, data trace (spec C1, C2).

The AS profiles carry ``as-ext-data-trace`` in ``meta.extension``: which information system the record
comes from (RPPS, FINESS, MSS) and, when known, the registration authority (TRE_R60).
"""

from __future__ import annotations

from typing import Any

from .codes import DATA_TRACE_EXT, META_SOURCE, PROFILES, REGISTRATION_AUTHORITY

FIXED_DATE = "2026-01-01T00:00:00.000+00:00"
"""``lastUpdated`` of the fixed test data, the same on every machine."""


def meta(
    resource_type: str, *, system: str, authority: str = "", last_updated: str = FIXED_DATE
) -> dict[str, Any]:
    trace: list[dict[str, Any]] = []
    if authority:
        coding = {"system": REGISTRATION_AUTHORITY, "code": authority}
        trace.append({"url": "autorite-enregistrement", "valueCodeableConcept": {"coding": [coding]}})
    trace.append({"url": "systeme-information", "valueCode": system})
    return {
        "extension": [{"url": DATA_TRACE_EXT, "extension": trace}],
        "versionId": "1",
        "lastUpdated": last_updated,
        "source": META_SOURCE,
        "profile": list(PROFILES[resource_type]),
    }
