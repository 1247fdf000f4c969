"""A minimal CDA R2 document (level 1: the text in a nonXMLBody), built with lxml, carrying the INS.

The recordTarget names the patient by the qualified INS and its OID, with the INS traits (birth name,
first names, sex, birth date) as the CI-SIS structuration minimale asks (spec A9, TestContenuCDA).
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree
from lxml.builder import ElementMaker

V3 = "urn:hl7-org:v3"
LOINC = "2.16.840.1.113883.6.1"
IDNPS = "1.2.250.1.71.4.2.1"
E = ElementMaker(namespace=V3, nsmap={None: V3})


@dataclass(frozen=True)
class Document:
    xml: bytes
    unique_id: str
    type_code: str
    type_display: str
    created: datetime


def consultation_report(
    *,
    ins: str,
    oid: str,
    birth_name: str,
    first_names: str,
    sex: str,
    birth_date: str,
    author_idnat: str,
    author_family: str,
    author_given: str,
    text: str,
    replaces: str | None = None,
) -> Document:
    now = datetime.now(UTC).replace(microsecond=0)
    stamp = now.strftime("%Y%m%d%H%M%S+0000")
    unique = f"1.2.250.1.999.1.{uuid.uuid4().int % 10**15}"
    code, display = "11488-4", "Compte rendu de consultation"
    parts = [
        E.typeId(root="2.16.840.1.113883.1.3", extension="POCD_HD000040"),
        E.id(root=unique),
        E.code(code=code, codeSystem=LOINC, displayName=display),
        E.title(display),
        E.effectiveTime(value=stamp),
        E.confidentialityCode(code="N", codeSystem="2.16.840.1.113883.5.25"),
        E.languageCode(code="fr-FR"),
        E.recordTarget(
            E.patientRole(
                E.id(root=oid, extension=ins),
                E.patient(
                    E.name(E.given(first_names), E.family(birth_name, qualifier="BR")),
                    E.administrativeGenderCode(code=sex, codeSystem="2.16.840.1.113883.5.1"),
                    E.birthTime(value=birth_date.replace("-", "")),
                ),
            )
        ),
        E.author(
            E.time(value=stamp),
            E.assignedAuthor(
                E.id(root=IDNPS, extension=author_idnat),
                E.assignedPerson(E.name(E.given(author_given), E.family(author_family))),
            ),
        ),
        E.custodian(
            E.assignedCustodian(E.representedCustodianOrganization(E.id(root=IDNPS, extension=author_idnat)))
        ),
    ]
    if replaces:
        parts.append(E.relatedDocument(E.parentDocument(E.id(root=replaces)), typeCode="RPLC"))
    body = base64.b64encode(text.encode("utf-8")).decode()
    parts.append(E.component(E.nonXMLBody(E.text(body, mediaType="text/plain", representation="B64"))))
    xml = etree.tostring(E.ClinicalDocument(*parts), xml_declaration=True, encoding="UTF-8")
    return Document(xml, unique, code, display, now)
