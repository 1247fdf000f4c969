"""Searchset Bundles as the directory answers them: ``total`` on the first page, ``self``/``next`` links.

``_elements`` keeps the listed top-level elements (plus ``id``, ``meta`` and mandatory ``resourceType``)
and tags the resource SUBSETTED, as FHIR R4 §3.1.1.5.9 asks, so a client never mistakes it for the
whole record.
"""

from __future__ import annotations

from typing import Any

from services.kernel.fhir import now_instant

Resource = dict[str, Any]
SUBSETTED = {"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"}
ALWAYS_KEPT = ("resourceType", "id", "meta")


def subset(resource: Resource, elements: tuple[str, ...]) -> Resource:
    if not elements:
        return resource
    kept = {k: v for k, v in resource.items() if k in ALWAYS_KEPT or k in elements}
    meta = dict(kept.get("meta", {}))
    meta["tag"] = [*meta.get("tag", []), SUBSETTED]
    kept["meta"] = meta
    return kept


def searchset(
    *,
    base_url: str,
    matches: list[Resource],
    included: list[Resource],
    total: int | None,
    self_url: str,
    next_url: str | None,
    elements: tuple[str, ...] = (),
) -> Resource:
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})

    def entry(resource: Resource, mode: str) -> Resource:
        return {
            "fullUrl": f"{base_url}/{resource['resourceType']}/{resource['id']}",
            "resource": subset(resource, elements) if mode == "match" else resource,
            "search": {"mode": mode},
        }

    bundle: Resource = {
        "resourceType": "Bundle",
        "meta": {"lastUpdated": now_instant()},
        "type": "searchset",
    }
    if total is not None:
        bundle["total"] = total
    bundle["link"] = links
    entries = [entry(r, "match") for r in matches] + [entry(r, "include") for r in included]
    if entries:
        bundle["entry"] = entries
    return bundle
