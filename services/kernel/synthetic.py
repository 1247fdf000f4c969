"""Bulk synthetic people for load tests: valid NIR keys, test INS OID, reproducible from a seed.

Faker (fr_FR) is slow per call, so it fills name pools once; people are then drawn from the pools with
one ``random.Random`` — a million identities in well under a minute, the same ones for the same seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from .identifiers import idnat_from_rpps, nir_key, with_luhn
from .traits import fold

TEST_NIR_OID = "1.2.250.1.213.1.4.10"
_POOL = 3000
_BIRTH_PLACES = [
    "63113",
    "75056",
    "69123",
    "13055",
    "31555",
    "33063",
    "59350",
    "67482",
    "2A004",
    "2B033",
    "44109",
    "35238",
    "34172",
    "06088",
    "76540",
    "38185",
    "21231",
    "51454",
    "87085",
    "29019",
]


@dataclass(frozen=True)
class SyntheticPerson:
    ins: str
    oid: str
    birth_name: str
    first_names: str
    sex: str
    birth_date: str
    birth_place: str


@dataclass(frozen=True)
class SyntheticProfessional:
    idnat: str
    rpps: str
    family_name: str
    given_name: str
    profession: str


def _clean(names: set[str]) -> list[str]:
    cleaned = set()
    for name in names:
        folded = fold(name).replace(" ", "-")
        if folded.replace("-", "").replace("'", "").isalpha():
            cleaned.add(folded)
    return sorted(cleaned)


class NamePools:
    def __init__(self, seed: int) -> None:
        from faker import Faker  # imported here: it costs 80 ms at start-up and only `socle seed` needs it

        faker = Faker("fr_FR")
        faker.seed_instance(seed)
        self.family = _clean({faker.last_name() for _ in range(_POOL)})
        self.male = _clean({faker.first_name_male() for _ in range(_POOL // 3)})
        self.female = _clean({faker.first_name_female() for _ in range(_POOL // 3)})


def people(count: int, *, seed: int = 0, start: int = 0) -> Iterator[SyntheticPerson]:
    """``count`` distinct people; person ``start + i`` is the same for the same seed.

    Matricules are unique by construction: the running index picks the birth place and order number
    (20 000 combinations), then the birth month and year (1 080 months), so up to 21 million people
    never share a matricule whatever their random names and days of birth.
    """
    pools = NamePools(seed)
    places = len(_BIRTH_PLACES)
    for index in range(start, start + count):
        rng = random.Random(seed * 1_000_003 + index)
        sex = "M" if rng.random() < 0.5 else "F"
        place = _BIRTH_PLACES[index % places]
        order = (index // places) % 1000
        year, month = divmod(index // (places * 1000), 12)
        born = date(1930 + year % 90, month + 1, rng.randint(1, 28))
        names = pools.male if sex == "M" else pools.female
        nir = f"{'1' if sex == 'M' else '2'}{born.year % 100:02d}{born.month:02d}{place}{order:03d}"
        first = [rng.choice(names) for _ in range(1 + (rng.random() < 0.4))]
        yield SyntheticPerson(
            ins=nir + nir_key(nir),
            oid=TEST_NIR_OID,
            birth_name=rng.choice(pools.family),
            first_names=" ".join(dict.fromkeys(first)),
            sex=sex,
            birth_date=born.isoformat(),
            birth_place=place,
        )


def professionals(count: int, *, seed: int = 0) -> Iterator[SyntheticProfessional]:
    """Professionals with Luhn-valid RPPS numbers in a range (2…) the fixed data never uses."""
    pools = NamePools(seed + 1)
    rng = random.Random(seed + 1)
    codes = ["10", "10", "10", "21", "60", "60", "70", "40", "50", "91"]
    for index in range(count):
        rpps = with_luhn(f"2{index:09d}")
        sex_pool = pools.male if rng.random() < 0.5 else pools.female
        yield SyntheticProfessional(
            idnat=idnat_from_rpps(rpps),
            rpps=rpps,
            family_name=rng.choice(pools.family),
            given_name=rng.choice(sex_pool),
            profession=rng.choice(codes),
        )
