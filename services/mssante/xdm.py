"""Checks of an ``IHE_XDM.zip`` attachment (spec B4): safe unpacking, layout, METADATA.XML.

The archive is hostile until proven otherwise: entry names that climb out of the archive (zip slip),
declared sizes over the bounds or compression ratios of a bomb are refused before anything is
inflated, and METADATA.XML is parsed by defusedxml with DTDs forbidden (no entity expansion, no
network). Pure functions over bytes.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from .findings import Finding, error, refuse_content, warning

RIM = "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}"
DOC_PATIENT_ID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
"""XDSDocumentEntry.patientId (IHE ITI TF-3 §4.2.3.2)."""
SUBMISSION_PATIENT_ID = "urn:uuid:6b5aea1a-874e-4e9f-a6b2-d1db3a0d1d6e"
"""XDSSubmissionSet.patientId."""
TYPE_CODE = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
"""XDSDocumentEntry.typeCode: the CDA header ``code`` that X-MSS-CODECDA repeats."""
INS_OIDS = {"1.2.250.1.213.1.4.8", "1.2.250.1.213.1.4.9", "1.2.250.1.213.1.4.10", "1.2.250.1.213.1.4.11"}
METADATA = re.compile(r"^IHE_XDM/(SUBSET\d{2}|SS\d{6})/METADATA\.XML$", re.IGNORECASE)
ISO9660 = re.compile(r"^[A-Z0-9_]{1,8}(\.[A-Z0-9_]{1,3})?$")
CHUNK = 64 * 1024


@dataclass(frozen=True)
class ZipLimits:
    max_total: int
    max_ratio: int
    max_entries: int


@dataclass(frozen=True)
class PatientId:
    value: str
    oid: str

    @property
    def is_ins(self) -> bool:
        return self.oid in INS_OIDS


@dataclass
class XdmReport:
    findings: list[Finding] = field(default_factory=list)
    patients: set[PatientId] = field(default_factory=set)
    type_codes: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)


def _check_names(infos: list[zipfile.ZipInfo], limits: ZipLimits) -> None:
    if len(infos) > limits.max_entries:
        raise refuse_content(f"IHE_XDM.zip holds {len(infos)} entries (limit {limits.max_entries})")
    total = 0
    for info in infos:
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or re.match(r"^[A-Za-z]:", name) or "\\" in name:
            raise refuse_content(f"zip slip: entry {name!r} escapes the archive")
        total += info.file_size
        if total > limits.max_total:
            raise refuse_content(f"zip bomb: IHE_XDM.zip inflates past {limits.max_total} bytes")
        if info.file_size > CHUNK and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise refuse_content(
                f"zip bomb: entry {name!r} compresses {info.file_size}:{info.compress_size} "
                f"(ratio limit {limits.max_ratio})"
            )


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The entry's bytes, never more than its declared size (the declared size was bounded first)."""
    out = io.BytesIO()
    with archive.open(info) as stream:
        while chunk := stream.read(CHUNK):
            out.write(chunk)
            if out.tell() > info.file_size:
                raise refuse_content(f"entry {info.filename!r} inflates past its declared size")
    return out.getvalue()


def _parse_cx(value: str) -> PatientId:
    """``<id>^^^&<oid>&ISO^NH`` (HL7 CX as carried in XDS metadata)."""
    ident, _, rest = value.partition("^^^")
    authority = rest.split("^", 1)[0]
    oid = authority.split("&")[1] if authority.count("&") >= 2 else ""
    return PatientId(ident.strip(), oid.strip())


def _slot(element: Element, name: str) -> list[str]:
    return [
        (value.text or "").strip()
        for slot in element.iter(f"{RIM}Slot")
        if slot.get("name") == name
        for value in slot.iter(f"{RIM}Value")
    ]


