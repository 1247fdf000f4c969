"""Who logs in and what PSC says about them: the userinfo document in its exact PSC shape.

Real userinfo bodies (psc.md §3.5–3.7) use French camelCase names with their idiosyncrasies
(``codeSecteurDactivite``, ``numeroFinessetablissementJuridique``), every leaf of ``SubjectRefPro`` a
string and ``""`` for anything unknown; relying parties (VIHF builders, the ANS broker) read them
byte-exact, so this module builds them from the fixture professional and organisations field by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.kernel.fixtures import (
    PROFESSIONS,
    PSC_USER_STORAGE,
    Activity,
    Fixtures,
    Organisation,
    Professional,
)

from .models import PscProfessional

SECTOR_OID = "1.2.250.1.71.4.2.4"
ROLE_OID = "1.2.250.1.213.1.1.5.5"
PALIER = "APPPRIP3^1.2.250.1.213.1.5.1.1.1"
PSI_LOCALE = "1.2.250.1.213.1.3.1.1"
AUTH_MODES = {"CPS": "CARD", "ECPS": "MOBILE"}
"""Login means → ``authMode``: ``CARD`` is observed; ``MOBILE`` for e-CPS is inferred from CIBA's channel (§8)."""

ORDERS = {
    "10": "CNOM",
    "21": "CNOP",
    "40": "CNOCD",
    "50": "CNOSF",
    "60": "CNOI",
    "70": "CNOMK",
    "80": "CNOPP",
}
"""Registering order per profession, for ``autoriteDenregistrement`` (inferred from the CNOM/CNOPP samples)."""
STREET_TYPES = {"RUE": "R", "AVENUE": "AV", "PLACE": "PL", "BOULEVARD": "BD", "CHEMIN": "CHE", "ROUTE": "RTE"}
ACTIVITY_FIELDS = (
    "codeModeExercice",
    "codeSecteurDactivite",
    "codeSectionPharmacien",
    "codeRole",
    "codeGenreActivite",
    "numeroSiretSite",
    "numeroSirenSite",
    "numeroFinessSite",
    "numeroFinessetablissementJuridique",
    "identifiantTechniqueDeLaStructure",
    "raisonSocialeSite",
    "enseigneCommercialeSite",
    "complementDestinataire",
    "complementPointGeographique",
    "numeroVoie",
    "indiceRepetitionVoie",
    "codeTypeDeVoie",
    "libelleVoie",
    "mentionDistribution",
    "bureauCedex",
    "codePostal",
    "codeCommune",
    "codePays",
    "telephone",
    "telephone2",
    "telecopie",
    "adresseEMail",
    "codeDepartement",
    "ancienIdentifiantDeLaStructure",
    "autoriteDenregistrement",
)


@dataclass(frozen=True)
class Subject:
    """The authenticated professional of one PSC session (authlib's "user")."""

    idnat: str
    sid: str
    auth_mode: str
    auth_time: int

    def get_user_id(self) -> str:
        return self.idnat


def sub_of(idnat: str) -> str:
    return f"{PSC_USER_STORAGE}:{idnat}"


def _street(line: str) -> tuple[str, str, str]:
    number, _, rest = line.partition(" ")
    if not number.isdigit():
        return "", "", line
    kind, _, label = rest.partition(" ")
    return number, STREET_TYPES.get(kind, ""), label


def _old_identifier(professional: Professional, organisation: Organisation) -> str:
    if organisation.rpps_rang:
        return f"4{professional.rpps}001"
    if organisation.finess:
        return f"1{organisation.finess}"
    return f"3{organisation.siret}" if organisation.siret else ""


def _authority(profession: str, organisation: Organisation) -> str:
    order = ORDERS.get(profession, "ARS")
    last = "ARS" if organisation.kind in ("hospital", "legal-entity") else order
    return f"{order}/{order}/{last}"


