"""The pure rules: INSi matching and normalisation, matricule keys, RNIV identity statuses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.ins import status
from services.ins.identity import InsNumber, Person
from services.ins.matching import (
    FOUND,
    NOT_FOUND,
    SEVERAL,
    InvalidQuery,
    match_traits,
    match_vitale,
    traits_query,
    verify,
    vitale_query,
)
from services.kernel.identifiers import is_valid_ins, nir_key
from services.kernel.traits import NAME_PATTERN, fold, normalize_name

from .insi_data import HERMANN_BAD_KEY, WITH_INS


def person(
    first_names: str = "PIERRE-ALAIN MURIEL", place: str = "63220", nir: str = "1090763220834"
) -> Person:
    return Person(
        InsNumber(nir, nir_key(nir), "1.2.250.1.213.1.4.8"),
        "ECETINSI",
        tuple(first_names.split()),
        "M",
        "2009-07-14",
        place,
        "QUAL",
    )


def query(first: str = "MURIEL", place: str | None = None, **traits: str) -> object:
    values = {"birth_name": "ECETINSI", "sex": "M", "birth_date": "2009-07-14"} | traits
    return traits_query(first_names=[first], birth_place=place, **values)


@pytest.mark.parametrize("identity", WITH_INS, ids=lambda i: i["NomNaissance"] + "-" + i["ListePrenom"])
def test_published_keys(identity: dict[str, str]) -> None:
    computed = nir_key(identity["NumIdentifiant"])
    if identity["NumIdentifiant"] == HERMANN_BAD_KEY:
        assert (computed, identity["Cle"]) == ("76", "60")
    else:
        assert computed == identity["Cle"]


@given(st.from_regex(r"[12][0-9]{4}(2A|2B|[0-9]{2})[0-9]{6}", fullmatch=True))
def test_a_computed_key_validates_and_a_changed_digit_does_not(nir: str) -> None:
    ins = nir + nir_key(nir)
    assert is_valid_ins(ins)
    last = str((int(ins[-3]) + 1) % 10)
    assert not is_valid_ins(ins[:-3] + last + ins[-2:])


@given(st.text(alphabet="abcdeéèêëàçîïôöùûüÿœæ ABCXYZ-'’", min_size=1, max_size=30))
def test_normalisation_is_idempotent_and_yields_insi_characters(name: str) -> None:
    folded = fold(name)
    assert fold(folded) == folded
    assert set(folded) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ -'")
    if NAME_PATTERN.match(folded):
        assert normalize_name(folded) == folded


@given(
    st.sampled_from(["Muriel", "MURIEL", "muriel", "Muriél", " muriel "]),
    st.sampled_from(["Ecetinsi", "ÉCETINSI", "ecetinsi"]),
)
def test_any_spelling_of_the_traits_matches(first: str, name: str) -> None:
    assert match_traits(query(first, birth_name=name), [person()]).code == FOUND


def test_one_first_name_of_the_list_or_the_whole_list() -> None:
    candidates = [person()]
    assert match_traits(query("PIERRE-ALAIN"), candidates).code == FOUND
    assert match_traits(query("PIERRE-ALAIN MURIEL"), candidates).code == FOUND
    assert match_traits(query("PIERRE"), candidates).code == NOT_FOUND
    assert match_traits(query("MURIEL PIERRE-ALAIN"), candidates).code == NOT_FOUND


def test_birth_place_is_optional_and_separates_homonyms() -> None:
    twins = [person(place="63220"), person(place="75056", nir="1090775056001")]
    assert match_traits(query(), twins).code == SEVERAL
    outcome = match_traits(query(place="75056"), twins)
    assert (outcome.code, outcome.person.birth_place if outcome.person else None) == (FOUND, "75056")
    assert match_traits(query(place="2A004"), twins).code == NOT_FOUND


def test_the_answer_names_the_first_name_that_matched() -> None:
    assert match_traits(query("muriel"), [person()]).matched_first_name == "MURIEL"


@pytest.mark.parametrize(
    ("traits", "field"),
    [
        ({"birth_name": ""}, "NomNaissance"),
        ({"birth_name": "ECET1NSI"}, "NomNaissance"),
        ({"sex": "U"}, "Sexe"),
        ({"birth_date": "2009-7-14"}, "DateNaissance"),
        ({"birth_date": "2009-02-29"}, "DateNaissance"),
        ({"birth_date": "2009-00-14"}, "DateNaissance"),
    ],
)
def test_invalid_traits_name_their_field(traits: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidQuery) as caught:
        query(**traits)
    assert caught.value.field == field


def test_lunar_dates_are_accepted() -> None:
    assert query(birth_date="2009-07-00").birth_date == "2009-07-00"  # type: ignore[attr-defined]
    assert query(birth_date="2009-00-00").birth_date == "2009-00-00"  # type: ignore[attr-defined]


def test_first_name_with_a_forbidden_character() -> None:
    with pytest.raises(InvalidQuery) as caught:
        query("MUR1EL")
    assert caught.value.field == "Prenom"


def test_vitale_search_by_beneficiary_or_holder() -> None:
    someone = person()
    own = vitale_query(individual=(someone.ins.nir, someone.ins.key), holder=None, birth_date="2009-07-14")
    assert match_vitale(own, [someone]).code == FOUND
    holder = vitale_query(individual=None, holder=(someone.ins.nir, None), birth_date="2009-07-14")
    assert match_vitale(holder, [someone]).code == FOUND
    wrong_date = vitale_query(individual=(someone.ins.nir, None), holder=None, birth_date="2009-07-15")
    assert match_vitale(wrong_date, [someone]).code == NOT_FOUND
    with pytest.raises(InvalidQuery):
        vitale_query(individual=(someone.ins.nir, "00"), holder=None, birth_date="2009-07-14")


def test_verification() -> None:
    someone = person()
    assert verify(someone, query()).code == FOUND
    assert verify(someone, query(birth_date="2009-07-15")).code == NOT_FOUND
    assert verify(None, query()).code == NOT_FOUND


@pytest.mark.parametrize(
    ("method", "insi_result", "document", "minor", "expected"),
    [
        ("SM", None, None, False, "PROV"),
        ("INSI", "00", None, False, "RECUP"),
        ("INSI", "01", "CN", False, "VALI"),
        ("INSI", "02", None, False, "PROV"),
        ("INSI", "00", "PA", False, "QUAL"),
        ("CV", None, "CS", False, "QUAL"),
        ("SM", None, "PC", False, "PROV"),
        ("SM", None, "LE", True, "VALI"),
        ("SM", None, "LE", False, "PROV"),
        ("AV", None, None, False, "QUAL"),
    ],
)
def test_status_from_the_two_criteria(
    method: str, insi_result: str | None, document: str | None, minor: bool, expected: str
) -> None:
    assert (
        status.assess(method=method, insi_result=insi_result, document=document, minor=minor).status
        == expected
    )


def test_doubtful_or_fictitious_identities_stay_provisional() -> None:
    doubtful = status.assess(method="INSI", insi_result="00", document="CN", attributes=frozenset({"DOUT"}))
    assert (doubtful.status, doubtful.insi_call_allowed) == ("PROV", False)
    with pytest.raises(status.InvalidStatusQuery):
        status.assess(method="SM", attributes=frozenset({"DOUT", "FICT"}))
    assert status.transition_error("QUAL", "PROV", frozenset({"FICT"})) is None
    assert status.transition_error("PROV", "QUAL", frozenset({"DOUT"})) is not None


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("PROV", "RECUP", True),
        ("PROV", "VALI", True),
        ("PROV", "QUAL", True),
        ("RECUP", "QUAL", True),
        ("VALI", "QUAL", True),
        ("RECUP", "VALI", False),
        ("VALI", "RECUP", False),
        ("QUAL", "RECUP", False),
        ("QUAL", "VALI", False),
        ("QUAL", "PROV", False),
    ],
)
def test_forbidden_transitions(current: str, target: str, allowed: bool) -> None:
    assert (status.transition_error(current, target) is None) is allowed


def test_unknown_status() -> None:
    with pytest.raises(status.InvalidStatusQuery):
        status.transition_error("QUALIFIEE", "PROV")


@pytest.mark.parametrize(
    "arguments",
    [
        {"method": "TELEPATHIE"},
        {"method": "SM", "document": "XX"},
        {"method": "SM", "attributes": frozenset({"NOPE"})},
    ],
)
def test_unknown_codes_are_refused(arguments: dict[str, object]) -> None:
    with pytest.raises(status.InvalidStatusQuery):
        status.assess(**arguments)  # type: ignore[arg-type]
