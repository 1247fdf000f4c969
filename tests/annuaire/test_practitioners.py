"""Practitioner and PractitionerRole searches return what the seed holds, through fhirpy."""

from __future__ import annotations

from typing import Any

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome

IDNAT = "urn:oid:1.2.250.1.71.4.2.1"
RPPS = "https://rpps.esante.gouv.fr"


def ids(resources: list[Any]) -> set[str]:
    return {r["id"] for r in resources}


def identifier(resource: Any, system: str) -> str:
    return next(i["value"] for i in resource["identifier"] if i["system"] == system)


def test_every_professional_is_found_by_idnat_rpps_and_mailbox(
    fhir: SyncFHIRClient, seed: dict[str, Any]
) -> None:
    practitioners = fhir.resources("Practitioner")
    for professional in seed["professionals"]:
        by_idnat = practitioners.search(identifier=f"{IDNAT}|{professional['idnat']}").get()
        assert identifier(by_idnat, RPPS) == professional["rpps"]
        assert by_idnat["name"][0]["family"] == professional["family_name"]
        by_rpps = practitioners.search(identifier=professional["rpps"]).get()
        assert by_rpps["id"] == by_idnat["id"]
        by_mailbox = practitioners.search(mailbox_mss=professional["mailbox"]).get()
        assert by_mailbox["id"] == by_idnat["id"]


def test_identifier_or_and_system_mismatch(fhir: SyncFHIRClient, seed: dict[str, Any]) -> None:
    first, second = seed["professionals"][:2]
    both = (
        fhir.resources("Practitioner")
        .search(identifier=f"{first['rpps']},{IDNAT}|{second['idnat']}")
        .fetch_all()
    )
    assert len(both) == 2
    wrong_system = fhir.resources("Practitioner").search(identifier=f"{RPPS}|{first['idnat']}").fetch_all()
    assert wrong_system == []


def test_identifier_of_type_matches_type_and_value_in_one_identifier(
    fhir: SyncFHIRClient, seed: dict[str, Any]
) -> None:
    professional = seed["professionals"][2]
    types = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
    practitioners = fhir.resources("Practitioner")
    found = practitioners.search(**{"identifier:of-type": f"{types}|RPPS|{professional['rpps']}"}).get()
    assert identifier(found, IDNAT) == professional["idnat"]
    assert practitioners.search(**{"identifier:of-type": f"|IDNPS|{professional['idnat']}"}).get() == found
    assert (
        practitioners.search(**{"identifier:of-type": f"{types}|IDNPS|{professional['rpps']}"}).fetch_all()
        == []
    )
    with pytest.raises(OperationOutcome):
        practitioners.search(**{"identifier:of-type": professional["rpps"]}).fetch()
    with pytest.raises(OperationOutcome):
        practitioners.search(identifier_of_type=f"|RPPS|{professional['rpps']}").fetch()


def test_mailbox_is_published_with_the_mssante_type(fhir: SyncFHIRClient, seed: dict[str, Any]) -> None:
    professional = seed["professionals"][0]
    practitioner = fhir.resources("Practitioner").search(mailbox_mss=professional["mailbox"]).get()
    telecom = next(t for t in practitioner["telecom"] if t["value"] == professional["mailbox"])
    assert telecom["system"] == "email"
    email_type = next(
        e for e in telecom["extension"] if e["url"].endswith("fr-core-contact-point-email-type")
    )
    assert email_type["valueCoding"]["code"] == "MSSANTE"
    metadata = next(e for e in telecom["extension"] if e["url"].endswith("as-ext-mailbox-mss-metadata"))
    kind = next(e for e in metadata["extension"] if e["url"] == "type")
    assert kind["valueCodeableConcept"]["coding"][0]["code"] == "PER"


def test_mailbox_lookup_is_exact_by_default_and_contains_on_demand(
    fhir: SyncFHIRClient, seed: dict[str, Any]
) -> None:
    address = seed["professionals"][0]["mailbox"]
    practitioners = fhir.resources("Practitioner")
    assert practitioners.search(mailbox_mss=address[:-3]).fetch_all() == []
    assert len(practitioners.search(mailbox_mss=address.upper()).fetch_all()) == 1
    domain = "@" + address.split("@")[1]
    assert len(practitioners.search(mailbox_mss__contains=domain).fetch_all()) == len(seed["professionals"])
    assert len(practitioners.search(mailbox_mss__exact=address).fetch_all()) == 1
    assert practitioners.search(mailbox_mss__exact=address.upper()).fetch_all() == []


def test_names_match_from_the_start_without_case_or_accents(
    fhir: SyncFHIRClient, seed: dict[str, Any]
) -> None:
    practitioners = fhir.resources("Practitioner")
    family = seed["professionals"][0]["family_name"]
    assert family in {
        p["name"][0]["family"] for p in practitioners.search(family=family[:4].lower()).fetch_all()
    }
    expected = [p for p in seed["professionals"] if p["given_name"] == "CHLOE"]
    assert len(practitioners.search(given="Chloé").fetch_all()) == len(expected) == 1
    assert len(practitioners.search(name="chloe").fetch_all()) == 1
    assert len(practitioners.search(**{"name:given": "chloe"}).fetch_all()) == 1
    assert practitioners.search(**{"name:family": "chloe"}).fetch_all() == []
    assert practitioners.search(family="SOCLE").fetch_all() == []
    assert len(practitioners.search(family__contains="socle").fetch_all()) == 1
    assert practitioners.search(family__exact=family.lower()).fetch_all() == []
    doctors = [p for p in seed["professionals"] if p["title"] == "DR"]
    assert len(practitioners.search(name="dr").fetch_all()) == len(doctors)


