"""The authorisation matrix, generated from the policy (role × access mode × visibility × opposition)
and checked case by case against the HTTP API: search shows the document, hides it, or refuses."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.dmp.policy import Mode, Outcome, Role, Visibility, decide
from tests.dmp.builders import HL7_CONF, MT_IDNAT, OTHER_IDNAT, TRE_A07, bundle
from tests.dmp.conftest import dmp_client
from tests.dmp.helpers import ids, location_id, patient_query

THIRD_IDNAT = "810000000090"
CALLERS = {
    Role.AUTHOR: {"X-Test-Idnat": OTHER_IDNAT},
    Role.MEDECIN_TRAITANT: {"X-Test-Idnat": MT_IDNAT},
    Role.PROFESSIONAL: {"X-Test-Idnat": THIRD_IDNAT},
    Role.PATIENT: {"X-DMP-Actor": "patient"},
    Role.REPRESENTATIVE: {"X-DMP-Actor": "representative"},
}
CASES = list(itertools.product([False, True], Role, Mode, Visibility))


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, dict[Visibility, tuple[str, str]]]]:
    """One document per visibility, written by the cardiologist for the reference patient."""
    with dmp_client(Path(tmp_path_factory.mktemp("matrix"))) as client:
        documents = {}
        for visibility in Visibility:
            labels = (
                ((HL7_CONF, "N"),)
                if visibility is Visibility.NORMAL
                else ((TRE_A07, visibility.value), (HL7_CONF, "N"))
            )
            response = client.post(
                "/fhir", json=bundle(author=OTHER_IDNAT, labels=labels), headers={"X-Test-Idnat": OTHER_IDNAT}
            )
            assert response.status_code == 200, response.text
            documents[visibility] = (location_id(response, 1), location_id(response, 2))
        yield client, documents


def set_opposition(client: TestClient, opposed: bool) -> None:
    body = {"resourceType": "Parameters", "parameter": [{"name": "opposition", "valueBoolean": opposed}]}
    response = client.post(
        "/fhir/Patient/297022A02077878/$opposition", json=body, headers={"X-DMP-Actor": "patient"}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("opposition", "role", "mode", "visibility"),
    CASES,
    ids=[f"{'opposed' if o else 'consenting'}-{r}-{m}-{v}" for o, r, m, v in CASES],
)
def test_matrix(
    world: tuple[TestClient, dict[Visibility, tuple[str, str]]],
    opposition: bool,
    role: Role,
    mode: Mode,
    visibility: Visibility,
) -> None:
    client, documents = world
    set_opposition(client, opposition)
    labels = frozenset() if visibility is Visibility.NORMAL else frozenset({visibility})
    expected = decide(role, mode, labels, opposition)
    headers = {**CALLERS[role], "X-DMP-Access-Mode": mode.value, "X-DMP-Access-Reason": "test de la matrice"}
    document, binary = documents[visibility]
    found = client.get("/fhir/DocumentReference", params=patient_query(_count="50"), headers=headers)
    retrieved = client.get(f"/fhir/Binary/{binary}", headers=headers)
    if expected.outcome is Outcome.REFUSED:
        assert found.status_code == expected.status, found.text
        assert retrieved.status_code == expected.status
    elif expected.outcome is Outcome.HIDDEN:
        assert found.status_code == 200, found.text
        assert document not in ids(found.json())
        assert retrieved.status_code == 403
    else:
        assert document in ids(found.json())
        assert retrieved.status_code == 200


def test_the_matrix_is_not_trivial() -> None:
    """Every outcome occurs, so the generated cases exercise each branch of the policy."""
    outcomes = {decide(r, m, frozenset({v}) - {Visibility.NORMAL}, o).outcome for o, r, m, v in CASES}
    assert outcomes == set(Outcome)
