"""The requirement catalogue (``catalogue.yaml``): what the suite can prove and for which software type.

Requirements keep the Ségur socle IDs verbatim next to our stable keys, so a result can be pasted into a
dossier de preuves; ``manual`` ones (a screen, a sworn statement) are listed but never block a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

PROFILES = ("lgc", "dpi", "pfi", "bio", "ris", "lgo")
"""Ségur software types: cabinet, hospital DPI, hospital platform, biology, radiology, pharmacy."""


@dataclass(frozen=True)
class Requirement:
    id: str
    segur: tuple[str, ...]
    title: str
    nature: str
    profiles: tuple[str, ...]
    service: str
    verification: str = "automated"
    reason: str = ""

    @property
    def mandatory(self) -> bool:
        return self.nature == "DOIT"

    @property
    def automated(self) -> bool:
        return self.verification == "automated"

    def applies_to(self, profile: str) -> bool:
        return profile in self.profiles

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "segur": list(self.segur),
            "title": self.title,
            "nature": self.nature,
            "profiles": list(self.profiles),
            "service": self.service,
            "verification": self.verification,
            "reason": self.reason,
        }


def parse_catalogue(data: dict[str, Any]) -> dict[str, Requirement]:
    """Requirements by ID; refuses duplicates, unknown natures and unknown profiles."""
    out: dict[str, Requirement] = {}
    for raw in data["requirements"]:
        requirement = Requirement(
            id=raw["id"],
            segur=tuple(raw.get("segur") or ()),
            title=raw["title"],
            nature=raw["nature"],
            profiles=tuple(raw["profiles"]),
            service=raw["service"],
            verification=raw.get("verification", "automated"),
            reason=raw.get("reason", ""),
        )
        if requirement.id in out:
            raise ValueError(f"requirement {requirement.id} is listed twice")
        if requirement.nature not in ("DOIT", "PEUT"):
            raise ValueError(f"{requirement.id}: nature must be DOIT or PEUT")
        unknown = set(requirement.profiles) - set(PROFILES)
        if unknown:
            raise ValueError(f"{requirement.id}: unknown profiles {sorted(unknown)}")
        if requirement.verification not in ("automated", "manual"):
            raise ValueError(f"{requirement.id}: verification must be automated or manual")
        out[requirement.id] = requirement
    return out


@cache
def catalogue() -> dict[str, Requirement]:
    text = resources.files("conformance").joinpath("catalogue.yaml").read_text(encoding="utf-8")
    return parse_catalogue(yaml.safe_load(text))
