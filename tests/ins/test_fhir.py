"""The INS FHIR API of ``socle up`` through fhirpy (a real FHIR client, a real PSC token): every CNDA identity by PDQm search
and by ``$match``, the FR Core representation that DMP and MSSanté rely on, read, CapabilityStatement."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from services.kernel.identifiers import nir_key
from tests.psc_login import login
from tests.support import RunningStack

from .insi_data import IDENTITIES, WITH_INS, first_names_tried, label

CORE = "https://hl7.fr/ig/fhir/core"
RELIABILITY = f"{CORE}/StructureDefinition/fr-core-identity-reliability"
INS_TYPES = {"1.2.250.1.213.1.4.8": ("INS-NIR", "official"), "1.2.250.1.213.1.4.9": ("INS-NIA", "temp")}


class Tokens:
    """A professional's access token from a real PSC login, renewed before PSC's 120 s lifetime ends."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.token = ""
        self.obtained = -1e9

    def current(self) -> str:
        if time.monotonic() - self.obtained > 60:
            self.token = login(self.base_url)["access_token"]
            self.obtained = time.monotonic()
        return self.token


@pytest.fixture(scope="module")
def tokens(stack: RunningStack) -> Tokens:
    return Tokens(stack.base_url)


@pytest.fixture
def fhir(stack: RunningStack, tokens: Tokens) -> SyncFHIRClient:
    """fhirpy on ``socle up``'s INS, with a professional's bearer token."""
    return SyncFHIRClient(f"{stack.base_url}/ins/fhir", authorization=f"Bearer {tokens.current()}")


def ins_of(identity: dict[str, Any]) -> str:
    return str(identity["NumIdentifiant"] + identity["Cle"])


def status_of(patient: dict[str, Any]) -> str:
    reliability = next(e for e in patient["extension"] if e["url"] == RELIABILITY)
    coding = next(e for e in reliability["extension"] if e["url"] == "identityStatus")["valueCoding"]
    assert coding["system"] == f"{CORE}/CodeSystem/fr-core-cs-identity-status"
    return str(coding["code"])


def match_parameters(identity: dict[str, Any], first_name: str, **more: Any) -> dict[str, Any]:
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "name": [{"family": identity["NomNaissance"], "given": [first_name]}],
        "gender": {"M": "male", "F": "female"}[identity["Sexe"]],
        "birthDate": identity["DateNaissance"],
    }
    patient.update(more)
    return {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "resource", "resource": patient},
            {"name": "onlyCertainMatches", "valueBoolean": True},
        ],
    }


@pytest.mark.parametrize("identity", WITH_INS, ids=label)
def test_search_by_ins_gives_the_fr_core_patient(fhir: SyncFHIRClient, identity: dict[str, Any]) -> None:
    system = f"urn:oid:{identity['OID']}"
    found = fhir.resources("Patient").search(identifier=f"{system}|{ins_of(identity)}").fetch()
    assert len(found) == 1
    patient = found[0].serialize()
    assert patient["meta"]["profile"] == [f"{CORE}/StructureDefinition/fr-core-patient-ins"]
    active = patient["identifier"][0]
    code, use = INS_TYPES[identity["OID"]]
    assert (active["system"], active["value"], active["use"]) == (system, ins_of(identity), use)
    assert active["type"]["coding"][0] == {
        "system": f"{CORE}/CodeSystem/fr-core-cs-v2-0203",
        "code": code,
        "display": {"INS-NIR": "NIR définitif", "INS-NIA": "NIR temporaire"}[code],
    }
    name = patient["name"][0]
    assert (name["use"], name["family"], name["given"]) == (
        "official",
        identity["NomNaissance"],
        [identity["ListePrenom"].split(" ")[0]],
    )
    assert name["extension"] == [
        {
            "url": f"{CORE}/StructureDefinition/fr-core-patient-birth-list-given-name",
            "valueString": identity["ListePrenom"],
        }
    ]
    birth_place = next(e for e in patient["extension"] if e["url"].endswith("/patient-birthPlace"))
    insee = birth_place["valueAddress"]["extension"][0]
    assert insee["url"] == f"{CORE}/StructureDefinition/fr-core-address-insee-code"
    assert insee["valueCoding"]["code"] == identity["LieuNaissance"]
    assert patient["gender"] == {"M": "male", "F": "female"}[identity["Sexe"]]
    assert patient["birthDate"] == identity["DateNaissance"]
    assert status_of(patient) == ("PROV" if identity["NomNaissance"] == "HERMANN" else "QUAL")