RETIRED_IDNAT = "810000000991"
"""The retired professional of the fixed directory (RPPS base 1000000099, Luhn key 1)."""


@pytest.mark.parametrize(
    ("params", "predicate", "retired"),
    [
        ({"qualification_code": "10"}, lambda p: p["profession"] == "10", False),
        ({"qualification_code": "SM54"}, lambda p: p["expertise"] == "SM54", False),
        ({"type_smartcard": "CPS"}, lambda p: p["cps"], False),
        ({"identifier_type": "IDNPS"}, lambda p: True, True),
        ({"active": "true"}, lambda p: True, False),
        ({"active": "false"}, lambda p: False, True),
        ({"data_information_system": "RPPS"}, lambda p: True, True),
        ({"data_registration_authority": "CNOP"}, lambda p: p["profession"] == "21", False),
    ],
)
def test_token_parameters(
    fhir: SyncFHIRClient, seed: dict[str, Any], params: dict[str, str], predicate: Any, retired: bool
) -> None:
    expected = {p["idnat"] for p in seed["professionals"] if predicate(p)} | (
        {RETIRED_IDNAT} if retired else set()
    )
    found = fhir.resources("Practitioner").search(**params).fetch_all()
    assert {identifier(p, IDNAT) for p in found} == expected


def test_a_retired_professional_shows_only_ids_and_inactive(
    fhir: SyncFHIRClient, seed: dict[str, Any]
) -> None:
    retired = fhir.resources("Practitioner").search(active="false").get()
    assert set(retired) == {"resourceType", "id", "meta", "identifier", "active"}
    assert retired["active"] is False
    assert RETIRED_IDNAT not in {p["idnat"] for p in seed["professionals"]}
    assert fhir.resources("PractitionerRole").search(practitioner=retired["id"]).fetch_all() == []


def test_smartcard_number(fhir: SyncFHIRClient, seed: dict[str, Any]) -> None:
    with_card = next(p for p in seed["professionals"] if p["cps"])
    practitioner = fhir.resources("Practitioner").search(identifier=with_card["rpps"]).get()
    card = next(e for e in practitioner["extension"] if e["url"].endswith("as-ext-smartcard"))
    number = next(e["valueString"] for e in card["extension"] if e["url"] == "number")
    assert fhir.resources("Practitioner").search(number_smartcard=number).get()["id"] == practitioner["id"]


def test_one_role_per_activity_linked_to_practitioner_and_organization(
    fhir: SyncFHIRClient, seed: dict[str, Any]
) -> None:
    activities = sum(len(p["activities"]) for p in seed["professionals"])
    roles = fhir.resources("PractitionerRole").fetch_all()
    assert len(roles) == activities
    two_sites = next(p for p in seed["professionals"] if len(p["activities"]) == 2)
    practitioner = fhir.resources("Practitioner").search(identifier=two_sites["rpps"]).get()
    mine = (
        fhir.resources("PractitionerRole")
        .search(practitioner=f"Practitioner/{practitioner['id']}")
        .fetch_all()
    )
    assert len(mine) == 2
    assert {r["practitioner"]["reference"] for r in mine} == {f"Practitioner/{practitioner['id']}"}
    assert fhir.resources("PractitionerRole").search(mailbox_mss=two_sites["mailbox"]).fetch_all() != []
    liberal = sum(1 for p in seed["professionals"] for a in p["activities"] if a["mode"] == "L")
    assert len(fhir.resources("PractitionerRole").search(role="L").fetch_all()) == liberal


def test_roles_by_organization_with_includes(fhir: SyncFHIRClient, seed: dict[str, Any]) -> None:
    cabinet = next(o for o in seed["organisations"] if o["kind"] == "cabinet")
    organization = fhir.resources("Organization").search(mailbox_mss=cabinet["mailbox"]).get()
    at_cabinet = sum(
        1 for p in seed["professionals"] for a in p["activities"] if a["organisation"] == "cabinet"
    )
    bundle = (
        fhir.resources("PractitionerRole")
        .search(organization=organization["id"])
        .include("PractitionerRole", "organization")
        .include("PractitionerRole", "practitioner")
        .fetch_raw()
    )
    modes: dict[str, list[str]] = {}
    for entry in bundle["entry"]:
        modes.setdefault(entry["search"]["mode"], []).append(entry["resource"]["resourceType"])
    assert modes["match"] == ["PractitionerRole"] * at_cabinet
    assert sorted(modes["include"]) == ["Organization"] + ["Practitioner"] * at_cabinet
    star = (
        fhir.resources("PractitionerRole").search(organization=organization["id"], _include="*").fetch_raw()
    )
    assert len(star["entry"]) == len(bundle["entry"])


def test_revinclude_practitioner_roles(fhir: SyncFHIRClient, seed: dict[str, Any]) -> None:
    first = seed["professionals"][0]
    bundle = (
        fhir.resources("Practitioner")
        .search(identifier=first["rpps"])
        .revinclude("PractitionerRole", "practitioner")
        .fetch_raw()
    )
    kinds = sorted((e["search"]["mode"], e["resource"]["resourceType"]) for e in bundle["entry"])
    assert kinds == [("include", "PractitionerRole")] * len(first["activities"]) + [("match", "Practitioner")]


def test_read_by_id(fhir: SyncFHIRClient, seed: dict[str, Any]) -> None:
    found = fhir.resources("Practitioner").search(identifier=seed["professionals"][3]["rpps"]).get()
    read = fhir.reference("Practitioner", found["id"]).to_resource()
    assert read.serialize() == found.serialize()
    assert fhir.resources("Practitioner").search(_id=found["id"]).get()["id"] == found["id"]
