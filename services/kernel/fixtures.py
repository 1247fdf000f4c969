"""The fixed test data of the contract: same ids on every machine, keys computed, never real people.

Built from ``data/fixtures.json`` (bases without keys) and ``data/insi-test-identities.json`` (the CNDA
identities, whose published keys are facts). Every service seeds its store from this one object, and
``/_sim/fixtures`` publishes it so scripts can find the anchors (first professional, ADRTROIS DOMINIQUE).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

from .identifiers import idnat_from_rpps, nir_key, with_luhn
from .settings import Settings
from .traits import first_first_name

PROFESSIONS = {
    "10": "Médecin",
    "21": "Pharmacien",
    "40": "Chirurgien-Dentiste",
    "50": "Sage-Femme",
    "60": "Infirmier",
    "70": "Masseur-Kinésithérapeute",
    "80": "Pédicure-Podologue",
    "91": "Orthophoniste",
}
EXPERTISES = {
    "SM54": "Médecine générale",
    "SM04": "Cardiologie et maladies vasculaires",
    "SM40": "Pédiatrie",
    "SM42": "Psychiatrie",
    "SM44": "Radio-diagnostic",
    "SCD01": "Orthopédie dento-faciale",
}
SECTORS = {
    "SA07": "Cabinet individuel",
    "SA01": "Etablissement public de santé",
    "SA25": "Laboratoire de biologie médicale",
    "SA33": "Pharmacie d'officine",
}
PSC_USER_STORAGE = "f:550dc1c8-d97b-4b1e-ac8c-8eb4471cf9dd"
"""Keycloak user-federation prefix of PSC subjects (psc.md §3.1): ``sub = f:<uuid>:<idNat>``."""

DEMO_CLIENT_ID = "socle-demo"


@dataclass(frozen=True)
class Address:
    line: str
    postal_code: str
    city: str
    insee_code: str


@dataclass(frozen=True)
class Organisation:
    key: str
    kind: str
    """cabinet, legal-entity, hospital (geographical site), laboratory, pharmacy."""
    name: str
    sector: str
    technical_id: str
    """identifiantTechniqueDeLaStructure: R + RPPS rang (cabinet), F + FINESS site, or the legal entity's FINESS."""
    finess: str
    finess_legal: str
    siren: str
    siret: str
    rpps_rang: str
    address: Address
    mailbox: str
    part_of: str | None


@dataclass(frozen=True)
class Activity:
    organisation: str
    mode: str
    sector: str
    role: str = ""
    genre: str = "GENR01"
    pharmacist_section: str = ""


@dataclass(frozen=True)
class Professional:
    idnat: str
    rpps: str
    civility: str
    title: str
    family_name: str
    given_name: str
    profession: str
    profession_label: str
    category: str
    expertise: str
    expertise_label: str
    activities: tuple[Activity, ...]
    mailbox: str
    cps: bool
    ecps: bool

    @property
    def sub(self) -> str:
        return f"{PSC_USER_STORAGE}:{self.idnat}"


@dataclass(frozen=True)
class Patient:
    ins: str
    nir: str
    key: str
    oid: str
    birth_name: str
    first_names: str
    first_name: str
    sex: str
    birth_date: str
    birth_place: str
    identity_status: str
    dmp: str
    """open, closed or none."""
    opposition: bool
    medecin_traitant: str | None
    blocked: tuple[str, ...]
    history: tuple[dict[str, str], ...]
    mailbox: str
    insi_expected: str


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    token_endpoint_auth_method: str
    grant_types: tuple[str, ...]


@dataclass(frozen=True)
class InsiProbe:
    """A query of the CNDA list that must not find one identity (codes 01 and 02)."""

    birth_name: str
    first_names: tuple[str, ...]
    sex: str
    birth_date: str
    expected: str


@dataclass(frozen=True)
class Fixtures:
    organisations: tuple[Organisation, ...]
    professionals: tuple[Professional, ...]
    patients: tuple[Patient, ...]
    clients: tuple[Client, ...]
    insi_probes: tuple[InsiProbe, ...]
    mss_domain: str
    patient_domain: str
    extra: dict[str, Any] = field(default_factory=dict)

    def organisation(self, key: str) -> Organisation:
        return next(o for o in self.organisations if o.key == key)

    def professional(self, idnat: str) -> Professional | None:
        return next((p for p in self.professionals if p.idnat == idnat), None)

    def patient(self, ins: str) -> Patient | None:
        return next((p for p in self.patients if p.ins == ins), None)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("extra")
        data["anchors"] = {
            "first_professional": self.professionals[0].idnat,
            "reference_patient": next(
                p.ins for p in self.patients if p.birth_name == "ADRTROIS" and p.sex == "F"
            ),
        }
        return data


@cache
def _data(name: str) -> Any:
    return json.loads(resources.files("services.kernel").joinpath("data", name).read_text("utf-8"))