def _metadata(
    report: XdmReport, folder: str, xml: bytes, names: dict[str, zipfile.ZipInfo], archive: zipfile.ZipFile
) -> None:
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise refuse_content(f"XML bomb refused in {folder}METADATA.XML ({type(exc).__name__})") from exc
    except SafeET.ParseError as exc:
        report.findings.append(error("xdm.metadata.unreadable", f"{folder}METADATA.XML is not XML: {exc}"))
        return
    if not root.tag.endswith("SubmitObjectsRequest"):
        report.findings.append(
            error("xdm.metadata.root", f"{folder}METADATA.XML root is {root.tag}, not SubmitObjectsRequest")
        )
    for identifier in root.iter(f"{RIM}ExternalIdentifier"):
        if identifier.get("identificationScheme") in (DOC_PATIENT_ID, SUBMISSION_PATIENT_ID):
            report.patients.add(_parse_cx(identifier.get("value", "")))
    entries = list(root.iter(f"{RIM}ExtrinsicObject"))
    if not entries:
        report.findings.append(error("xdm.metadata.no-document", f"{folder}METADATA.XML lists no document"))
    for entry in entries:
        for classification in entry.iter(f"{RIM}Classification"):
            if classification.get("classificationScheme") == TYPE_CODE:
                report.type_codes.append(classification.get("nodeRepresentation", ""))
        for uri in _slot(entry, "URI") or [""]:
            _document(report, folder, uri, entry, names, archive)


def _document(
    report: XdmReport,
    folder: str,
    uri: str,
    entry: Element,
    names: dict[str, zipfile.ZipInfo],
    archive: zipfile.ZipFile,
) -> None:
    if not uri:
        report.findings.append(error("xdm.document.no-uri", f"a document of {folder} has no URI slot"))
        return
    info = names.get((folder + uri).upper())
    if info is None:
        report.findings.append(
            error("xdm.document.missing", f"{folder}{uri} is named in METADATA.XML but absent")
        )
        return
    report.documents.append(info.filename)
    if not ISO9660.match(uri):
        report.findings.append(
            warning("xdm.document.name", f"{uri} is not an ISO 9660 level 1 name (8.3, A-Z0-9_)")
        )
    content = _read(archive, info)
    hashes, sizes = _slot(entry, "hash"), _slot(entry, "size")
    if hashes and hashes[0].lower() != hashlib.sha1(content).hexdigest():
        report.findings.append(error("xdm.document.hash", f"{uri}: SHA-1 differs from METADATA.XML hash"))
    if sizes and sizes[0] != str(len(content)):
        report.findings.append(
            error("xdm.document.size", f"{uri}: {len(content)} bytes, METADATA.XML says {sizes[0]}")
        )


def check_xdm(data: bytes, limits: ZipLimits) -> XdmReport:
    """Findings about one IHE_XDM.zip; raises :class:`Refusal` for hostile archives."""
    report = XdmReport()
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, NotImplementedError, EOFError, OSError) as exc:
        report.findings.append(error("xdm.not-zip", f"IHE_XDM.zip is not a readable zip archive: {exc}"))
        return report
    _check_names(infos, limits)
    names = {info.filename.upper(): info for info in infos if not info.is_dir()}
    for required in ("README.TXT", "INDEX.HTM"):
        if required not in names:
            report.findings.append(error("xdm.layout.missing", f"IHE_XDM.zip has no {required} at its root"))
    metadata = [info for key, info in names.items() if METADATA.match(key)]
    if not metadata:
        report.findings.append(
            error("xdm.layout.no-metadata", "IHE_XDM.zip has no IHE_XDM/SUBSETnn/METADATA.XML")
        )
    try:
        for info in metadata:
            folder = info.filename[: -len("METADATA.XML")].upper()
            _metadata(report, folder, _read(archive, info), names, archive)
    except (
        zipfile.BadZipFile,
        NotImplementedError,
        EOFError,
        OSError,
        zlib.error,
        ValueError,  # a corrupted offset seeks before the file start; also UnicodeDecodeError
    ) as exc:
        report.findings.append(error("xdm.corrupt", f"IHE_XDM.zip entry unreadable: {exc}"))
    return report
