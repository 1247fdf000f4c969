"""Keys of national identifiers, checked against published facts rather than against our own formula."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel.identifiers import (
    InvalidIdentifier,
    idnat_from_rpps,
    idnat_kind,
    is_luhn_valid,
    is_valid_ins,
    luhn_digit,
    nir_key,
    split_ins,
    with_luhn,
)

CNDA = json.loads(resources.files("services.kernel").joinpath("data/insi-test-identities.json").read_text())
WITH_KEYS = [i for i in CNDA["identities"] if "NumIdentifiant" in i and i["NomNaissance"] != "HERMANN"]


@pytest.mark.parametrize("identity", WITH_KEYS, ids=lambda i: f"{i['NomNaissance']}-{i['ListePrenom']}")
def test_nir_key_matches_every_published_cnda_key(identity: dict[str, str]) -> None:
    assert nir_key(identity["NumIdentifiant"]) == identity["Cle"]
    for past in identity.get("INSHISTO", []):
        assert nir_key(past["NumIdentifiant"]) == past["Cle"]


def test_the_hermann_fixture_carries_a_wrong_key_that_we_detect() -> None:
    hermann = next(i for i in CNDA["identities"] if i["NomNaissance"] == "HERMANN")
    assert nir_key(hermann["NumIdentifiant"]) == "76"
    assert not is_valid_ins(hermann["NumIdentifiant"] + hermann["Cle"])


@pytest.mark.parametrize("ins", ["279035121518989", "146026322000196", "162018885045327"])
def test_published_cda_and_xdm_examples_are_valid(ins: str) -> None:
    assert is_valid_ins(ins)


@pytest.mark.parametrize("ins", ["123456789012244", "297022A02077879", "29702XA02077878", "2970", ""])
def test_invalid_ins_are_refused(ins: str) -> None:
    assert not is_valid_ins(ins)


def test_corsica_letters_only_in_the_department_position() -> None:
    with pytest.raises(InvalidIdentifier):
        nir_key("2A7022A020778")
    assert split_ins("297022a02077878") == ("297022A020778", "78")


@given(st.from_regex(r"\A[12][0-9]{4}(?:[0-9]{2}|2A|2B)[0-9]{6}\Z"))
def test_every_nir_with_its_computed_key_is_valid(nir: str) -> None:
    key = nir_key(nir)
    assert is_valid_ins(nir + key)
    wrong = f"{(int(key) % 97) + 1:02d}" if key != "97" else "01"
    assert not is_valid_ins(nir + wrong)


@pytest.mark.parametrize("number", ["99700218896", "99700366240", "99700427869", "10000005479", "590064036"])
def test_luhn_accepts_published_rpps_and_finess(number: str) -> None:
    assert is_luhn_valid(number)


def test_luhn_refuses_the_fictive_ig_sample() -> None:
    assert not is_luhn_valid("10102727017")


@given(st.text(alphabet="0123456789", min_size=1, max_size=20), st.integers(0, 9))
def test_luhn_catches_every_single_digit_error(base: str, replacement: int) -> None:
    number = with_luhn(base)
    assert is_luhn_valid(number)
    position = len(base) // 2
    if int(number[position]) != replacement:
        altered = number[:position] + str(replacement) + number[position + 1 :]
        assert not is_luhn_valid(altered)


def test_idnat_of_an_rpps_professional() -> None:
    rpps = with_luhn("1000000001")
    assert idnat_from_rpps(rpps) == "8" + rpps
    assert idnat_kind("8" + rpps) == "RPPS"
    with pytest.raises(InvalidIdentifier):
        idnat_from_rpps("123")
    with pytest.raises(InvalidIdentifier):
        idnat_kind("9123")
    with pytest.raises(InvalidIdentifier):
        luhn_digit("12a")
