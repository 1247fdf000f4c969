"""SOAP 1.2 envelopes of the INSi façade: hardened parsing, the header contexts, faults.

Parsing never resolves entities, never reads the network, refuses a DTD outright (so XXE and entity
expansion bombs get a fault, not an expansion) and caps the size and depth of the tree. Faults are the
real service's shape: ``Code/Value`` + ``Subcode/Value`` in the envelope namespace, a French
``Reason`` and a ``siram:Erreur`` detail carrying the code, the request's ``MessageID`` and a severity
(annex A4; codes in ``data/insi-faults.json``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree

SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
CTXLPS = "urn:siram:lps:ctxlps"
CTXBAM = "urn:siram:bam:ctxbam"
SIRAM = "urn:siram"
SOAP_CONTENT_TYPE = "application/soap+xml; charset=utf-8"
MAX_ENVELOPE_BYTES = 256 * 1024
"""An INSi request is about 2 KB; anything near this is not one."""

_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_pis=True,
)


@cache
def fault_catalogue() -> dict[str, dict[str, Any]]:
    text = resources.files("services.ins").joinpath("data", "insi-faults.json").read_text("utf-8")
    return json.loads(text)["faults"]  # type: ignore[no-any-return]


class SoapFault(Exception):
    """A fault of kind ``kind`` (a key of ``insi-faults.json``); ``detail`` adds what was wrong."""

    def __init__(self, kind: str, detail: str = "", message_id: str | None = None) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.message_id = message_id


@dataclass(frozen=True)
class Envelope:
    header: etree._Element | None
    body: etree._Element
    message_id: str | None


def q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def parse_envelope(data: bytes) -> Envelope:
    """The envelope of a SOAP 1.2 request, or a fault for anything else (bad XML, DTD, SOAP 1.1)."""
    if len(data) > MAX_ENVELOPE_BYTES:
        raise SoapFault("bad_message", f"message larger than {MAX_ENVELOPE_BYTES} bytes")
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise SoapFault("bad_message", f"XML mal formé : {exc.msg}") from None
    if root.getroottree().docinfo.doctype:
        raise SoapFault("bad_message", "DTD interdite (entités externes ou récursives refusées)")
    if root.tag == q(SOAP11, "Envelope"):
        raise SoapFault("version_mismatch", "enveloppe SOAP 1.1 reçue")
    if root.tag != q(SOAP12, "Envelope"):
        raise SoapFault("version_mismatch", f"élément racine inattendu {root.tag}")
    header = root.find(q(SOAP12, "Header"))
    body = root.find(q(SOAP12, "Body"))
    message_id = _text(header, q(WSA, "MessageID")) if header is not None else None
    if body is None:
        raise SoapFault("bad_message", "Body absent", message_id)
    payload = [child for child in body if isinstance(child.tag, str)]
    if len(payload) != 1:
        raise SoapFault("bad_message", "le Body doit contenir un seul élément", message_id)
    return Envelope(header, payload[0], message_id)


def _text(parent: etree._Element | None, path: str) -> str | None:
    if parent is None:
        return None
    found = parent.find(path)
    if found is None or found.text is None:
        return None
    return str(found.text).strip() or None


def text_of(parent: etree._Element, namespace: str, *names: str) -> str | None:
    """The stripped text at ``names`` (a child path in one namespace) under ``parent``."""
    return _text(parent, "/".join(q(namespace, name) for name in names))


def texts_of(parent: etree._Element, namespace: str, name: str) -> list[str]:
    return [str(e.text).strip() for e in parent.findall(q(namespace, name)) if e.text and e.text.strip()]


@dataclass(frozen=True)
class Context:
    message_id: str
    idam: str
    emitter: str | None
    action: str | None


def read_context(envelope: Envelope) -> Context:
    """The required header blocks: ContexteLPS (with LPS/IDAM), ContexteBAM and wsa:MessageID."""
    header, message_id = envelope.header, envelope.message_id
    if header is None:
        raise SoapFault("bad_context", "en-tête SOAP absent", message_id)
    lps = header.find(q(CTXLPS, "ContexteLPS"))
    if lps is None:
        raise SoapFault("bad_context", "ContexteLPS absent", message_id)
    for name in ("Id", "Temps"):
        if not text_of(lps, CTXLPS, name):
            raise SoapFault("bad_context", f"ContexteLPS/{name} absent", message_id)
    if not lps.get("Version"):
        raise SoapFault("bad_context", "ContexteLPS/@Version absent", message_id)
    idam = text_of(lps, CTXLPS, "LPS", "IDAM")
    if not idam:
        raise SoapFault("bad_context", "ContexteLPS/LPS/IDAM absent", message_id)
    bam = header.find(q(CTXBAM, "ContexteBAM"))
    if bam is None:
        raise SoapFault("bad_context", "ContexteBAM absent", message_id)
    if not bam.get("Version") or not text_of(bam, CTXBAM, "Id") or not text_of(bam, CTXBAM, "Temps"):
        raise SoapFault("bad_context", "ContexteBAM incomplet (Version, Id, Temps)", message_id)
    if not message_id:
        raise SoapFault("bad_context", "wsa:MessageID absent")
    return Context(message_id, idam, text_of(lps, CTXLPS, "Emetteur"), _text(header, q(WSA, "Action")))


def envelope_bytes(body: etree._Element) -> bytes:
    envelope = etree.Element(q(SOAP12, "Envelope"), nsmap={"S": SOAP12})
    etree.SubElement(envelope, q(SOAP12, "Body")).append(body)
    return bytes(etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"))


def fault_bytes(fault: SoapFault) -> bytes:
    """The SOAP 1.2 Fault of the real service for ``fault``."""
    spec = fault_catalogue()[fault.kind]
    element = etree.Element(q(SOAP12, "Fault"), nsmap={"S": SOAP12})
    code = etree.SubElement(element, q(SOAP12, "Code"))
    etree.SubElement(code, q(SOAP12, "Value")).text = f"S:{spec['code']}"
    if spec["subcode"]:
        subcode = etree.SubElement(code, q(SOAP12, "Subcode"))
        etree.SubElement(subcode, q(SOAP12, "Value")).text = f"S:{spec['subcode']}"
    reason = etree.SubElement(element, q(SOAP12, "Reason"))
    text = etree.SubElement(reason, q(SOAP12, "Text"))
    text.set("{http://www.w3.org/XML/1998/namespace}lang", "fr")
    text.text = spec["reason"]
    detail = etree.SubElement(element, q(SOAP12, "Detail"))
    erreur = etree.SubElement(detail, q(SIRAM, "Erreur"), nsmap={"siram": SIRAM})
    erreur.set("code", spec["erreur"])
    if fault.message_id:
        erreur.set("messageID", fault.message_id)
    erreur.set("severite", spec["severite"])
    erreur.text = spec["text"] + (f" {fault.detail}" if fault.detail else "")
    return envelope_bytes(element)
