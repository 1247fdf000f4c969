"""INSi matching rules, pure: validate and normalise the traits of a query, then decide 00 / 01 / 02.

Rules (INS annex A5/A6): traits compared in their normalised form (uppercase, no accents); the query
carries one first name, which must be one of the identity's birth first names (several names, as the
last call of some clients, must equal the whole list in order); the birth place is optional and, when
given, must be equal. 0 identity → ``01``, 1 → ``00`` with its traits and INS history, more → ``02``.
A Vitale card query finds the person by matricule (the beneficiary's, else the card holder's; active or
past) and birth date. The base keeps no link from a card holder to the dependants on the card, so a
holder's matricule finds the holder only; the rank of birth is checked for shape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from services.kernel.identifiers import NIR_PATTERN, nir_key
from services.kernel.traits import InvalidTrait, fold, normalize_first_name, normalize_name

from .codes import insi_labels
from .identity import Person

FOUND, NOT_FOUND, SEVERAL = "00", "01", "02"
LABELS = insi_labels()
"""INSi ``LibelleCR`` (no accents, as the service sends them)."""

DATE_PATTERN = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
PLACE_PATTERN = re.compile(r"^(\d{5}|2[AB]\d{3})$")
RANK_PATTERN = re.compile(r"^\d{1,2}$")


class InvalidQuery(ValueError):
    """A query INSi refuses before searching; ``field`` names the element at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class TraitsQuery:
    birth_name: str
    first_names: tuple[str, ...]
    sex: str
    birth_date: str
    birth_place: str | None = None


@dataclass(frozen=True)
class VitaleQuery:
    individual: str | None
    """The beneficiary's own matricule (13 characters), when the card carries it."""
    holder: str | None
    """The card holder's ("ouvrant droit") matricule."""
    birth_date: str
    birth_name: str | None = None
    rank: str | None = None


@dataclass(frozen=True)
class Outcome:
    code: str
    person: Person | None = None
    matched_first_name: str | None = None
    candidates: tuple[Person, ...] = ()

    @property
    def label(self) -> str:
        return LABELS[self.code]


def check_birth_date(value: str | None, field: str = "DateNaissance") -> str:
    """``YYYY-MM-DD``, a real date or an INSi lunar date (``00`` for an unknown day or month), not future."""
    match = DATE_PATTERN.match((value or "").strip())
    if not match:
        raise InvalidQuery(field, f"{field} must be YYYY-MM-DD, got {value!r}")
    year, month, day = (int(part) for part in match.groups())
    try:
        real = date(year, month or 1, day or 1)
    except ValueError:
        raise InvalidQuery(field, f"{field} {value!r} is not a calendar date") from None
    if year < 1800 or real > date.today():
        raise InvalidQuery(field, f"{field} {value!r} is out of range")
    if month == 0 and day != 0:
        raise InvalidQuery(field, f"{field} {value!r}: a known day needs a known month")
    return match.group(0)


def check_sex(value: str | None) -> str:
    sex = (value or "").strip().upper()
    if sex not in ("M", "F"):
        raise InvalidQuery("Sexe", f"Sexe must be M or F, got {value!r}")
    return sex


