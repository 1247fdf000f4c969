"""IHE_XDM.zip for one CDA document (IHE ITI-32 XDM, as French LPS build it — spec B4).

Root ``README.TXT`` and ``INDEX.HTM``; ``IHE_XDM/SUBSET01/METADATA.XML`` (ebRIM 3.0
SubmitObjectsRequest) naming the document with its SHA-1, size, type code and the patient's INS as
``patientId``; the document itself under an ISO 9660 level 1 name.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

from lxml import etree
from lxml.builder import ElementMaker

from .cda import Document

LCM = "urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0"
RIM = "urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"
DOC_ENTRY = "urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1"
DOC_PATIENT_ID = "urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427"
DOC_UNIQUE_ID = "urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab"
TYPE_CODE = "urn:uuid:f0306f51-975f-434e-a61c-c59651d33983"
SET_PATIENT_ID = "urn:uuid:6b5aea1a-874e-4e9f-a6b2-d1db3a0d1d6e"
SET_CLASSIFICATION = "urn:uuid:a54d6aa5-d40d-43f9-88c5-b4633d873bdd"
FOLDER = "IHE_XDM/SUBSET01/"
DOCUMENT = "DOC0001.XML"
L = ElementMaker(namespace=LCM, nsmap={"lcm": LCM, "rim": RIM})
R = ElementMaker(namespace=RIM, nsmap={"rim": RIM})


def _slot(name: str, *values: str) -> etree._Element:
    return R.Slot(R.ValueList(*[R.Value(v) for v in values]), name=name)


def metadata(document: Document, *, ins: str, oid: str, author: str) -> bytes:
    patient_id = f"{ins}^^^&{oid}&ISO^NH"
    when = document.created.strftime("%Y%m%d%H%M%S")
    entry = R.ExtrinsicObject(
        _slot("creationTime", when),
        _slot("languageCode", "fr-FR"),
        _slot("hash", hashlib.sha1(document.xml).hexdigest()),
        _slot("size", str(len(document.xml))),
        _slot("URI", DOCUMENT),
        _slot("sourcePatientId", patient_id),
        R.Classification(
            _slot("codingScheme", "2.16.840.1.113883.6.1"),
            R.Name(R.LocalizedString(value=document.type_display)),
            classificationScheme=TYPE_CODE,
            classifiedObject="Document01",
            nodeRepresentation=document.type_code,
            id="cl-type",
        ),
        R.ExternalIdentifier(
            R.Name(R.LocalizedString(value="XDSDocumentEntry.patientId")),
            identificationScheme=DOC_PATIENT_ID,
            registryObject="Document01",
            value=patient_id,
            id="ei-patient",
        ),
        R.ExternalIdentifier(
            R.Name(R.LocalizedString(value="XDSDocumentEntry.uniqueId")),
            identificationScheme=DOC_UNIQUE_ID,
            registryObject="Document01",
            value=document.unique_id,
            id="ei-unique",
        ),
        id="Document01",
        mimeType="text/xml",
        objectType=DOC_ENTRY,
    )
    package = R.RegistryPackage(
        _slot("submissionTime", when),
        _slot("authorPerson", f"{author}^^^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^^IDNPS"),
        R.ExternalIdentifier(
            R.Name(R.LocalizedString(value="XDSSubmissionSet.patientId")),
            identificationScheme=SET_PATIENT_ID,
            registryObject="SubmissionSet01",
            value=patient_id,
            id="ei-set-patient",
        ),
        id="SubmissionSet01",
    )
    classification = R.Classification(
        classificationNode=SET_CLASSIFICATION, classifiedObject="SubmissionSet01", id="cl-set"
    )
    request = L.SubmitObjectsRequest(R.RegistryObjectList(entry, package, classification))
    return etree.tostring(request, xml_declaration=True, encoding="UTF-8")


def archive(
    document: Document, *, ins: str, oid: str, author: str, sender: str, layout: bool = True
) -> bytes:
    """The zip; ``layout=False`` (a mutant) leaves README.TXT and INDEX.HTM out."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        if layout:
            zf.writestr("README.TXT", f"Envoi MSSante de {sender}\r\nLogiciel: socle reference LPS 1.0\r\n")
            zf.writestr(
                "INDEX.HTM",
                f'<html><body><p>Envoi de {sender}</p><a href="README.TXT">README.TXT</a></body></html>',
            )
        zf.writestr(FOLDER + "METADATA.XML", metadata(document, ins=ins, oid=oid, author=author))
        zf.writestr(FOLDER + DOCUMENT, document.xml)
    return buffer.getvalue()