def test_search_by_bare_ins_value_and_by_past_ins(fhir: SyncFHIRClient) -> None:
    assert [p.id for p in fhir.resources("Patient").search(identifier="297022A02077878").fetch()] == [
        "297022A02077878"
    ]
    by_past = (
        fhir.resources("Patient").search(identifier="urn:oid:1.2.250.1.213.1.4.8|209066322012355").fetch()
    )
    assert [p.id for p in by_past] == ["109076322083489"]
    old = [i for i in by_past[0]["identifier"] if i["use"] == "old"]
    assert {i["value"] for i in old} == {"209076322083439", "209066322012355"}


def test_search_with_a_foreign_system_or_unknown_ins_finds_nothing(fhir: SyncFHIRClient) -> None:
    assert (
        fhir.resources("Patient").search(identifier="urn:oid:1.2.250.1.71.4.2.1|297022A02077878").fetch()
        == []
    )
    assert (
        fhir.resources("Patient").search(identifier="urn:oid:1.2.250.1.213.1.4.9|297022A02077878").fetch()
        == []
    )
    assert fhir.resources("Patient").search(identifier="297022A02077800").fetch() == []


def test_search_by_traits(fhir: SyncFHIRClient) -> None:
    found = fhir.resources("Patient").search(family="adrtrois", gender="female").fetch()
    assert [p.id for p in found] == ["297022A02077878"]
    assert (
        len(
            fhir.resources("Patient")
            .search(family="De Vinci", given="Léonardo", birthdate="2014-02-01")
            .fetch()
        )
        == 2
    )
    assert len(fhir.resources("Patient").search(**{"family:exact": "ADR"}).fetch()) == 0
    assert len(fhir.resources("Patient").search(family="ADR").fetch()) == 3


def test_read(fhir: SyncFHIRClient) -> None:
    patient = fhir.reference("Patient", "297022A02077878").to_resource()
    assert patient["name"][0]["family"] == "ADRTROIS"
    with pytest.raises(ResourceNotFound):
        fhir.reference("Patient", "297022A02077800").to_resource()


def expected_code(identity: dict[str, Any], first_name: str) -> str:
    if identity["NomNaissance"] == "TCHITCHI":
        return "01" if first_name == "OLA" else "00"
    return str(identity["expected"][:2])


CASES = [(i, name) for i in IDENTITIES for name in first_names_tried(i)]


@pytest.mark.parametrize(("identity", "first_name"), CASES, ids=[f"{label(i)}-{n}" for i, n in CASES])
def test_match_gives_the_insi_answer(fhir: SyncFHIRClient, identity: dict[str, Any], first_name: str) -> None:
    bundle = fhir.execute("Patient/$match", method="post", data=match_parameters(identity, first_name))
    code = expected_code(identity, first_name)
    matches = [e for e in bundle["entry"] if e["search"]["mode"] == "match"]
    outcomes = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "outcome"]
    if code == "00":
        assert [m["resource"]["id"] for m in matches] == [ins_of(identity)]
        assert matches[0]["search"]["extension"][0]["valueCode"] == "certain"
        assert outcomes == []
    else:
        assert matches == []
        issue = outcomes[0]["issue"][0]
        assert issue["code"] == {"01": "not-found", "02": "multiple-matches"}[code]
        assert issue["details"]["coding"][0]["code"] == code


