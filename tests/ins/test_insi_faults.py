"""SOAP faults of the INSi façade for bad requests: the envelopes here are hand-written on purpose, since
a generated client cannot send broken ones. Each case checks the fault's code, subcode and ``siram:Erreur``
detail, and that the base is unchanged."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from lxml import etree

from services.ins import store

from .conftest import ins_app
from .soap_messages import LPS, MESSAGE_ID, NS, WSA, S, envelope, traits


@pytest.fixture(scope="module")
def insi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app for the module: the façade never writes, so the cases cannot disturb each other."""
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("SOCLE_")]:
            env.delenv(name)
        app = ins_app(tmp_path_factory.mktemp("insi"))
    with TestClient(app) as client:
        yield client


def post(client: TestClient, xml: str | bytes) -> tuple[int, etree._Element, str]:
    response = client.post(
        "/insi", content=xml, headers={"content-type": "application/soap+xml; charset=utf-8"}
    )
    assert response.headers["content-type"].startswith("application/soap+xml")
    return response.status_code, etree.fromstring(response.content), response.text


def fault_of(root: etree._Element) -> tuple[str, str | None, str, str | None]:
    fault = root.find("S:Body/S:Fault", NS)
    assert fault is not None, etree.tostring(root)
    subcode = fault.findtext("S:Code/S:Subcode/S:Value", namespaces=NS)
    erreur = fault.find("S:Detail/siram:Erreur", NS)
    return (
        fault.findtext("S:Code/S:Value", namespaces=NS),
        subcode,
        erreur.get("code"),
        erreur.get("messageID"),
    )


def test_a_well_formed_request_is_answered(insi: TestClient) -> None:
    status, root, _ = post(insi, envelope())
    assert status == 200
    assert root.findtext("S:Body/r:RESULTAT/r:CR/r:CodeCR", namespaces=NS) == "00"


@pytest.mark.parametrize(
    ("xml", "detail"),
    [
        (envelope(lps=""), "ContexteLPS absent"),
        (envelope(lps=LPS.format(idam="")), "IDAM absent"),
        (envelope(lps=LPS.format(idam="X").replace(' Version="01_00"', "")), "@Version"),
        (envelope(bam=None), "ContexteBAM absent"),
        (envelope(wsa=None), "MessageID absent"),
        (f'<soap:Envelope xmlns:soap="{S}"><soap:Body>{traits()}</soap:Body></soap:Envelope>', "en-tête"),
    ],
    ids=["no-lps", "no-idam", "no-version", "no-bam", "no-message-id", "no-header"],
)
def test_missing_or_invalid_context(insi: TestClient, xml: str, detail: str) -> None:
    status, root, text = post(insi, xml)
    assert status == 500
    code, subcode, erreur, _ = fault_of(root)
    assert (code, subcode, erreur) == ("S:Sender", "S:siram_100", "desir_500")
    assert detail in text


def test_unknown_idam(insi: TestClient) -> None:
    status, root, text = post(insi, envelope(idam="INCONNU-42"))
    assert status == 500
    assert fault_of(root) == ("S:Sender", "S:siram_100", "desir_550", MESSAGE_ID)
    assert "Numéro d'autorisation du logiciel inconnu." in text
    assert (
        root.find("S:Body/S:Fault/S:Reason/S:Text", NS).get("{http://www.w3.org/XML/1998/namespace}lang")
        == "fr"
    )


def test_a_configured_idam_list_is_the_only_one_accepted(tmp_path: Path) -> None:
    with TestClient(ins_app(tmp_path, insi_idams=["IDAM-A"])) as client:
        assert post(client, envelope(idam="IDAM-A"))[0] == 200
        assert fault_of(post(client, envelope(idam="LOGICIEL-1"))[1])[2] == "desir_550"


