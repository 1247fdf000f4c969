"""Normalise identity traits the way INSi expects them: uppercase A–Z, no accents, few separators.

INS annex A5: names match ``^[A-Z]+(?:(?:-{1,2}|[' ])[A-Z]+)*$``; first names are sent one per call and
the full list is space separated; traits are compared unaccented and uppercase.
"""

from __future__ import annotations

import re
import unicodedata

NAME_PATTERN = re.compile(r"^[A-Z]+(?:(?:-{1,2}|[' ])[A-Z]+)*$")
FIRST_NAME_PATTERN = re.compile(r"^[A-Z]+(?:(?:-{1,2}|')[A-Z]+)*$")

_LIGATURES = str.maketrans({"Œ": "OE", "œ": "OE", "Æ": "AE", "æ": "AE", "ß": "SS"})
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})
_SPACES = re.compile(r"\s+")


class InvalidTrait(ValueError):
    """A trait that still holds a forbidden character once normalised."""


def fold(text: str) -> str:
    """Uppercase, ligatures spelt out, accents and typographic apostrophes removed, spaces collapsed."""
    text = text.translate(_LIGATURES).translate(_APOSTROPHES)
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SPACES.sub(" ", bare).strip().upper()


def normalize_name(name: str) -> str:
    """A birth name as INSi stores it; raises InvalidTrait when a forbidden character remains."""
    folded = fold(name)
    if not NAME_PATTERN.match(folded):
        raise InvalidTrait(f"name {name!r} has characters INSi does not accept")
    return folded


def normalize_first_name(first_name: str) -> str:
    """One first name as INSi matches it (no inner space: a space separates two first names)."""
    folded = fold(first_name)
    if not FIRST_NAME_PATTERN.match(folded):
        raise InvalidTrait(f"first name {first_name!r} has characters INSi does not accept")
    return folded


def split_first_names(first_names: str) -> list[str]:
    """The list of birth first names, as INSi's space-separated ``ListePrenom`` holds it."""
    return [normalize_first_name(part) for part in fold(first_names).split(" ") if part]


def first_first_name(first_names: str) -> str:
    """The first birth first name, the one FR Core puts in ``name.given`` (compound names keep the hyphen)."""
    names = split_first_names(first_names)
    if not names:
        raise InvalidTrait("the list of first names is empty")
    return names[0]
