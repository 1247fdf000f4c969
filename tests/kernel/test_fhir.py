"""FHIR parsing errors name the element, whatever shape the bad input has."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.kernel.errors import BadRequest
from services.kernel.fhir import parse_resource, searchset

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


def test_a_wrong_type_names_the_element() -> None:
    with pytest.raises(BadRequest) as caught:
        parse_resource({"resourceType": "Patient", "name": [{"given": {"a": 1}}]})
    assert caught.value.expression == ["Patient.name[0].given"]


def test_the_expected_type_is_enforced() -> None:
    with pytest.raises(BadRequest, match="expected a Bundle"):
        parse_resource(b'{"resourceType": "Patient"}', expected="Bundle")
    with pytest.raises(BadRequest, match="invalid JSON"):
        parse_resource(b"{nope")
    with pytest.raises(BadRequest, match="unknown resource type"):
        parse_resource({"resourceType": "NoSuchThing"})


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["Patient", "DocumentReference", "Bundle", "List"]),
    st.dictionaries(
        st.sampled_from(["id", "name", "content", "entry", "subject", "extension", "meta", "type"]),
        JSON,
        max_size=4,
    ),
)
def test_any_json_is_either_a_resource_or_a_400(resource_type: str, fields: dict[str, Any]) -> None:
    with contextlib.suppress(BadRequest):
        parse_resource({"resourceType": resource_type, **fields})


def test_searchset_links_page_through_the_results() -> None:
    bundle = searchset(
        [{"resourceType": "Patient", "id": "1"}],
        total=3,
        base_url="http://x/fhir/Patient",
        params={"family": "A", "_count": "1"},
        offset=1,
        count=1,
    )
    relations = {link["relation"]: link["url"] for link in bundle["link"]}
    assert relations["next"] == "http://x/fhir/Patient?family=A&_offset=2&_count=1"
    assert relations["previous"] == "http://x/fhir/Patient?family=A&_offset=0&_count=1"
    assert bundle["total"] == 3 and bundle["entry"][0]["fullUrl"] == "http://x/fhir/Patient/1"
