"""The pure rules behind a search: how values, modifiers and page links are read (no server)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.annuaire.pages import Page, next_page, read_page
from services.annuaire.search import MAX_COUNT, DateRange, TokenValue, parse_search
from services.kernel.errors import BadRequest, Gone


def test_token_values_distinguish_any_system_no_system_and_any_code() -> None:
    search = parse_search("Practitioner", [("identifier", "a|1,|2,3,b|")])
    assert search.criteria[0].values == (
        TokenValue("a", "1"),
        TokenValue("", "2"),
        TokenValue(None, "3"),
        TokenValue("b", None),
    )


def test_strings_are_folded_except_exact_and_mailbox_is_a_whole_address() -> None:
    search = parse_search(
        "Practitioner", [("family", "Hélène"), ("family:exact", "Hélène"), ("mailbox-mss", "A@B.fr")]
    )
    assert [(c.modifier, c.values) for c in search.criteria] == [
        ("", ("HELENE",)),
        ("exact", ("Hélène",)),
        ("address", ("A@B.FR",)),
    ]


def test_references_accept_id_type_and_absolute_url() -> None:
    search = parse_search(
        "PractitionerRole", [("organization", "1,Organization/2,http://x/fhir/v2/Organization/3")]
    )
    assert search.criteria[0].values == ("Organization/1", "Organization/2", "Organization/3")


def test_last_updated_prefixes_become_ranges() -> None:
    (criterion,) = parse_search("Organization", [("_lastUpdated", "ge2026-01")]).criteria
    assert criterion.values == (
        DateRange("ge", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)),
    )
    (december,) = parse_search("Organization", [("_lastUpdated", "2025-12")]).criteria
    assert december.values[0].end == datetime(2026, 1, 1, tzinfo=UTC)  # type: ignore[union-attr]


def test_result_parameters() -> None:
    search = parse_search(
        "PractitionerRole",
        [("_count", "5000"), ("_include", "*"), ("_elements", "code, telecom"), ("_total", "none")],
    )
    assert search.count == MAX_COUNT
    assert search.includes == (("PractitionerRole", "organization"), ("PractitionerRole", "practitioner"))
    assert search.elements == ("code", "telecom")
    assert not search.with_total
    assert parse_search("Organization", [("_count", "0")]).only_total


@pytest.mark.parametrize(
    "items",
    [
        [("identifier", "")],
        [("identifier", "|")],
        [("given:exact", "")],
        [("_total", "maybe")],
        [("identifier", ",".join(str(n) for n in range(101)))],
        [("family", "A")] * 31,
        [("_id:exact", "x")],
    ],
)
def test_malformed_values_are_refused(items: list[tuple[str, str]]) -> None:
    with pytest.raises(BadRequest):
        parse_search("Practitioner", items)


def test_page_links_round_trip_and_refuse_tampering() -> None:
    page = Page("Organization", (("name", "socle"), ("_count", "2")), "001-1630000016")
    getpages, page_id = next_page(page)
    assert read_page(getpages, page_id) == page
    _, other_id = next_page(Page("Practitioner", (), "003-1"))
    with pytest.raises(Gone):
        read_page(getpages, other_id)
    with pytest.raises(Gone):
        read_page(getpages, page_id[:-4])
