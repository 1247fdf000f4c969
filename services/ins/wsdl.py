"""The WSDL and schemas the façade serves: the CNAM INSi WSDL v1.5.0 and its XSDs, unchanged except for
the addresses (``soap12:address`` points at this façade, every ``schemaLocation`` at ``?xsd=<file>``),
so a client generated from either the real WSDL or this one sends the same messages.

``ws-addr.xsd`` is served from a local copy: the original points at www.w3.org (see data/insi/SOURCE.md).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from urllib.parse import quote

from lxml import etree

WSDL_FILE = "DESIR_ICIR_EXP_1.5.0.wsdl"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
SOAP12_WSDL_NS = "http://schemas.xmlsoap.org/wsdl/soap12/"


def _data(*parts: str) -> bytes:
    return resources.files("services.ins").joinpath("data", "insi", *parts).read_bytes()


@cache
def schema_names() -> frozenset[str]:
    folder = resources.files("services.ins").joinpath("data", "insi", "xsd")
    return frozenset(entry.name for entry in folder.iterdir() if entry.name.endswith(".xsd"))


def _relocate(document: bytes, endpoint: str) -> bytes:
    """``document`` (a trusted packaged file) with every schemaLocation pointing at ``endpoint?xsd=``."""
    root = etree.fromstring(document, etree.XMLParser(resolve_entities=False, no_network=True))
    for element in root.iter(f"{{{XSD_NS}}}import", f"{{{XSD_NS}}}include"):
        location = element.get("schemaLocation")
        if location:
            name = location.rsplit("/", 1)[-1]
            element.set("schemaLocation", f"{endpoint}?xsd={quote(name)}")
    for address in root.iter(f"{{{SOAP12_WSDL_NS}}}address"):
        address.set("location", endpoint)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@cache
def wsdl(endpoint: str) -> bytes:
    return _relocate(_data(WSDL_FILE), endpoint)


@cache
def schema(name: str, endpoint: str) -> bytes | None:
    """A served XSD by file name, or None for a name the façade does not hold."""
    if name not in schema_names():
        return None
    return _relocate(_data("xsd", name), endpoint)