def activity(professional: Professional, act: Activity, organisation: Organisation) -> dict[str, str]:
    number, street_type, label = _street(organisation.address.line)
    values = {
        "codeModeExercice": act.mode,
        "codeSecteurDactivite": act.sector,
        "codeSectionPharmacien": act.pharmacist_section,
        "codeRole": act.role,
        "codeGenreActivite": act.genre,
        "numeroSiretSite": organisation.siret,
        "numeroSirenSite": organisation.siren,
        "numeroFinessSite": organisation.finess,
        "numeroFinessetablissementJuridique": organisation.finess_legal,
        "identifiantTechniqueDeLaStructure": organisation.technical_id,
        "raisonSocialeSite": organisation.name,
        "numeroVoie": number,
        "codeTypeDeVoie": street_type,
        "libelleVoie": label,
        "bureauCedex": f"{organisation.address.postal_code} {organisation.address.city}",
        "codePostal": organisation.address.postal_code,
        "codeCommune": organisation.address.insee_code,
        "codePays": "99000",
        "codeDepartement": organisation.address.postal_code[:2],
        "ancienIdentifiantDeLaStructure": _old_identifier(professional, organisation),
        "autoriteDenregistrement": _authority(professional.profession, organisation),
    }
    return {name: values.get(name, "") for name in ACTIVITY_FIELDS}


def bare_activity() -> dict[str, str]:
    """An activity with no structure (a RASS row with only the exercise mode)."""
    return {name: ("L" if name == "codeModeExercice" else "") for name in ACTIVITY_FIELDS}


def userinfo(professional: Professional, fixtures: Fixtures, *, auth_mode: str) -> dict[str, Any]:
    """The userinfo body of ``professional`` (psc.md §3.7 shape)."""
    activities = [
        activity(professional, act, fixtures.organisation(act.organisation))
        for act in professional.activities
    ] or [bare_activity()]
    first = activities[0]
    sector = first["codeSecteurDactivite"]
    return {
        "sub": sub_of(professional.idnat),
        "SubjectNameID": professional.idnat,
        "preferred_username": professional.idnat,
        "given_name": professional.given_name,
        "family_name": professional.family_name,
        "Secteur_Activite": f"{sector}^{SECTOR_OID}" if sector else "",
        "SubjectOrganization": first["raisonSocialeSite"],
        "SubjectOrganizationID": first["identifiantTechniqueDeLaStructure"],
        "SubjectRole": [f"{professional.profession}^{ROLE_OID}"],
        "Mode_Acces_Raison": "",
        "Acces_Regulation_Medicale": "FAUX",
        "UITVersion": "1.0",
        "authMode": auth_mode,
        "Palier_Authentification": PALIER,
        "PSI_Locale": PSI_LOCALE,
        "otherIds": other_ids(professional.idnat),
        "SubjectRefPro": {
            "codeCivilite": professional.civility,
            "exercices": [
                {
                    "codeProfession": professional.profession,
                    "codeCategorieProfessionnelle": professional.category,
                    "codeCiviliteDexercice": professional.title,
                    "nomDexercice": professional.family_name,
                    "prenomDexercice": professional.given_name,
                    "codeTypeSavoirFaire": "S" if professional.expertise else "",
                    "codeSavoirFaire": professional.expertise,
                    "activities": activities,
                }
            ],
        },
    }


IDENTITY_CLAIMS = ("sub", "SubjectNameID", "preferred_username", "given_name", "family_name")


def for_scope(info: dict[str, Any], scope: str) -> dict[str, Any]:
    """The sectoral claims need ``scope_all`` (psc.md §6.2); without it only the identity is released."""
    if "scope_all" in scope.split():
        return info
    return {name: info[name] for name in IDENTITY_CLAIMS if name in info}


def other_ids(idnat: str) -> list[dict[str, Any]]:
    """``otherIds`` as observed: ``qualite`` is the one non-string leaf of real bodies (an integer)."""
    return [{"identifiant": idnat, "origine": "RPPS", "qualite": 1}]


def bulk_professional(row: PscProfessional) -> Professional:
    """A ``socle seed`` professional: names and profession, no structure (a RASS row with only a mode)."""
    return Professional(
        idnat=row.idnat,
        rpps=row.rpps,
        civility="",
        title="",
        family_name=row.family_name,
        given_name=row.given_name,
        profession=row.profession,
        profession_label=PROFESSIONS.get(row.profession, ""),
        category="C",
        expertise="",
        expertise_label="",
        activities=(),
        mailbox="",
        cps=True,
        ecps=True,
    )
