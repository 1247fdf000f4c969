"""The INS app as a peer sees it: who may call the FHIR API, what the traffic record keeps, bad searches,
the identity-status operation, reset and bulk seeding."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.ins import bulk
from services.ins.app import create_app
from services.ins.settings import InsSettings
from services.kernel.bulk import SeedPlan
from services.kernel.fhir import parse_resource
from services.kernel.peers import INTERNAL_HEADER
from services.kernel.synthetic import people

from .soap_messages import envelope

REFERENCE = "297022A02077878"


@pytest.fixture
def guarded(tmp_path: Path) -> TestClient:
    """The INS app with its real caller check (no override)."""
    with TestClient(create_app(InsSettings(service="ins", data_dir=tmp_path))) as client:
        yield client  # type: ignore[misc]


def test_the_fhir_api_needs_a_token_or_the_internal_secret(guarded: TestClient) -> None:
    anonymous = guarded.get("/fhir/Patient", params={"identifier": REFERENCE})
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert anonymous.json()["resourceType"] == "OperationOutcome"
    wrong = guarded.get("/fhir/Patient", params={"identifier": REFERENCE}, headers={INTERNAL_HEADER: "guess"})
    assert wrong.status_code == 401
    secret = guarded.app.state.runtime.internal_token  # type: ignore[attr-defined]
    peer = guarded.get(
        "/fhir/Patient",
        params={"identifier": f"urn:oid:1.2.250.1.213.1.4.8|{REFERENCE}"},
        headers={INTERNAL_HEADER: secret, "x-socle-caller": "dmp"},
    )
    assert peer.status_code == 200
    assert peer.json()["entry"][0]["resource"]["id"] == REFERENCE


def test_the_traffic_record_names_caller_and_patient(guarded: TestClient) -> None:
    secret = guarded.app.state.runtime.internal_token  # type: ignore[attr-defined]
    guarded.get(f"/fhir/Patient/{REFERENCE}", headers={INTERNAL_HEADER: secret, "x-socle-caller": "mssante"})
    exchanges = guarded.get("/_sim/traffic", params={"service": "ins", "patient": REFERENCE}).json()[
        "exchanges"
    ]
    assert [(e["path"], e["client_id"]) for e in exchanges] == [
        (f"/fhir/Patient/{REFERENCE}", "socle:mssante")
    ]


def test_insi_calls_are_recorded_with_the_software_and_code(client: TestClient) -> None:
    client.post("/insi", content=envelope(idam="LOGICIEL-7"))
    exchanges = client.get("/_sim/traffic", params={"service": "ins", "client_id": "insi:LOGICIEL-7"}).json()
    assert exchanges["total"] == 1
    recorded = exchanges["exchanges"][0]
    assert recorded["patient"] == "275126322074974"
    assert recorded["notes"]["insi_code"] == "00"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"address": "Paris"}, 400),
        ({"birthdate": "1975-13-01"}, 400),
        ({"gender": "robot"}, 400),
        ({"family": "ADRUN", "_count": "x"}, 400),
    ],
)
def test_bad_searches_are_explained(client: TestClient, params: dict[str, str], status: int) -> None:
    response = client.get("/fhir/Patient", params=params)
    assert response.status_code == status
    assert response.json()["issue"][0]["diagnostics"]


def test_search_pages(client: TestClient) -> None:
    first = client.get("/fhir/Patient", params={"family": "ADR", "_count": "2"}).json()
    assert (first["total"], len(first["entry"])) == (3, 2)
    following = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = client.get(following.split("8080", 1)[-1]).json()
    assert (second["total"], len(second["entry"])) == (3, 1)  # counted: a later page
    whole = client.get("/fhir/Patient", params={"family": "ADR", "_count": "5"}).json()
    assert (whole["total"], len(whole["entry"])) == (3, 3)  # a first page that is not full: no count
    full = client.get("/fhir/Patient", params={"family": "ADR", "_count": "3"}).json()
    assert (full["total"], len(full["entry"])) == (3, 3)  # full first page: counted
    beyond = client.get("/fhir/Patient", params={"identifier": REFERENCE, "_offset": "1"}).json()
    assert (beyond["total"], beyond.get("entry", [])) == (1, [])  # an INS lookup pages in memory


def test_match_needs_parameters(client: TestClient) -> None:
    response = client.post("/fhir/Patient/$match", json={"resourceType": "Patient"})
    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == ["resourceType"]
    empty = client.post("/fhir/Patient/$match", json={"resourceType": "Parameters"})
    assert empty.status_code == 400


def test_identity_status_operation(client: TestClient) -> None:
    answer = client.get(
        "/fhir/$identity-status", params={"method": "INSI", "insi-result": "00", "current": "VALI"}
    ).json()
    assert answer["status"] == "RECUP"
    assert answer["change"] == {
        "from": "VALI",
        "to": "RECUP",
        "allowed": False,
        "reason": "VALI → RECUP would lose the document criterion",
    }
    forbidden = {(t["from"], t["to"]) for t in answer["transitions"] if not t["allowed"]}
    assert ("QUAL", "RECUP") in forbidden and ("PROV", "QUAL") not in forbidden
    both = client.get("/fhir/$identity-status", params=[("attribute", "DOUT"), ("attribute", "FICT")])
    assert both.status_code == 400


def test_bulk_seed_then_serve_then_reset(tmp_path: Path) -> None:
    settings = InsSettings(service="ins", data_dir=tmp_path)
    advanced: list[int] = []
    assert bulk.seed(settings, SeedPlan(patients=300, seed=5), advanced.append) == 300
    assert bulk.seed(settings, SeedPlan(patients=200, seed=5), advanced.append) == 200
    assert sum(advanced) == 500
    first, last = next(people(1, seed=5)), next(people(1, seed=5, start=499))
    with TestClient(create_app(settings)) as client:
        secret = client.app.state.runtime.internal_token  # type: ignore[attr-defined]
        headers = {INTERNAL_HEADER: secret}
        for person in (first, last):
            found = client.get(
                "/fhir/Patient",
                params={"identifier": f"urn:oid:1.2.250.1.213.1.4.10|{person.ins}"},
                headers=headers,
            ).json()
            patient = found["entry"][0]["resource"]
            assert patient["identifier"][0]["type"]["coding"][0]["code"] == "INS-NIR-TEST"
            assert patient["name"][0]["family"] == person.birth_name
        assert client.post("/_sim/reset").json()["reset"] == ["ins"]
        after = client.get("/fhir/Patient", params={"identifier": last.ins}, headers=headers).json()
        assert after["total"] == 1
        assert (
            client.get("/fhir/Patient", params={"identifier": REFERENCE}, headers=headers).json()["total"]
            == 1
        )


def test_search_by_post(client: TestClient) -> None:
    response = client.post("/fhir/Patient/_search", data={"family": "ADRTROIS", "gender": "male"})
    assert [e["resource"]["id"] for e in response.json()["entry"]] == ["160012B02077713"]


def test_every_patient_is_valid_fhir_r4(client: TestClient) -> None:
    from fhir.resources.R4B.bundle import Bundle

    bundle = client.get("/fhir/Patient", params={"birthdate": "1997-02-26"}).json()
    assert Bundle.model_validate(bundle).entry[0].resource.id == REFERENCE
    for ins in client.app.state.runtime.fixtures.patients:  # type: ignore[attr-defined]
        patient = client.get(f"/fhir/Patient/{ins.ins}").json()
        assert parse_resource(patient, "Patient").birthDate.isoformat() == ins.birth_date


@pytest.mark.parametrize("only_certain", [True, False])
def test_match_answers_are_valid_fhir_r4(client: TestClient, only_certain: bool) -> None:
    from fhir.resources.R4B.bundle import Bundle

    patient = {
        "resourceType": "Patient",
        "name": [{"family": "DE VINCI", "given": ["LEONARDO"]}],
        "gender": "male",
        "birthDate": "2014-02-01",
    }
    parameters = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "resource", "resource": patient},
            {"name": "onlyCertainMatches", "valueBoolean": only_certain},
        ],
    }
    bundle = Bundle.model_validate(client.post("/fhir/Patient/$match", json=parameters).json())
    modes = [entry.search.mode for entry in bundle.entry]
    assert modes == (["outcome"] if only_certain else ["match", "match", "outcome"])


def test_served_wsdl_and_schemas_are_the_cnam_ones_relocated(client: TestClient) -> None:
    from importlib import resources

    from lxml import etree

    from services.ins.wsdl import schema_names

    def stripped(data: bytes) -> list[tuple[object, ...]]:
        """Every element with its attributes, addresses left out."""
        return [
            (e.tag, sorted((k, v) for k, v in e.attrib.items() if k not in ("schemaLocation", "location")))
            for e in etree.fromstring(data).iter()
            if isinstance(e.tag, str)
        ]

    folder = resources.files("services.ins").joinpath("data", "insi")
    served = client.get("/insi", params={"wsdl": ""})
    assert stripped(served.content) == stripped(folder.joinpath("DESIR_ICIR_EXP_1.5.0.wsdl").read_bytes())
    assert b'schemaLocation="http://127.0.0.1:8080/insi?xsd=ws-addr.xsd"' in served.content
    assert "ws-addr.xsd" in schema_names() and len(schema_names()) == 11
    for name in schema_names():
        response = client.get("/insi", params={"xsd": name})
        assert stripped(response.content) == stripped(folder.joinpath("xsd", name).read_bytes()), name
    assert client.get("/insi", params={"xsd": "../app.py"}).status_code == 404