def _organisation(raw: dict[str, Any], domain: str) -> Organisation:
    finess = with_luhn(raw["finess_base"]) if "finess_base" in raw else ""
    siren = with_luhn(raw["siren_base"])
    siret = with_luhn(siren + raw["siret_tail"]) if "siret_tail" in raw else ""
    rpps_rang = raw.get("rpps_rang", "")
    technical_id = (
        f"R{rpps_rang}" if rpps_rang else (f"F{finess}" if raw["kind"] != "legal-entity" else finess)
    )
    return Organisation(
        key=raw["key"],
        kind=raw["kind"],
        name=raw["name"],
        sector=raw["sector"],
        technical_id=technical_id,
        finess=finess,
        finess_legal="",
        siren=siren,
        siret=siret,
        rpps_rang=rpps_rang,
        address=Address(**raw["address"]),
        mailbox=f"{raw['mailbox']}@{domain}",
        part_of=raw.get("part_of"),
    )


def _mailbox_name(given: str, family: str) -> str:
    return f"{given}.{family}".lower().replace(" ", "-").replace("'", "")


def _professional(raw: dict[str, Any], organisations: dict[str, Organisation], domain: str) -> Professional:
    rpps = with_luhn(raw["rpps_base"])
    activities = tuple(
        Activity(
            organisation=a["at"],
            mode=a["mode"],
            sector=organisations[a["at"]].sector,
            role=a.get("role", ""),
            pharmacist_section=raw.get("section", ""),
        )
        for a in raw["activities"]
    )
    return Professional(
        idnat=idnat_from_rpps(rpps),
        rpps=rpps,
        civility=raw["civility"],
        title=raw["title"],
        family_name=raw["family"],
        given_name=raw["given"],
        profession=raw["profession"],
        profession_label=PROFESSIONS[raw["profession"]],
        category="C",
        expertise=raw.get("expertise", ""),
        expertise_label=EXPERTISES.get(raw.get("expertise", ""), ""),
        activities=activities,
        mailbox=f"{_mailbox_name(raw['given'], raw['family'])}@{domain}",
        cps=raw["cps"],
        ecps=raw["ecps"],
    )


def _synthetic_nir(raw: dict[str, str]) -> str:
    sex = "1" if raw["sex"] == "M" else "2"
    year, month = raw["birth_date"][2:4], raw["birth_date"][5:7]
    return f"{sex}{year}{month}{raw['birth_place']}{raw['order']}"


def _patient(raw: dict[str, Any], professionals: list[Professional], patient_domain: str) -> Patient:
    if "insi" in raw:
        name, first_names = raw["insi"].split("/")
        source = next(
            i
            for i in _data("insi-test-identities.json")["identities"]
            if i["NomNaissance"] == name and i.get("ListePrenom") == first_names
        )
        nir, key, oid = source["NumIdentifiant"], source["Cle"], source["OID"]
        traits = {
            "birth_name": name,
            "first_names": first_names,
            "sex": source["Sexe"],
            "birth_date": source["DateNaissance"],
            "birth_place": source["LieuNaissance"],
        }
        history = tuple(source.get("INSHISTO", ()))
        expected = source["expected"]
    else:
        synthetic = raw["synthetic"]
        nir = _synthetic_nir(synthetic)
        key, oid = nir_key(nir), synthetic.get("oid", "1.2.250.1.213.1.4.8")
        traits = {k: synthetic[k] for k in ("birth_name", "first_names", "sex", "birth_date", "birth_place")}
        history, expected = (), "synthetic socle identity"
    mt = raw.get("medecin_traitant")
    return Patient(
        ins=nir + key,
        nir=nir,
        key=key,
        oid=oid,
        first_name=first_first_name(traits["first_names"]),
        **traits,
        identity_status=raw["status"],
        dmp=raw["dmp"],
        opposition=raw.get("opposition", False),
        medecin_traitant=professionals[mt].idnat if mt is not None else None,
        blocked=tuple(professionals[i].idnat for i in raw.get("blocked", ())),
        history=history,
        mailbox=f"{nir + key}@{patient_domain}",
        insi_expected=expected,
    )


def build_fixtures(settings: Settings) -> Fixtures:
    raw = _data("fixtures.json")
    domain = settings.mss_domain
    organisations = [_organisation(o, domain) for o in raw["organisations"]]
    legal = {o.key: o for o in organisations if o.kind == "legal-entity"}
    organisations = [
        replace(o, finess_legal=legal[o.part_of].finess) if o.part_of else o for o in organisations
    ]
    by_key = {o.key: o for o in organisations}
    professionals = [_professional(p, by_key, domain) for p in raw["professionals"]]
    patients = [_patient(p, professionals, settings.mss_patient_domain) for p in raw["patients"]]
    probes = tuple(
        InsiProbe(
            i["NomNaissance"],
            tuple(i.get("query_firstnames") or [i["ListePrenom"]]),
            i["Sexe"],
            i["DateNaissance"],
            i["expected"],
        )
        for i in _data("insi-test-identities.json")["identities"]
        if "NumIdentifiant" not in i
    )
    root = settings.root_url
    demo = Client(
        client_id=DEMO_CLIENT_ID,
        client_secret="socle-demo-secret",
        redirect_uris=(f"{root}/callback",),
        post_logout_redirect_uris=(f"{root}/",),
        token_endpoint_auth_method="client_secret_basic",
        grant_types=("authorization_code", "refresh_token", "urn:openid:params:grant-type:ciba"),
    )
    return Fixtures(
        tuple(organisations),
        tuple(professionals),
        tuple(patients),
        (demo,),
        probes,
        domain,
        settings.mss_patient_domain,
    )
