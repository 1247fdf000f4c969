"""Read a submitted message the way a receiving LPS will: MIME, UTF-8 headers, X-MSS-*, IHE_XDM.

Unreadable input is refused (:class:`Refusal`): a header section that is not UTF-8 (SC.MSS/CONF.19,
RFC 6532), MIME whose structure is broken, a From header missing, a damaged XDM archive encoding.
Everything else becomes findings stored with the message (spec B4, SC.MSS/CONF.14-16).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email import errors, policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser

from services.kernel.identifiers import is_valid_ins

from .findings import Finding, error, refuse_content, warning
from .xdm import PatientId, ZipLimits, check_xdm

XDM_FILENAME = "IHE_XDM.ZIP"
SUBJECT_PREFIX = "XDM/1.0/DDM+"
FATAL_DEFECTS = (
    errors.NoBoundaryInMultipartDefect,
    errors.StartBoundaryNotFoundDefect,
    errors.CloseBoundaryNotFoundDefect,
    errors.MultipartInvariantViolationDefect,
    errors.MissingHeaderBodySeparatorDefect,
    errors.InvalidMultipartContentTransferEncodingDefect,
)
BASE64_DEFECTS = (
    errors.InvalidBase64PaddingDefect,
    errors.InvalidBase64CharactersDefect,
    errors.InvalidBase64LengthDefect,
)
MSS_HEADERS = ("X-MSS-NIL", "X-MSS-INS", "X-MSS-CODECDA")
HEADER_END = re.compile(rb"\r?\n\r?\n")


@dataclass
class Inspection:
    """What delivery needs to know of a message; plain data, so it crosses process boundaries."""

    subject: str
    sender: str
    message_id: str
    kind: str
    has_date: bool = False
    disposition_to: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    patients: set[PatientId] = field(default_factory=set)
    has_xdm: bool = False

    @property
    def patient_ins(self) -> str | None:
        """The one INS the message is about, when its XDM names exactly one."""
        ins = {p.value for p in self.patients if p.is_ins}
        return next(iter(ins)) if len(ins) == 1 else None

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]


def _header_section(raw: bytes) -> bytes:
    match = HEADER_END.search(raw)
    return raw[: match.start()] if match else raw


def _text(message: Message, name: str) -> str:
    """A header decoded from RFC 2047 encoded-words (UTF-8 raw headers are already text)."""
    value = message.get(name)
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value)))).strip()
    except (errors.HeaderParseError, UnicodeError, LookupError, ValueError) as exc:
        raise refuse_content(f"unreadable {name} header ({exc})") from exc


def parse(raw: bytes) -> Message:
    """The parsed message; refuses invalid UTF-8 headers and broken MIME structure."""
    try:
        _header_section(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refuse_content(f"header section is not valid UTF-8 (byte {exc.start})") from exc
    message = BytesParser(policy=policy.compat32).parsebytes(raw)
    for part in message.walk():
        fatal = [d for d in part.defects if isinstance(d, FATAL_DEFECTS)]
        if fatal:
            raise refuse_content(f"malformed MIME: {type(fatal[0]).__name__}")
    if len(message.get_all("From") or []) != 1:
        raise refuse_content("exactly one From header is required (RFC 5322 §3.6)")
    return message


def _kind(message: Message) -> str:
    if message.get_content_type() == "multipart/report":
        report = message.get_param("report-type", "")
        if report == "disposition-notification":
            return "mdn"
        if report == "delivery-status":
            return "dsn"
    return "message"


def _xdm_parts(message: Message) -> list[Message]:
    return [
        part
        for part in message.walk()
        if not part.is_multipart() and (part.get_filename() or "").upper() == XDM_FILENAME
    ]


def _payload(part: Message) -> bytes:
    data = part.get_payload(decode=True)
    if any(isinstance(d, BASE64_DEFECTS) for d in part.defects):
        raise refuse_content("IHE_XDM.zip is not valid base64")
    return data if isinstance(data, bytes) else b""


def _check_headers(found: Inspection, codes: list[str]) -> None:
    headers, findings = found.headers, found.findings
    if not headers["X-MSS-NIL"]:
        findings.append(error("mss.header.nil", "X-MSS-NIL is required on every message", "SC.MSS/CONF.16"))
    ins_flag, code_header = headers["X-MSS-INS"], headers["X-MSS-CODECDA"]
    if not found.has_xdm:
        if code_header:
            findings.append(
                warning("mss.header.codecda-without-xdm", "X-MSS-CODECDA set without IHE_XDM.zip")
            )
        return
    if ins_flag not in ("O", "N"):
        findings.append(
            error(
                "mss.header.ins",
                f"X-MSS-INS must be O or N with an IHE_XDM.zip (got {ins_flag!r})",
                "SC.MSS/CONF.14",
            )
        )
    declared = sorted(c.strip() for c in code_header.split(",") if c.strip())
    if not declared:
        findings.append(
            error("mss.header.codecda", "X-MSS-CODECDA is required with an IHE_XDM.zip", "SC.MSS/CONF.15")
        )
    elif codes and declared != sorted(set(codes)):
        findings.append(
            error(
                "mss.header.codecda-mismatch",
                f"X-MSS-CODECDA {declared} differs from the XDM typeCodes {sorted(set(codes))}",
                "SC.MSS/CONF.15",
            )
        )
    ins = [p for p in found.patients if p.is_ins]
    if ins_flag == "O" and not ins:
        findings.append(
            error("xdm.ins.absent", "X-MSS-INS: O but METADATA.XML carries no INS", "SC.MSS/CONF.14", "903")
        )
    if ins_flag == "N" and ins:
        findings.append(
            warning("xdm.ins.undeclared", "METADATA.XML carries an INS but X-MSS-INS is N", "SC.MSS/CONF.14")
        )
    for patient in ins:
        if not is_valid_ins(patient.value):
            findings.append(
                error("xdm.ins.invalid", f"INS {patient.value!r} has a wrong key or shape", "", "905")
            )
    if len({p.value for p in found.patients}) > 1:
        findings.append(
            error("xdm.patients.several", "one patient per message (ECO.2.1.1): METADATA.XML names several")
        )
    if not found.subject.startswith(SUBJECT_PREFIX):
        findings.append(
            warning(
                "mss.subject.prefix", f"a message with IHE_XDM.zip has a subject starting {SUBJECT_PREFIX}"
            )
        )


def inspect(raw: bytes, limits: ZipLimits) -> Inspection:
    """Parse and check a message; raises :class:`Refusal` when it must not be accepted at all."""
    message = parse(raw)
    found = Inspection(
        subject=_text(message, "Subject"),
        sender=_text(message, "From"),
        message_id=_text(message, "Message-ID"),
        kind=_kind(message),
        has_date=message.get("Date") is not None,
        disposition_to=_text(message, "Disposition-Notification-To"),
        headers={name: _text(message, name) for name in MSS_HEADERS},
    )
    codes: list[str] = []
    for part in _xdm_parts(message):
        found.has_xdm = True
        report = check_xdm(_payload(part), limits)
        found.findings.extend(report.findings)
        found.patients |= report.patients
        codes.extend(report.type_codes)
    if found.kind == "message":
        _check_headers(found, codes)
    return found