def check_place(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    place = value.strip().upper()
    if not PLACE_PATTERN.match(place):
        raise InvalidQuery("LieuNaissance", f"LieuNaissance must be a 5-character INSEE code, got {value!r}")
    return place


def check_matricule(nir: str | None, key: str | None, field: str) -> str:
    """A 13-character NIR/NIA whose key, when given, is right."""
    value = (nir or "").strip().upper()
    if not NIR_PATTERN.match(value):
        raise InvalidQuery(field, f"{field} must be a 13-character NIR or NIA, got {nir!r}")
    if key is not None and key.strip() and nir_key(value) != key.strip():
        raise InvalidQuery(field, f"{field}: key {key!r} does not match {value}")
    return value


def traits_query(
    *,
    birth_name: str | None,
    first_names: Iterable[str],
    sex: str | None,
    birth_date: str | None,
    birth_place: str | None = None,
) -> TraitsQuery:
    """Validate and normalise a traits search, or raise :class:`InvalidQuery`."""
    if not birth_name or not birth_name.strip():
        raise InvalidQuery("NomNaissance", "NomNaissance is required")
    try:
        name = normalize_name(birth_name)
    except InvalidTrait as exc:
        raise InvalidQuery("NomNaissance", str(exc)) from None
    names: list[str] = []
    for given in first_names:
        for part in fold(given).split(" "):
            if not part:
                continue
            try:
                names.append(normalize_first_name(part))
            except InvalidTrait as exc:
                raise InvalidQuery("Prenom", str(exc)) from None
    if not names:
        raise InvalidQuery("Prenom", "one first name (Prenom) is required")
    return TraitsQuery(
        name, tuple(names), check_sex(sex), check_birth_date(birth_date), check_place(birth_place)
    )


def vitale_query(
    *,
    individual: tuple[str | None, str | None] | None,
    holder: tuple[str | None, str | None] | None,
    birth_date: str | None,
    birth_name: str | None = None,
    rank: str | None = None,
) -> VitaleQuery:
    """Validate a Vitale card search: a matricule with a right key, the beneficiary's birth date."""
    own = check_matricule(*individual, "MatriculeIndividu") if individual and individual[0] else None
    od = check_matricule(*holder, "MatriculeOD") if holder and holder[0] else None
    if own is None and od is None:
        raise InvalidQuery("MatriculeIndividu", "MatriculeIndividu or MatriculeOD is required")
    name = None
    if birth_name and birth_name.strip():
        try:
            name = normalize_name(birth_name)
        except InvalidTrait as exc:
            raise InvalidQuery("NomNaissance", str(exc)) from None
    if rank is not None and rank.strip() and not RANK_PATTERN.match(rank.strip()):
        raise InvalidQuery("RangNaissance", f"RangNaissance must be a number, got {rank!r}")
    return VitaleQuery(own, od, check_birth_date(birth_date), name, (rank or "").strip() or None)


def first_name_matches(query: tuple[str, ...], person: Person) -> bool:
    if len(query) == 1:
        return query[0] in person.first_names
    return query == person.first_names


def traits_match(query: TraitsQuery, person: Person) -> bool:
    """Whether ``person`` answers ``query`` (also INSi "verification": an INS and traits that agree)."""
    return (
        person.birth_name == query.birth_name
        and person.sex == query.sex
        and person.birth_date == query.birth_date
        and first_name_matches(query.first_names, person)
        and (query.birth_place is None or person.birth_place == query.birth_place)
    )


def decide(candidates: Iterable[Person]) -> Outcome:
    found = tuple(candidates)
    if not found:
        return Outcome(NOT_FOUND)
    if len(found) > 1:
        return Outcome(SEVERAL, candidates=found)
    return Outcome(FOUND, found[0], candidates=found)


def match_traits(query: TraitsQuery, candidates: Iterable[Person]) -> Outcome:
    """The INSi answer to a traits search among ``candidates`` (those sharing name, date and sex)."""
    outcome = decide(p for p in candidates if traits_match(query, p))
    if outcome.person is not None:
        return Outcome(FOUND, outcome.person, " ".join(query.first_names), outcome.candidates)
    return outcome


def match_vitale(query: VitaleQuery, candidates: Iterable[Person]) -> Outcome:
    """The INSi answer to a Vitale card search among the identities holding the card's matricules."""
    wanted = {query.individual} if query.individual else {query.holder}

    def holds(person: Person) -> bool:
        numbers = {person.ins.nir} | {h.nir for h in person.history}
        return bool(numbers & wanted)

    found = [
        p
        for p in candidates
        if holds(p)
        and p.birth_date == query.birth_date
        and (query.birth_name is None or p.birth_name == query.birth_name)
    ]
    outcome = decide(found)
    if outcome.person is not None:
        return Outcome(FOUND, outcome.person, outcome.person.first_name, outcome.candidates)
    return outcome


def verify(person: Person | None, query: TraitsQuery) -> Outcome:
    """INSi "vérification": ``00`` when the identity behind an INS carries these traits, else ``01``."""
    if person is None or not traits_match(query, person):
        return Outcome(NOT_FOUND)
    return Outcome(FOUND, person, " ".join(query.first_names), (person,))