@pytest.mark.parametrize(
    "body",
    [
        traits(name="DUP0NT"),
        traits(name=""),
        traits(first="J@CK"),
        traits(first=""),
        traits(sex="X"),
        traits(date="1975-13-01"),
        traits(date="1975-02-30"),
        traits(date="31/12/1975"),
        traits(date="2999-01-01"),
        traits(place="<LieuNaissance>ABCDE</LieuNaissance>"),
        '<RECVITALE xmlns="http://www.cnamts.fr/INSiRecVit"><MatriculeIndividu><NumIdentifiant>2751263220749</NumIdentifiant><Cle>75</Cle></MatriculeIndividu><DateNaissance>1975-12-31</DateNaissance></RECVITALE>',
        '<RECVITALE xmlns="http://www.cnamts.fr/INSiRecVit"><DateNaissance>1975-12-31</DateNaissance></RECVITALE>',
    ],
    ids=[
        "digit-in-name",
        "empty-name",
        "symbol-in-first-name",
        "no-first-name",
        "bad-sex",
        "month-13",
        "february-30",
        "french-date",
        "future-date",
        "bad-place",
        "vitale-bad-key",
        "vitale-no-matricule",
    ],
)
def test_malformed_traits(insi: TestClient, body: str) -> None:
    status, root, _ = post(insi, envelope(body=body))
    assert status == 500
    assert fault_of(root) == ("S:Sender", "S:siram_200", "insi_102", MESSAGE_ID)


XXE = f"""<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
{envelope(body=traits(name="&xxe;")).split("?>", 1)[1]}"""
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'
        for i in range(1, 10)
    )
    + "]>"
    + envelope(body=traits(name="&lol9;")).split("?>", 1)[1]
)


@pytest.mark.parametrize(
    ("xml", "code"),
    [
        (XXE, "desir_100"),
        (LAUGHS, "desir_100"),
        ("<soap:Envelope xmlns:soap='x'><unclosed>", "desir_100"),
        ("not xml at all", "desir_100"),
        (envelope().replace(S, "http://schemas.xmlsoap.org/soap/envelope/"), "desir_100"),
        (envelope(body=traits().replace("INSiRecSans", "INSiRecSansV2")), "desir_101"),
        (envelope(body="<RECHERCHE xmlns='http://www.cnamts.fr/INSiRecSans'/>"), "desir_101"),
    ],
    ids=["xxe", "billion-laughs", "malformed", "not-xml", "soap-1.1", "wrong-namespace", "unknown-operation"],
)
def test_hostile_or_foreign_messages(insi: TestClient, xml: str, code: str) -> None:
    status, root, text = post(insi, xml)
    assert status == 500
    assert fault_of(root)[2] == code
    assert "root:" not in text and "lollollol" not in text


def test_soap_11_is_a_version_mismatch(insi: TestClient) -> None:
    _, root, _ = post(insi, envelope().replace(S, "http://schemas.xmlsoap.org/soap/envelope/"))
    assert fault_of(root)[:2] == ("S:VersionMismatch", None)


def test_an_action_that_contradicts_the_body(insi: TestClient) -> None:
    action = '<wsa:Action xmlns:wsa="http://www.w3.org/2005/08/addressing">urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecCarteVitale</wsa:Action>'
    _, root, _ = post(insi, envelope(wsa=WSA + action))
    assert fault_of(root)[2] == "desir_101"


def test_faults_leave_the_base_unchanged(insi: TestClient) -> None:
    db = insi.app.state.db  # type: ignore[attr-defined]
    with db.reader() as session:
        before = store.count(session)
    for xml in (XXE, LAUGHS, envelope(idam="INCONNU"), envelope(body=traits(date="1975-02-30"))):
        assert post(insi, xml)[0] == 500
    with db.reader() as session:
        assert store.count(session) == before


def test_an_oversized_message_is_refused(insi: TestClient) -> None:
    padding = "<!--" + "x" * 300_000 + "-->"
    status, root, _ = post(insi, envelope(body=padding + traits()))
    assert (status, fault_of(root)[2]) == (500, "desir_100")


def test_the_fault_status_is_configurable(tmp_path: Path) -> None:
    with TestClient(ins_app(tmp_path, insi_fault_status=400)) as client:
        assert post(client, envelope(idam="INCONNU"))[0] == 400


def test_the_content_type_action_must_match_the_body(insi: TestClient) -> None:
    vitale = 'application/soap+xml; charset=utf-8; action="urn:ServiceIdentiteCertifiee:1.0.0:rechercherInsAvecCarteVitale"'
    response = insi.post("/insi", content=envelope(), headers={"content-type": vitale})
    assert fault_of(etree.fromstring(response.content))[2] == "desir_101"
    traits_action = vitale.replace("CarteVitale", "TraitsIdentite")
    assert insi.post("/insi", content=envelope(), headers={"content-type": traits_action}).status_code == 200
