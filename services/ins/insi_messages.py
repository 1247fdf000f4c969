"""The bodies of the two INSi operations: read ``RECSANSVITALE`` / ``RECVITALE`` into queries, write
``RESULTAT`` as the service does (default namespace ``INSiResultat``, ``ns2``/``ns3`` declared, ``CR``
then ``INDIVIDU`` with ``INSACTIF``, ``INSHISTO`` and ``TIQ``; annex A4).
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .identity import InsNumber
from .matching import FOUND, InvalidQuery, Outcome, TraitsQuery, VitaleQuery, traits_query, vitale_query
from .soap import SoapFault, q, text_of, texts_of

RECSANS = "http://www.cnamts.fr/INSiRecSans"
RECVIT = "http://www.cnamts.fr/INSiRecVit"
RESULTAT = "http://www.cnamts.fr/INSiResultat"
ACTION_PREFIX = "urn:ServiceIdentiteCertifiee:1.0.0:"
TRAITS, VITALE = "rechercherInsAvecTraitsIdentite", "rechercherInsAvecCarteVitale"
OPERATIONS = {q(RECSANS, "RECSANSVITALE"): TRAITS, q(RECVIT, "RECVITALE"): VITALE}


@dataclass(frozen=True)
class Call:
    operation: str
    query: TraitsQuery | VitaleQuery


def operation_of(body: etree._Element, action: str | None, message_id: str) -> str:
    """The operation a body element asks for; its namespace must be the operation's own."""
    operation = OPERATIONS.get(body.tag)
    if operation is None:
        raise SoapFault(
            "unknown_operation",
            f"élément {body.tag} inconnu (attendu {{{RECSANS}}}RECSANSVITALE ou {{{RECVIT}}}RECVITALE)",
            message_id,
        )
    if action and action != ACTION_PREFIX + operation:
        raise SoapFault("unknown_operation", f"wsa:Action {action} ne correspond pas au corps", message_id)
    return operation


def read_call(body: etree._Element, operation: str, message_id: str) -> Call:
    try:
        if operation == TRAITS:
            return Call(
                operation,
                traits_query(
                    birth_name=text_of(body, RECSANS, "NomNaissance"),
                    first_names=texts_of(body, RECSANS, "Prenom"),
                    sex=text_of(body, RECSANS, "Sexe"),
                    birth_date=text_of(body, RECSANS, "DateNaissance"),
                    birth_place=text_of(body, RECSANS, "LieuNaissance"),
                ),
            )

        def matricule(name: str) -> tuple[str | None, str | None]:
            return text_of(body, RECVIT, name, "NumIdentifiant"), text_of(body, RECVIT, name, "Cle")

        return Call(
            operation,
            vitale_query(
                individual=matricule("MatriculeIndividu"),
                holder=matricule("MatriculeOD"),
                birth_date=text_of(body, RECVIT, "DateNaissance"),
                birth_name=text_of(body, RECVIT, "NomNaissance"),
                rank=text_of(body, RECVIT, "RangNaissance"),
            ),
        )
    except InvalidQuery as exc:
        raise SoapFault("bad_traits", exc.message, message_id) from None


def _add(parent: etree._Element, name: str, value: str | None) -> None:
    if value:
        etree.SubElement(parent, q(RESULTAT, name)).text = value


def _ins(parent: etree._Element, name: str, number: InsNumber) -> None:
    element = etree.SubElement(parent, q(RESULTAT, name))
    individual = etree.SubElement(element, q(RESULTAT, "IdIndividu"))
    _add(individual, "NumIdentifiant", number.nir)
    _add(individual, "Cle", number.key)
    _add(element, "OID", number.oid)
    _add(element, "DateDeb", number.start)
    _add(element, "DateFin", number.end)


def resultat(outcome: Outcome) -> etree._Element:
    """The ``RESULTAT`` element of an INSi answer."""
    root = etree.Element(q(RESULTAT, "RESULTAT"), nsmap={None: RESULTAT, "ns2": RECSANS, "ns3": RECVIT})
    report = etree.SubElement(root, q(RESULTAT, "CR"))
    _add(report, "CodeCR", outcome.code)
    _add(report, "LibelleCR", outcome.label)
    person = outcome.person
    if outcome.code != FOUND or person is None:
        return root
    individual = etree.SubElement(root, q(RESULTAT, "INDIVIDU"))
    _ins(individual, "INSACTIF", person.ins)
    for past in person.history:
        _ins(individual, "INSHISTO", past)
    traits = etree.SubElement(individual, q(RESULTAT, "TIQ"))
    _add(traits, "NomNaissance", person.birth_name)
    _add(traits, "Prenom", outcome.matched_first_name or person.first_name)
    _add(traits, "ListePrenom", person.first_names_list)
    _add(traits, "Sexe", person.sex)
    _add(traits, "DateNaissance", person.birth_date)
    _add(traits, "LieuNaissance", person.birth_place)
    return root
