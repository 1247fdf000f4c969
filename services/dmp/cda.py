"""Cross-checks between a CDA R2 document and its DocumentReference (DMP: the CDA is the truth).

Parsed with defusedxml (``forbid_dtd``: no DOCTYPE, hence no entity expansion and no external fetch),
so an XML bomb or an XXE attempt is refused before any element is read. Pure.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from .issues import Issues

V3 = "{urn:hl7-org:v3}"
INS_ROOTS = frozenset(
    {"1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"}
)
IDNPS_ROOT = "1.2.250.1.71.4.2.1"


def parse_cda(data: bytes) -> Element:
    """The ClinicalDocument root; ValueError with the reason when it is not a safe CDA R2 document."""
    try:
        root = fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ValueError(f"refused XML ({type(exc).__name__}): DTDs and entities are not accepted") from None
    except ParseError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None
    if root.tag != f"{V3}ClinicalDocument":
        raise ValueError(f"root element is {root.tag}, not a CDA R2 ClinicalDocument (urn:hl7-org:v3)")
    return root


def check_cda(data: bytes, *, base: str, ins: str, type_code: str, authors: list[str]) -> Issues:
    """Issues when the CDA's patient, type or author differ from the metadata (``base`` roots the paths)."""
    issues = Issues()
    try:
        root = parse_cda(data)
    except ValueError as exc:
        issues.add(f"{base}.content[0].attachment", f"the CDA document is refused: {exc}", "structure")
        return issues
    cda_ins = [
        element.get("extension", "")
        for element in root.iterfind(f"{V3}recordTarget/{V3}patientRole/{V3}id")
        if element.get("root") in INS_ROOTS
    ]
    if not cda_ins:
        issues.add(
            f"{base}.subject",
            "the CDA recordTarget carries no INS (patientRole/id with an INS OID)",
            "invalid",
        )
    elif ins not in cda_ins:
        issues.add(
            f"{base}.subject",
            f"the CDA recordTarget INS {cda_ins[0]} differs from the DocumentReference subject {ins}",
            "invalid",
        )
    code = root.find(f"{V3}code")
    cda_type = code.get("code", "") if code is not None else ""
    if cda_type != type_code:
        issues.add(
            f"{base}.type",
            f"the CDA code {cda_type or '(none)'} differs from the metadata type {type_code}",
            "invalid",
        )
    cda_authors = {
        element.get("extension", "")
        for element in root.iterfind(f"{V3}author/{V3}assignedAuthor/{V3}id")
        if element.get("root") == IDNPS_ROOT
    }
    if authors and cda_authors and not cda_authors & set(authors):
        issues.add(
            f"{base}.author",
            f"the CDA authors {sorted(cda_authors)} are not the metadata authors {sorted(authors)}",
            "invalid",
        )
    return issues
