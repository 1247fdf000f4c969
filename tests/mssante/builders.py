"""Build what a vendor's LPS sends: an IHE_XDM.zip (spec B4) and the message that carries it."""

from __future__ import annotations

import hashlib
import io
import zipfile
from email.message import EmailMessage
from email.utils import make_msgid

INS_OID = "1.2.250.1.213.1.4.8"
RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
CDA = b"""<?xml version="1.0" encoding="UTF-8"?>
<ClinicalDocument xmlns="urn:hl7-org:v3"><code code="11488-4" codeSystem="2.16.840.1.113883.6.1"
 displayName="Compte rendu de consultation"/><title>CR de consultation</title></ClinicalDocument>
"""


def metadata(patient: str, oid: str, documents: dict[str, bytes], type_code: str = "11488-4") -> bytes:
    """An ebRIM SubmitObjectsRequest naming ``documents`` for one patient."""
    cx = f"{patient}^^^&amp;{oid}&amp;ISO^NH"
    entries = "".join(
        f"""<rim:ExtrinsicObject id="doc{n}" mimeType="text/xml" objectType="urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1">
  <rim:Slot name="URI"><rim:ValueList><rim:Value>{name}</rim:Value></rim:ValueList></rim:Slot>
  <rim:Slot name="hash"><rim:ValueList><rim:Value>{hashlib.sha1(content).hexdigest()}</rim:Value></rim:ValueList></rim:Slot>
  <rim:Slot name="size"><rim:ValueList><rim:Value>{len(content)}</rim:Value></rim:ValueList></rim:Slot>
  <rim:Slot name="sourcePatientId"><rim:ValueList><rim:Value>{cx}</rim:Value></rim:ValueList></rim:Slot>
  <rim:Classification classificationScheme="urn:uuid:f0306f51-975f-434e-a61c-c59651d33983" classifiedObject="doc{n}" nodeRepresentation="{type_code}"/>
  <rim:ExternalIdentifier identificationScheme="urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427" value="{cx}" registryObject="doc{n}"/>
</rim:ExtrinsicObject>"""
        for n, (name, content) in enumerate(documents.items())
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" xmlns:rim="{RIM}">
<rim:RegistryObjectList>{entries}
<rim:RegistryPackage id="ss">
  <rim:ExternalIdentifier identificationScheme="urn:uuid:6b5aea1a-874e-4e9f-a6b2-d1db3a0d1d6e" value="{cx}" registryObject="ss"/>
</rim:RegistryPackage>
</rim:RegistryObjectList></lcm:SubmitObjectsRequest>
""".encode()


def xdm_zip(
    patient: str,
    *,
    oid: str = INS_OID,
    documents: dict[str, bytes] | None = None,
    type_code: str = "11488-4",
    skip: tuple[str, ...] = (),
    extra: dict[str, bytes] | None = None,
    metadata_xml: bytes | None = None,
) -> bytes:
    """A well-formed IHE_XDM.zip; ``skip`` leaves entries out, ``extra`` adds raw entries."""
    documents = documents or {"DOC0001.XML": CDA}
    files = {
        "README.TXT": b"Emetteur: socle tests\r\nLogiciel: tests 1.0\r\n",
        "INDEX.HTM": b"<html><body><a href='README.TXT'>README</a></body></html>",
        "IHE_XDM/SUBSET01/METADATA.XML": metadata_xml or metadata(patient, oid, documents, type_code),
        **{f"IHE_XDM/SUBSET01/{name}": content for name, content in documents.items()},
        **(extra or {}),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            if name not in skip:
                archive.writestr(name, content)
    return out.getvalue()


def message(
    sender: str,
    to: list[str],
    subject: str,
    *,
    text: str = "Bonjour,\nci-joint le compte rendu.\n",
    xdm: bytes | None = None,
    headers: dict[str, str] | None = None,
    nil: bool = True,
) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Subject"] = subject
    mail["Message-ID"] = make_msgid(domain="tests.socle")
    if nil:
        mail["X-MSS-NIL"] = "SOCLE-TESTS-1.0"
    for name, value in (headers or {}).items():
        mail[name] = value
    mail.set_content(text)
    if xdm is not None:
        mail.add_attachment(xdm, maintype="application", subtype="zip", filename="IHE_XDM.zip")
    return mail


def xdm_message(
    sender: str,
    to: list[str],
    patient: str,
    tag: str,
    *,
    ins_flag: str = "O",
    code: str = "11488-4",
    **xdm_options: object,
) -> EmailMessage:
    """A document message the way the Ségur rules want it (subject prefix, X-MSS-INS, X-MSS-CODECDA)."""
    return message(
        sender,
        to,
        f"XDM/1.0/DDM+Compte rendu de consultation {tag}",
        xdm=xdm_zip(patient, **xdm_options),  # type: ignore[arg-type]
        headers={"X-MSS-INS": ins_flag, "X-MSS-CODECDA": code},
    )
