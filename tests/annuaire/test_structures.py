"""Organization, HealthcareService and Device searches return what the seed holds, through fhirpy."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome

FINESS = "https://finess.esante.gouv.fr"
IDNAT_ST = "urn:oid:1.2.250.1.71.4.2.2"


def organisation(seed: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(o for o in seed["organisations"] if o["kind"] == kind)


def test_every_structure_is_found_by_its_identifiers_and_mailbox(
    fhir: SyncFHIRClient, seed: dict[str, Any]
) -> None:
    organizations = fhir.resources("Organization")
    for o in seed["organisations"]:
        by_mailbox = organizations.search(mailbox_mss=o["mailbox"]).get()
        assert by_mailbox["name"] == o["name"]
        if o["finess"]:
            assert organizations.search(identifier=f"{FINESS}|{o['finess']}").get()["id"] == by_mailbox["id"]
            assert (
                organizations.search(identifier=f"{IDNAT_ST}|1{o['finess']}").get()["id"] == by_mailbox["id"]
            )
        if o["siret"]:
            assert (
                organizations.search(identifier=f"https://sirene.fr|{o['siret']}").get()["id"]
                == by_mailbox["id"]
            )
        kind = next(
            e for e in by_mailbox["telecom"][0]["extension"] if e["url"].endswith("mailbox-mss-metadata")
        )
        assert kind["extension"][0]["valueCodeableConcept"]["coding"][0]["code"] == "ORG"


def test_site_is_part_of_its_legal_entity(fhir: SyncFHIRClient, seed: dict[str, Any]) -> None:
    legal, site = organisation(seed, "legal-entity"), organisation(seed, "hospital")
    entity = fhir.resources("Organization").search(identifier=legal["finess"]).get()
    sites = fhir.resources("Organization").search(partof=f"Organization/{entity['id']}").fetch_all()
    assert [s["name"] for s in sites] == [site["name"]]
    bundle = (
        fhir.resources("Organization")
        .search(identifier=site["finess"])
        .include("Organization", "partof")
        .fetch_raw()
    )
    assert [(e["search"]["mode"], e["resource"]["name"]) for e in bundle["entry"]] == [
        ("match", site["name"]),
        ("include", legal["name"]),
    ]


@pytest.mark.parametrize(
    ("params", "kinds"),
    [
        ({"type": "LEGAL-ENTITY"}, {"legal-entity"}),
        ({"type": "GEOGRAPHICAL-ENTITY"}, {"cabinet", "hospital", "laboratory", "pharmacy"}),
        ({"type": "SA33"}, {"pharmacy"}),
        ({"identifier_type": "FINEG"}, {"hospital", "laboratory", "pharmacy"}),
        ({"identifier_type": "FINEJ"}, {"legal-entity"}),
        ({"name": "pharm"}, {"pharmacy"}),
        ({"name__contains": "socle"}, {"cabinet", "legal-entity", "hospital", "laboratory", "pharmacy"}),
        ({"name__exact": "PHARMACIE DU SOCLE"}, {"pharmacy"}),
        ({"name__exact": "Pharmacie du socle"}, set()),
        ({"name__text": "biologie"}, {"laboratory"}),
        ({"address_postalcode": "63100"}, {"laboratory"}),
        ({"address_city": "clermont"}, {"cabinet", "legal-entity", "hospital", "laboratory", "pharmacy"}),
        ({"address_line": "2 place de jaude"}, {"pharmacy"}),
        ({"address": "63100"}, {"laboratory"}),
        ({"pharmacy_licence": "63"}, {"pharmacy"}),
        ({"data_information_system": "FINESS"}, {"legal-entity", "hospital", "laboratory", "pharmacy"}),
    ],
)
def test_organization_parameters(
    fhir: SyncFHIRClient, seed: dict[str, Any], params: dict[str, str], kinds: set[str]
) -> None:
    expected = {o["name"] for o in seed["organisations"] if o["kind"] in kinds}
    assert {o["name"] for o in fhir.resources("Organization").search(**params).fetch_all()} == expected


def test_revincludes_of_an_organization(fhir: SyncFHIRClient, seed: dict[str, Any]) -> None:
    site = organisation(seed, "hospital")
    roles = sum(1 for p in seed["professionals"] for a in p["activities"] if a["organisation"] == "hopital")
    bundle = (
        fhir.resources("Organization")
        .search(identifier=site["finess"])
        .revinclude("PractitionerRole", "organization")
        .revinclude("HealthcareService", "organization")
        .revinclude("Device", "organization")
        .fetch_raw()
    )
    included = sorted(
        e["resource"]["resourceType"] for e in bundle["entry"] if e["search"]["mode"] == "include"
    )
    assert included == ["Device", "HealthcareService"] + ["PractitionerRole"] * roles


def test_healthcare_services_and_devices(fhir: SyncFHIRClient, seed: dict[str, Any]) -> None:
    site = fhir.resources("Organization").search(identifier=organisation(seed, "hospital")["finess"]).get()
    services = fhir.resources("HealthcareService").search(organization=site["id"]).fetch_all()
    assert [s["name"] for s in services] == ["Médecine"]
    assert len(fhir.resources("HealthcareService").fetch_all()) == 2
    assert (
        fhir.resources("HealthcareService").search(characteristic="07").get()["name"] == "Biologie médicale"
    )
    assert (
        fhir.resources("HealthcareService").search(service_category="14").get()["name"] == "Biologie médicale"
    )
    assert fhir.resources("HealthcareService").search(service_type="01").get()["id"] == services[0]["id"]
    with_org = (
        fhir.resources("HealthcareService")
        .search(_id=services[0]["id"])
        .include("HealthcareService", "organization")
        .fetch_raw()
    )
    assert with_org["entry"][1]["resource"]["id"] == site["id"]
    scanner = fhir.resources("Device").search(type="05602", status="active").get()
    assert scanner["owner"]["reference"] == f"Organization/{site['id']}"
    for params in ({"manufacturer": "socle"}, {"model": "scanner"}, {"organization": site["id"]}):
        assert fhir.resources("Device").search(**params).get()["id"] == scanner["id"]
    assert fhir.resources("Device").search(status="inactive").fetch_all() == []


def test_last_updated_and_profile(fhir: SyncFHIRClient) -> None:
    organizations = fhir.resources("Organization")
    assert len(organizations.search(_lastUpdated="2026-01-01").fetch_all()) == 5
    assert len(organizations.search(_lastUpdated__ge="2025").fetch_all()) == 5
    assert organizations.search(_lastUpdated__gt="2026-01-01").fetch_all() == []
    assert organizations.search(_lastUpdated__lt="2026-01-01T00:00:00Z").fetch_all() == []
    profile = "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-dp-organization"
    assert len(organizations.search(_profile=profile).fetch_all()) == 5
    assert len(organizations.search(_profile=f"{profile}|1.2.0").fetch_all()) == 5
    assert organizations.search(_profile=profile.replace("organization", "device")).fetch_all() == []


def test_identifiers_and_active_of_roles_services_and_devices(
    fhir: SyncFHIRClient, seed: dict[str, Any]
) -> None:
    first = seed["professionals"][0]
    role = (
        fhir.resources("PractitionerRole")
        .search(identifier=f"https://rpps.esante.gouv.fr|{first['rpps']}01")
        .get()
    )
    assert role["practitioner"]["reference"].endswith(first["rpps"])
    activities = sum(len(p["activities"]) for p in seed["professionals"])
    assert len(fhir.resources("PractitionerRole").search(active="true").fetch_all()) == activities
    assert len(fhir.resources("Organization").search(active="true").fetch_all()) == len(seed["organisations"])
    service = fhir.resources("HealthcareService").search(characteristic="07").get()
    assert (
        fhir.resources("HealthcareService").search(identifier=service["identifier"][0]["value"]).get()
        == service
    )
    assert len(fhir.resources("HealthcareService").search(active="true").fetch_all()) == 2
    activity_profile = "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-dp-healthcareservice-healthcare-activity"
    assert len(fhir.resources("HealthcareService").search(_profile=activity_profile).fetch_all()) == 2
    scanner = fhir.resources("Device").search(type="05602").get()
    assert fhir.resources("Device").search(identifier=scanner["identifier"][0]["value"]).get() == scanner
    bundle = fhir.resources("Device").search(_id=scanner["id"]).include("Device", "organization").fetch_raw()
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Device", "Organization"]


def test_chained_reference_parameters(fhir: SyncFHIRClient, http: httpx.Client, seed: dict[str, Any]) -> None:
    two_sites = next(p for p in seed["professionals"] if len(p["activities"]) == 2)
    roles = fhir.resources("PractitionerRole")
    mine = roles.search(**{"practitioner.identifier": two_sites["rpps"]}).fetch_all()
    assert len(mine) == 2
    by_name = roles.search(**{"practitioner.family": two_sites["family_name"].lower()}).fetch_all()
    assert {r["id"] for r in by_name} == {r["id"] for r in mine}
    site = organisation(seed, "hospital")
    at_site = roles.search(**{"organization.identifier": f"{FINESS}|{site['finess']}"}).fetch_all()
    expected = sum(
        1 for p in seed["professionals"] for a in p["activities"] if a["organisation"] == "hopital"
    )
    assert len(at_site) == expected
    legal = organisation(seed, "legal-entity")
    sites = fhir.resources("Organization").search(**{"partof.identifier": legal["finess"]}).fetch_all()
    assert [s["name"] for s in sites] == [site["name"]]
    one = mine[0]["practitioner"]["reference"].split("/")[1]
    assert (
        http.get("PractitionerRole", params={"practitioner._id": one}).json()["total"] == 2
    )  # fhirpy mangles _id
    for bad in ({"practitioner.unknown": "x"}, {"role.code": "L"}, {"organization.partof.name": "x"}):
        with pytest.raises(OperationOutcome):
            roles.search(**bad).fetch()
