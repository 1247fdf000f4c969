"""The fixed test data keeps the contract's anchors and only valid, synthetic identifiers."""

from __future__ import annotations

from services.kernel.fixtures import build_fixtures
from services.kernel.identifiers import is_luhn_valid, is_valid_ins
from services.kernel.settings import Settings
from services.kernel.synthetic import people, professionals


def test_contract_anchors() -> None:
    fixtures = build_fixtures(Settings())
    first = fixtures.professionals[0]
    assert first.profession == "10" and first.expertise == "SM54"
    assert fixtures.organisation(first.activities[0].organisation).kind == "cabinet"
    assert first.cps and first.ecps
    reference = fixtures.patient("297022A02077878")
    assert reference is not None
    assert (reference.birth_name, reference.first_name, reference.identity_status) == (
        "ADRTROIS",
        "DOMINIQUE",
        "QUAL",
    )
    assert reference.dmp == "open" and not reference.opposition and reference.medecin_traitant == first.idnat
    assert fixtures.as_json()["anchors"] == {
        "first_professional": first.idnat,
        "reference_patient": reference.ins,
    }


def test_contract_coverage_of_professions_organisations_and_patients() -> None:
    fixtures = build_fixtures(Settings())
    assert len(fixtures.professionals) >= 12
    assert {"10", "21", "40", "50", "60", "70"} <= {p.profession for p in fixtures.professionals}
    assert {"cabinet", "hospital", "legal-entity", "laboratory", "pharmacy"} <= {
        o.kind for o in fixtures.organisations
    }
    assert {p.dmp for p in fixtures.patients} >= {"open", "none", "closed"}
    assert any(p.opposition for p in fixtures.patients)
    assert any(p.identity_status != "QUAL" for p in fixtures.patients)
    assert [c.client_id for c in fixtures.clients] == ["socle-demo"]


def test_every_fixed_identifier_is_valid() -> None:
    fixtures = build_fixtures(Settings(mss_domain="test.mssante.fr"))
    for professional in fixtures.professionals:
        assert is_luhn_valid(professional.rpps) and professional.idnat == "8" + professional.rpps
        assert professional.mailbox.endswith("@test.mssante.fr")
    for organisation in fixtures.organisations:
        for number in (organisation.finess, organisation.siren, organisation.siret):
            assert not number or is_luhn_valid(number)
    hospital = fixtures.organisation("hopital")
    assert hospital.finess_legal == fixtures.organisation("chu").finess
    for patient in fixtures.patients:
        assert patient.ins == patient.nir + patient.key
        assert is_valid_ins(patient.ins) or patient.birth_name == "HERMANN"
        assert patient.mailbox == f"{patient.ins}@patient.mssante.fr"
    assert len({p.ins for p in fixtures.patients}) == len(fixtures.patients)


def test_bulk_people_are_valid_unique_and_reproducible() -> None:
    batch = list(people(5000, seed=7))
    assert all(is_valid_ins(p.ins) and p.oid == "1.2.250.1.213.1.4.10" for p in batch)
    assert len({p.ins for p in batch}) == 5000
    assert list(people(10, seed=7, start=4990)) == batch[4990:]
    assert next(people(1, seed=8)) != batch[0]
    pros = list(professionals(200, seed=1))
    assert all(is_luhn_valid(p.rpps) for p in pros) and len({p.idnat for p in pros}) == 200