def test_match_with_the_birth_place_separates_homonyms(fhir: SyncFHIRClient) -> None:
    de_vinci = next(i for i in IDENTITIES if i["NomNaissance"] == "DE VINCI")
    place = {
        "url": "http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
        "valueAddress": {"district": "75056"},
    }
    bundle = fhir.execute(
        "Patient/$match", method="post", data=match_parameters(de_vinci, "LEONARDO", extension=[place])
    )
    nir = "1140275056102"
    assert [e["resource"]["id"] for e in bundle["entry"]] == [nir + nir_key(nir)]


def test_match_without_only_certain_grades_every_candidate(fhir: SyncFHIRClient) -> None:
    de_vinci = next(i for i in IDENTITIES if i["NomNaissance"] == "DE VINCI")
    parameters = match_parameters(de_vinci, "LEONARDO")
    parameters["parameter"][1]["valueBoolean"] = False
    bundle = fhir.execute("Patient/$match", method="post", data=parameters)
    grades = [
        e["search"]["extension"][0]["valueCode"] for e in bundle["entry"] if e["search"]["mode"] == "match"
    ]
    assert grades == ["possible", "possible"]


def test_match_with_an_ins_verifies_the_traits(fhir: SyncFHIRClient) -> None:
    adrun = next(i for i in WITH_INS if i["NomNaissance"] == "ADRUN")
    ins = {"system": "urn:oid:1.2.250.1.213.1.4.8", "value": ins_of(adrun)}
    agreeing = fhir.execute(
        "Patient/$match", method="post", data=match_parameters(adrun, "ZOE", identifier=[ins])
    )
    assert [e["resource"]["id"] for e in agreeing["entry"]] == [ins_of(adrun)]
    other = dict(adrun, DateNaissance="1975-12-30")
    denied = fhir.execute(
        "Patient/$match", method="post", data=match_parameters(other, "ZOE", identifier=[ins])
    )
    assert [e["search"]["mode"] for e in denied["entry"]] == ["outcome"]


@pytest.mark.parametrize(
    ("patient", "expression"),
    [
        ({"name": [{"family": "ADRUN", "given": ["ZOE"]}], "gender": "female"}, "Patient.birthDate"),
        (
            {"name": [{"family": "AD4UN", "given": ["ZOE"]}], "gender": "female", "birthDate": "1975-12-31"},
            "Patient.name.family",
        ),
        (
            {"name": [{"family": "ADRUN"}], "gender": "female", "birthDate": "1975-12-31"},
            "Patient.name.given",
        ),
        (
            {"name": [{"family": "ADRUN", "given": ["ZOE"]}], "gender": "other", "birthDate": "1975-12-31"},
            "Patient.gender",
        ),
    ],
    ids=["no-birth-date", "digit-in-family", "no-given", "gender-other"],
)
def test_match_with_incomplete_traits_is_a_400(
    fhir: SyncFHIRClient, patient: dict[str, Any], expression: str
) -> None:
    parameters = {
        "resourceType": "Parameters",
        "parameter": [{"name": "resource", "resource": {"resourceType": "Patient", **patient}}],
    }
    with pytest.raises(OperationOutcome) as caught:
        fhir.execute("Patient/$match", method="post", data=parameters)
    issue = caught.value.resource["issue"][0]
    assert issue["expression"] == [expression]


def test_capability_statement(fhir: SyncFHIRClient) -> None:
    statement = fhir.execute("metadata", method="get")
    assert statement["resourceType"] == "CapabilityStatement"
    patient = statement["rest"][0]["resource"][0]
    assert patient["type"] == "Patient"
    assert {p["name"] for p in patient["searchParam"]} >= {
        "identifier",
        "family",
        "given",
        "birthdate",
        "gender",
    }
    assert patient["operation"][0]["name"] == "match"
