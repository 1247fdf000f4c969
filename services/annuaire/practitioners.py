"""Practitioner and PractitionerRole resources of a professional (spec C2, C4, C8; IG AS DP profiles).

One Practitioner per "exercice professionnel" (idNatPs + RPPS, name d'exercice, profession, specialty,
CPS card, personal mailbox) and one PractitionerRole per activity ("situation d'exercice": genre, mode,
function, the structure, the personal mailbox again so a lookup on either resource finds it). Ids are
derived from the RPPS number, so they are the same on every machine.
"""

from __future__ import annotations

from typing import Any

from services.kernel.fixtures import PROFESSIONS, Activity, Professional
from services.kernel.identifiers import idnat_from_rpps, with_luhn
from services.kernel.synthetic import SyntheticProfessional

from .codes import (
    CARD_TYPE,
    CATEGORY,
    CNOP_SECTION,
    FUNCTION,
    GENRE,
    IDNAT_PS,
    MODE,
    ORDER_OF_PROFESSION,
    PROFESSION,
    RPPS,
    SMARTCARD_EXT,
    SPECIALTY,
    identifier_type,
)
from .mailboxes import mailbox_telecom
from .metadata import FIXED_DATE, meta

Resource = dict[str, Any]


def practitioner_id(rpps: str) -> str:
    return f"003-{rpps}"


def role_id(rpps: str, index: int) -> str:
    return f"005-{rpps}-{index}"


def organization_ref(organization_id: str) -> dict[str, str]:
    return {"reference": f"Organization/{organization_id}"}


def _identifiers(idnat: str, rpps: str) -> list[Resource]:
    return [
        {"use": "official", "type": identifier_type("IDNPS"), "system": IDNAT_PS, "value": idnat},
        {"use": "official", "type": identifier_type("RPPS"), "system": RPPS, "value": rpps},
    ]


def _qualifications(profession: str, category: str, specialty: str, specialty_label: str) -> list[Resource]:
    exercise = {
        "code": {
            "coding": [
                {"system": PROFESSION, "code": profession, "display": PROFESSIONS[profession]},
                {"system": CATEGORY, "code": category},
            ]
        }
    }
    qualifications = [exercise]
    if specialty:
        qualifications.append(
            {"code": {"coding": [{"system": SPECIALTY, "code": specialty, "display": specialty_label}]}}
        )
    return qualifications


def _smartcard(rpps: str) -> Resource:
    """The CPS card of a professional; its number is derived from the RPPS (synthetic, stable)."""
    return {
        "url": SMARTCARD_EXT,
        "extension": [
            {"url": "type", "valueCodeableConcept": {"coding": [{"system": CARD_TYPE, "code": "CPS"}]}},
            {"url": "number", "valueString": rpps[1:]},
            {"url": "period", "valuePeriod": {"start": "2025-01-01", "end": "2028-01-01"}},
        ],
    }


def practitioner(
    *,
    idnat: str,
    rpps: str,
    family: str,
    given: str,
    profession: str,
    mailbox: str,
    civility: str = "",
    title: str = "",
    specialty: str = "",
    specialty_label: str = "",
    cps: bool = False,
    last_updated: str = FIXED_DATE,
) -> Resource:
    name: Resource = {"use": "usual", "family": family, "given": [given]}
    if civility:
        name["prefix"] = [civility]
    if title:
        name["suffix"] = [title]
    resource: Resource = {
        "resourceType": "Practitioner",
        "id": practitioner_id(rpps),
        "meta": meta(
            "Practitioner",
            system="RPPS",
            authority=ORDER_OF_PROFESSION.get(profession, ""),
            last_updated=last_updated,
        ),
        "language": "fr",
    }
    if cps:
        resource["extension"] = [_smartcard(rpps)]
    resource |= {
        "identifier": _identifiers(idnat, rpps),
        "active": True,
        "name": [name],
        "telecom": [mailbox_telecom(mailbox, "PER")],
        "qualification": _qualifications(profession, "C", specialty, specialty_label),
    }
    return resource


