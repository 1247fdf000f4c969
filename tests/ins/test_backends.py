"""The identity base on both backends: SQLite, and PostgreSQL when ``SOCLE_TEST_POSTGRES_URL`` is set
(``.ci/postgres``). Bulk seeding, the FHIR search and ``$match``, the SOAP façade, reset."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.ins import bulk
from services.ins.app import create_app
from services.ins.settings import InsSettings
from services.kernel.bulk import SeedPlan
from services.kernel.peers import INTERNAL_HEADER
from services.kernel.synthetic import people
from tests.support import fresh_postgres_database

from .soap_messages import envelope, traits


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[InsSettings]:
    if request.param == "sqlite":
        yield InsSettings(service="ins", data_dir=tmp_path)
        return
    with fresh_postgres_database("ins") as url:
        yield InsSettings(service="ins", data_dir=tmp_path, database_url=url)


def test_seed_search_match_soap_and_reset(settings: InsSettings) -> None:
    assert bulk.seed(settings, SeedPlan(patients=400, seed=9), lambda _n: None) == 400
    someone = next(people(1, seed=9, start=123))
    with TestClient(create_app(settings)) as client:
        secret = {INTERNAL_HEADER: client.app.state.runtime.internal_token}  # type: ignore[attr-defined]
        found = client.get("/fhir/Patient", params={"identifier": someone.ins}, headers=secret).json()
        assert found["entry"][0]["resource"]["birthDate"] == someone.birth_date
        # The DMP's form (system|value) and a past INS: the fixed statements of services.ins.lookup
        for identifier, expected in (
            (f"urn:oid:1.2.250.1.213.1.4.10|{someone.ins}", [someone.ins]),
            ("urn:oid:1.2.250.1.213.1.4.8|209066322012355", ["109076322083489"]),
            ("209066322012355", ["109076322083489"]),
            ("urn:oid:1.2.250.1.213.1.4.9|209066322012355", []),
        ):
            by = client.get("/fhir/Patient", params={"identifier": identifier}, headers=secret).json()
            assert [e["resource"]["id"] for e in by.get("entry", [])] == expected, identifier
        read = client.get(f"/fhir/Patient/{someone.ins.lower()}", headers=secret).json()
        assert read["birthDate"] == someone.birth_date
        patient = {
            "resourceType": "Patient",
            "name": [{"family": someone.birth_name, "given": [someone.first_names.split()[0]]}],
            "gender": {"M": "male", "F": "female"}[someone.sex],
            "birthDate": someone.birth_date,
        }
        parameters = {"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": patient}]}
        matched = client.post("/fhir/Patient/$match", json=parameters, headers=secret).json()
        assert [e["resource"]["id"] for e in matched["entry"]] == [someone.ins]
        soap = client.post(
            "/insi", content=envelope(body=traits(name="CORSE", first="ANTHONY", sex="M", date="1980-03-02"))
        )
        assert b"<NumIdentifiant>180032B020401</NumIdentifiant>" in soap.content
        card = (
            '<RECVITALE xmlns="http://www.cnamts.fr/INSiRecVit"><MatriculeIndividu><NumIdentifiant>'
            "180032B020401</NumIdentifiant></MatriculeIndividu>"
            "<DateNaissance>1980-03-02</DateNaissance></RECVITALE>"
        )
        vitale = client.post("/insi", content=envelope(body=card))
        assert b"<CodeCR>00</CodeCR>" in vitale.content
        assert b"<NomNaissance>CORSE</NomNaissance>" in vitale.content
        assert client.post("/_sim/reset").status_code == 200
        assert (
            client.get("/fhir/Patient", params={"identifier": someone.ins}, headers=secret).json()["total"]
            == 1
        )
    with TestClient(create_app(settings)) as restarted:
        secret = {INTERNAL_HEADER: restarted.app.state.runtime.internal_token}  # type: ignore[attr-defined]
        again = restarted.get("/fhir/Patient", params={"family": "CORSE"}, headers=secret).json()
        assert again["total"] == 1
