"""INSi trait normalisation: what a vendor types becomes what INSi compares."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.kernel.traits import (
    NAME_PATTERN,
    InvalidTrait,
    first_first_name,
    fold,
    normalize_first_name,
    normalize_name,
    split_first_names,
)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Dupont", "DUPONT"),
        ("  de   Vinci ", "DE VINCI"),
        ("Hélène", "HELENE"),
        ("d’Artagnan de l’Hérault", "D'ARTAGNAN DE L'HERAULT"),
        ("Œuvray", "OEUVRAY"),
        ("Lætitia", "LAETITIA"),
        ("François-Xavier", "FRANCOIS-XAVIER"),
    ],
)
def test_names_are_folded_as_insi_stores_them(typed: str, expected: str) -> None:
    assert normalize_name(typed) == expected


@pytest.mark.parametrize("bad", ["Dupont2", "Du@pont", "-Dupont", "Dupont-", "", "Du---pont"])
def test_forbidden_characters_are_refused(bad: str) -> None:
    with pytest.raises(InvalidTrait):
        normalize_name(bad)


def test_first_names_split_on_spaces_and_keep_hyphens() -> None:
    assert split_first_names("Pierre-Alain  Muriel floriant") == ["PIERRE-ALAIN", "MURIEL", "FLORIANT"]
    assert first_first_name("Pierre-Alain Muriel") == "PIERRE-ALAIN"
    with pytest.raises(InvalidTrait):
        normalize_first_name("Anne Marie")
    with pytest.raises(InvalidTrait):
        first_first_name("   ")


LETTERS = "abcdefghijklmnopqrstuvwxyzéèêëàâäîïôöùûüçœæ"


@given(
    st.lists(st.text(alphabet=LETTERS + LETTERS.upper(), min_size=1, max_size=12), min_size=1, max_size=4),
    st.sampled_from([" ", "-", "'", "--"]),
)
def test_any_accented_name_normalises_to_the_insi_alphabet(words: list[str], separator: str) -> None:
    result = normalize_name(separator.join(words))
    assert NAME_PATTERN.match(result)
    assert result == fold(result)
    assert normalize_name(result) == result