def practitioner_role(
    *,
    rpps: str,
    index: int,
    activity: Activity,
    organization_id: str | None,
    mailbox: str,
    last_updated: str = FIXED_DATE,
) -> Resource:
    codes = [{"coding": [{"system": GENRE, "code": activity.genre}]}]
    codes.append({"coding": [{"system": MODE, "code": activity.mode}]})
    if activity.role:
        codes.append({"coding": [{"system": FUNCTION, "code": activity.role}]})
    if activity.pharmacist_section:
        codes.append({"coding": [{"system": CNOP_SECTION, "code": activity.pharmacist_section}]})
    resource: Resource = {
        "resourceType": "PractitionerRole",
        "id": role_id(rpps, index),
        "meta": meta("PractitionerRole", system="RPPS", last_updated=last_updated),
        "language": "fr",
        "identifier": [{"system": RPPS, "value": f"{rpps}{index:02d}"}],
        "active": True,
        "practitioner": {"reference": f"Practitioner/{practitioner_id(rpps)}"},
    }
    if organization_id:
        resource["organization"] = organization_ref(organization_id)
    resource |= {"code": codes, "telecom": [mailbox_telecom(mailbox, "PER")]}
    return resource


def professional_resources(professional: Professional, organization_ids: dict[str, str]) -> list[Resource]:
    """The Practitioner and PractitionerRoles of one fixed test professional."""
    p = professional
    resources = [
        practitioner(
            idnat=p.idnat,
            rpps=p.rpps,
            family=p.family_name,
            given=p.given_name,
            profession=p.profession,
            mailbox=p.mailbox,
            civility=p.civility,
            title=p.title,
            specialty=p.expertise,
            specialty_label=p.expertise_label,
            cps=p.cps,
        )
    ]
    for index, activity in enumerate(p.activities, start=1):
        resources.append(
            practitioner_role(
                rpps=p.rpps,
                index=index,
                activity=activity,
                organization_id=organization_ids[activity.organisation],
                mailbox=p.mailbox,
            )
        )
    return resources


RETIRED_RPPS_BASE = "1000000099"
"""A professional no longer in practice: outside the kernel's fixed range, so PSC never logs them in."""


def retired_practitioner() -> Resource:
    """An inactive Practitioner as the live API returns one: only id, identifiers and ``active=false``
    (spec C1, "inactive resources"), so clients see the delta mode's deletions."""
    rpps = with_luhn(RETIRED_RPPS_BASE)
    return {
        "resourceType": "Practitioner",
        "id": practitioner_id(rpps),
        "meta": meta("Practitioner", system="RPPS"),
        "identifier": _identifiers(idnat_from_rpps(rpps), rpps),
        "active": False,
    }


def synthetic_mailbox(person: SyntheticProfessional, domain: str) -> str:
    """A unique personal address: the RPPS tail tells apart namesakes among a million people."""
    local = f"{person.given_name}.{person.family_name}.{person.rpps[-7:]}"
    return f"{local.lower().replace(' ', '-').replace(chr(39), '')}@{domain}"


def synthetic_resources(person: SyntheticProfessional, domain: str, last_updated: str) -> list[Resource]:
    """A bulk professional: a Practitioner and one liberal activity without a structure."""
    mailbox = synthetic_mailbox(person, domain)
    activity = Activity(organisation="", mode="L", sector="")
    return [
        practitioner(
            idnat=person.idnat,
            rpps=person.rpps,
            family=person.family_name,
            given=person.given_name,
            profession=person.profession,
            mailbox=mailbox,
            last_updated=last_updated,
        ),
        practitioner_role(
            rpps=person.rpps,
            index=1,
            activity=activity,
            organization_id=None,
            mailbox=mailbox,
            last_updated=last_updated,
        ),
    ]
