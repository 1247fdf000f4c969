"""Every CNDA test identity through the INSi SOAP façade of ``socle up``, with a zeep client built from the
served WSDL.

No XML is written here: zeep generates the SOAP 1.2 envelopes (headers ContexteLPS, ContexteBAM,
wsa:MessageID included) from the WSDL and XSDs that the façade serves.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import zeep
from zeep.exceptions import Fault

from services.ins.settings import DEFAULT_TEST_IDAM
from tests.support import RunningStack

from .insi_data import IDENTITIES, WITH_INS, first_names_tried, label


@pytest.fixture(scope="module")
def facade(stack: RunningStack) -> str:
    return f"{stack.base_url}/ins/insi"


@pytest.fixture(scope="module")
def insi(facade: str) -> Any:
    return zeep.Client(f"{facade}?wsdl").service


def headers(idam: str = DEFAULT_TEST_IDAM) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "NO1_ContexteLPS": {
            "Nature": "CTXLPS",
            "Version": "01_00",
            "Id": str(uuid.uuid4()),
            "Temps": now,
            "Emetteur": "cabinet-test",
            "LPS": {
                "IDAM": {"_value_1": idam, "R": "4"},
                "Version": "1.0",
                "Instance": str(uuid.uuid4()),
                "Nom": "urn:lps:socle-tests:1.0",
            },
        },
        "NO1_ContexteBAM": {
            "Nature": "CTXBAM",
            "Version": "01_02",
            "Id": str(uuid.uuid4()),
            "Temps": now,
            "Emetteur": "cabinet-test",
            "COUVERTURE": {},
        },
        "NO1_MessageID": f"uuid:{uuid.uuid4()}",
    }


def by_traits(insi: Any, identity: dict[str, Any], first_name: str, **extra: str) -> Any:
    return insi.rechercherInsAvecTraitsIdentite(
        NomNaissance=identity["NomNaissance"],
        Prenom=[first_name],
        Sexe=identity["Sexe"],
        DateNaissance=identity["DateNaissance"],
        _soapheaders=headers(),
        **extra,
    )


def expected_code(identity: dict[str, Any], first_name: str) -> str:
    if identity["NomNaissance"] == "TCHITCHI":
        return "01" if first_name == "OLA" else "00"
    return identity["expected"][:2]


CASES = [(i, name) for i in IDENTITIES for name in first_names_tried(i)]


@pytest.mark.parametrize(("identity", "first_name"), CASES, ids=[f"{label(i)}-{n}" for i, n in CASES])
def test_traits_search_gives_the_published_code(insi: Any, identity: dict[str, Any], first_name: str) -> None:
    result = by_traits(insi, identity, first_name)
    code = expected_code(identity, first_name)
    assert result.CR.CodeCR == code
    assert (
        result.CR.LibelleCR
        == {"00": "OK", "01": "Aucune identite trouvee", "02": "Plusieurs identites trouvees"}[code]
    )
    if code != "00":
        assert result.INDIVIDU is None
        return
    active = result.INDIVIDU.INSACTIF
    assert (active.IdIndividu.NumIdentifiant, active.IdIndividu.Cle) == (
        identity["NumIdentifiant"],
        identity["Cle"],
    )
    assert identity["OID"] == active.OID
    traits = result.INDIVIDU.TIQ
    assert traits.NomNaissance == identity["NomNaissance"]
    assert traits.ListePrenom == identity["ListePrenom"]
    assert traits.Prenom == first_name
    assert (traits.Sexe, traits.DateNaissance, traits.LieuNaissance) == (
        identity["Sexe"],
        identity["DateNaissance"],
        identity["LieuNaissance"],
    )
    history = [(h.IdIndividu.NumIdentifiant, h.IdIndividu.Cle) for h in result.INDIVIDU.INSHISTO]
    assert history == [(h["NumIdentifiant"], h["Cle"]) for h in identity.get("INSHISTO", [])]


def test_history_keeps_its_validity_dates(insi: Any) -> None:
    ecetinsi = next(i for i in WITH_INS if i["NomNaissance"] == "ECETINSI")
    first = by_traits(insi, ecetinsi, "FLORIANT").INDIVIDU.INSHISTO[0]
    assert (first.DateDeb.isoformat(), first.DateFin.isoformat()) == ("2019-03-01", "2019-02-28")


def test_every_first_name_of_the_list_finds_the_identity(insi: Any) -> None:
    ecetinsi = next(i for i in WITH_INS if i["NomNaissance"] == "ECETINSI")
    for first_name in ecetinsi["ListePrenom"].split(" "):
        assert by_traits(insi, ecetinsi, first_name).CR.CodeCR == "00"
    assert by_traits(insi, ecetinsi, ecetinsi["ListePrenom"]).CR.CodeCR == "00"
    assert by_traits(insi, ecetinsi, "PIERRE").CR.CodeCR == "01"


def test_birth_place_separates_several_identities(insi: Any) -> None:
    de_vinci = next(i for i in IDENTITIES if i["NomNaissance"] == "DE VINCI")
    assert by_traits(insi, de_vinci, "LEONARDO").CR.CodeCR == "02"
    result = by_traits(insi, de_vinci, "LEONARDO", LieuNaissance="75056")
    assert result.CR.CodeCR == "00"
    assert result.INDIVIDU.TIQ.LieuNaissance == "75056"
    assert by_traits(insi, de_vinci, "LEONARDO", LieuNaissance="13055").CR.CodeCR == "01"


def test_traits_are_normalised_before_matching(insi: Any) -> None:
    adrtrois = next(i for i in WITH_INS if i["ListePrenom"] == "DOMINIQUE")
    result = insi.rechercherInsAvecTraitsIdentite(
        NomNaissance="Adrtrois",
        Prenom=["Dominiqué"],
        Sexe="F",
        DateNaissance="1997-02-26",
        _soapheaders=headers(),
    )
    assert result.INDIVIDU.INSACTIF.IdIndividu.NumIdentifiant == adrtrois["NumIdentifiant"]


@pytest.mark.parametrize("identity", [i for i in WITH_INS if i["NomNaissance"] != "HERMANN"], ids=label)
def test_vitale_card_search_finds_the_beneficiary(insi: Any, identity: dict[str, Any]) -> None:
    result = insi.rechercherInsAvecCarteVitale(
        MatriculeIndividu={"NumIdentifiant": identity["NumIdentifiant"], "Cle": identity["Cle"]},
        DateNaissance=identity["DateNaissance"],
        RangNaissance="1",
        _soapheaders=headers(),
    )
    assert result.CR.CodeCR == "00"
    assert result.INDIVIDU.INSACTIF.IdIndividu.NumIdentifiant == identity["NumIdentifiant"]
    assert result.INDIVIDU.TIQ.ListePrenom == identity["ListePrenom"]


def test_vitale_card_with_another_birth_date_finds_nobody(insi: Any) -> None:
    result = insi.rechercherInsAvecCarteVitale(
        MatriculeOD={"NumIdentifiant": "2751263220749", "Cle": "74"},
        DateNaissance="2001-01-01",
        _soapheaders=headers(),
    )
    assert (result.CR.CodeCR, result.INDIVIDU) == ("01", None)


def test_vitale_card_found_by_a_past_matricule(insi: Any) -> None:
    result = insi.rechercherInsAvecCarteVitale(
        MatriculeIndividu={"NumIdentifiant": "2090663220123", "Cle": "55"},
        DateNaissance="2009-07-14",
        _soapheaders=headers(),
    )
    assert result.INDIVIDU.INSACTIF.IdIndividu.NumIdentifiant == "1090763220834"


def test_unknown_idam_gives_the_real_fault(insi: Any) -> None:
    sent = headers("INCONNU-0000")
    with pytest.raises(Fault) as caught:
        insi.rechercherInsAvecTraitsIdentite(
            NomNaissance="ADRUN", Prenom=["ZOE"], Sexe="F", DateNaissance="1975-12-31", _soapheaders=sent
        )
    fault = caught.value
    assert fault.code.endswith("Sender")
    assert [s.localname for s in fault.subcodes] == ["siram_100"]
    assert "progiciel" in fault.message
    erreur = fault.detail[0]
    assert erreur.get("code") == "desir_550"
    assert erreur.get("messageID") == sent["NO1_MessageID"]
    assert erreur.get("severite") == "erreur"


def test_malformed_traits_give_a_fault(insi: Any) -> None:
    with pytest.raises(Fault) as caught:
        insi.rechercherInsAvecTraitsIdentite(
            NomNaissance="ADRUN", Prenom=["ZOE"], Sexe="F", DateNaissance="1975-02-30", _soapheaders=headers()
        )
    assert caught.value.detail[0].get("code") == "insi_102"
    assert "DateNaissance" in caught.value.detail[0].text


def test_the_wsdl_points_at_the_facade_and_serves_every_schema(facade: str) -> None:
    client = zeep.Client(f"{facade}?wsdl")
    port = client.wsdl.services["ICIR-v1"].ports["ICIRService"]
    assert port.binding_options["address"] == facade
    operations = port.binding._operations
    assert operations["rechercherInsAvecTraitsIdentite"].soapaction == (
        "urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecTraitsIdentite"
    )
    assert port.binding.__class__.__name__ == "Soap12Binding"
