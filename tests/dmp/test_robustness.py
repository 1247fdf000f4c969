"""Whatever shape a submission takes, the checks answer a 4xx error or a plan, never a crash (500)."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.dmp.bundle import plan_bundle, plan_simplified
from services.kernel.errors import SocleError
from tests.dmp.builders import bundle

VALID = bundle()
ODD_VALUES = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=5),
    st.booleans(),
    st.just([]),
    st.just({}),
    st.just([None]),
    st.just({"x": 1}),
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


ALL_PATHS = paths(VALID)


def replaced(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    copied = copy.deepcopy(data)
    node: Any = copied
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return copied


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(ALL_PATHS), ODD_VALUES), min_size=1, max_size=3))
def test_mutated_bundles_never_crash(mutations: list[tuple[tuple[Any, ...], Any]]) -> None:
    data = VALID
    for path, value in mutations:
        try:
            data = replaced(data, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the parent
    try:
        plan_bundle(data)
    except SocleError as error:
        assert 400 <= error.status_code < 500


DOCUMENT = VALID["entry"][1]["resource"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(paths(DOCUMENT)), ODD_VALUES)
def test_mutated_simplified_publish_never_crashes(path: tuple[Any, ...], value: Any) -> None:
    try:
        plan_simplified(replaced(DOCUMENT, path, value))
    except SocleError as error:
        assert 400 <= error.status_code < 500


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                ["op", "path", "value", "name", "part", "parameter", "valueCode", "valueString", "x"]
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES)
def test_any_patch_body_gives_a_change_or_a_4xx(body: Any) -> None:
    from services.dmp.patch import from_fhirpath_patch, from_json_patch

    for parse in (
        lambda: from_json_patch(body, ["N"], []),
        lambda: from_fhirpath_patch({"resourceType": "Parameters", "parameter": body}, ["N"]),
    ):
        try:
            parse()
        except SocleError as error:
            assert 400 <= error.status_code < 500
