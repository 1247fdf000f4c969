"""Check keys of the national identifiers: NIR/NIA (INS matricule), RPPS, FINESS, SIREN, SIRET, idNat.

Pure functions, no I/O. Rules and the evidence behind them: INS annex A3 (NIR key 97 − N mod 97, Corsica
``2A``→19 and ``2B``→18 before computing), annuaire annex C5/C6 (Luhn keys, idNat prefixes).
"""

from __future__ import annotations

import re

NIR_PATTERN = re.compile(r"^[12378]\d{4}(\d{2}|2A|2B)\d{6}$")
"""13 characters; only positions 6–7 may hold the letters of Corsica (2A/2B)."""

IDNAT_PS_PREFIXES = {
    "0": "ADELI",
    "1": "ADELI cabinet / internal id",
    "3": "FINESS / internal id",
    "4": "SIREN / internal id",
    "5": "SIRET / internal id",
    "6": "RPPS cabinet / internal id",
    "8": "RPPS",
}
IDNAT_ST_PREFIXES = {"0": "ADELI rang", "1": "FINESS", "2": "SIREN", "3": "SIRET", "4": "RPPS rang"}


class InvalidIdentifier(ValueError):
    """A number that does not have the shape of the identifier it claims to be."""


def nir_key(nir: str) -> str:
    """The two-digit key of a 13-character NIR or NIA.

    Corsica's ``2A``/``2B`` are replaced by 19/18 on the string before the modulo: the
    "subtract 1 000 000" formulation found in some guides gives wrong keys on the CNDA fixtures.
    """
    nir = nir.upper()
    if not NIR_PATTERN.match(nir):
        raise InvalidIdentifier(f"not a 13-character NIR/NIA: {nir!r}")
    number = int(nir[:5] + nir[5:7].replace("2A", "19").replace("2B", "18") + nir[7:])
    return f"{97 - number % 97:02d}"


def is_valid_ins(ins: str) -> bool:
    """True for a 15-character INS matricule (NIR or NIA + key) whose key is right."""
    if len(ins) != 15 or not ins[13:].isdigit():
        return False
    try:
        return nir_key(ins[:13]) == ins[13:]
    except InvalidIdentifier:
        return False


def split_ins(ins: str) -> tuple[str, str]:
    """(13-character matricule, 2-digit key) of a 15-character INS, shape checked, key not."""
    if len(ins) != 15 or not NIR_PATTERN.match(ins[:13].upper()) or not ins[13:].isdigit():
        raise InvalidIdentifier(f"not a 15-character INS: {ins!r}")
    return ins[:13].upper(), ins[13:]


def luhn_digit(digits: str) -> str:
    """The Luhn check digit to append to ``digits``."""
    if not digits.isdigit():
        raise InvalidIdentifier(f"Luhn needs digits: {digits!r}")
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def is_luhn_valid(number: str) -> bool:
    """True when the last digit of ``number`` is the Luhn key of the others."""
    return len(number) > 1 and number.isdigit() and luhn_digit(number[:-1]) == number[-1]


def with_luhn(base: str) -> str:
    """``base`` followed by its Luhn key (RPPS from 10 digits, FINESS from 8, SIREN from 8, SIRET from 13)."""
    return base + luhn_digit(base)


def idnat_from_rpps(rpps: str) -> str:
    """The idNat of a professional registered in the RPPS: ``8`` followed by the 11-digit RPPS."""
    if len(rpps) != 11 or not rpps.isdigit():
        raise InvalidIdentifier(f"an RPPS number has 11 digits: {rpps!r}")
    return "8" + rpps


def idnat_kind(idnat: str) -> str:
    """What the first character of a professional's idNat says about the number behind it."""
    kind = IDNAT_PS_PREFIXES.get(idnat[:1])
    if kind is None:
        raise InvalidIdentifier(f"unknown idNat prefix: {idnat!r}")
    return kind
