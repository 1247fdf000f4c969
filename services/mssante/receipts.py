"""Reports the operator writes: delivery status notifications (RFC 3464) and MDNs (RFC 8098).

A DSN goes back to the sender when a recipient accepted during the transaction cannot take the
message after all (quota, wrong patient). An MDN answers ``Disposition-Notification-To``: the
``processed`` receipt of an integrating box, or ``processed/error`` with the MDM integration error
(spec B5). The spec writes the error inside ``Disposition`` (``processed/Error: 902^…``); RFC 8098
§3.2.6 only allows an atom there, so the modifier is ``error`` and the code goes in the ``Error``
field, which is where RFC 8098 readers look for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid

KO_PREFIX = "[KO Intégration système !]"


@dataclass(frozen=True)
class Failure:
    recipient: str
    status: str
    """RFC 3463 enhanced status, e.g. ``5.2.2``."""
    diagnostic: str


def _fields(**values: str) -> Message:
    block = Message()
    for name, value in values.items():
        block[name.replace("_", "-")] = value
    return block


def _report(report_type: str, sender: str, to: str, subject: str, domain: str) -> EmailMessage:
    report = EmailMessage(policy=policy.SMTP)
    report["From"] = sender
    report["To"] = to
    report["Subject"] = subject
    report["Date"] = format_datetime(datetime.now(UTC))
    report["Message-ID"] = make_msgid(domain=domain)
    report["Auto-Submitted"] = "auto-replied"
    report.set_type("multipart/report")
    report.set_param("report-type", report_type)
    return report


def _text(body: str) -> EmailMessage:
    part = EmailMessage(policy=policy.SMTP)
    part.set_content(body, charset="utf-8")
    return part


def dsn(
    *,
    domain: str,
    to: str,
    subject: str,
    original_raw: bytes,
    failures: list[Failure],
    arrival: datetime,
) -> bytes:
    """A ``multipart/report; report-type=delivery-status`` for the recipients that failed."""
    report = _report("delivery-status", f"MAILER-DAEMON@{domain}", to, f"Échec de remise : {subject}", domain)
    human = "\n".join(f"<{f.recipient}>: {f.diagnostic}" for f in failures)
    report.attach(_text(f"Votre message n'a pas pu être remis aux destinataires suivants :\n\n{human}\n"))
    status = EmailMessage(policy=policy.SMTP)
    status.set_type("message/delivery-status")
    blocks = [_fields(Reporting_MTA=f"dns; {domain}", Arrival_Date=format_datetime(arrival))]
    blocks += [
        _fields(
            Final_Recipient=f"rfc822; {f.recipient}",
            Action="failed",
            Status=f.status,
            Diagnostic_Code=f"smtp; {f.diagnostic}",
        )
        for f in failures
    ]
    status.set_payload(blocks)
    report.attach(status)
    headers = EmailMessage(policy=policy.SMTP)
    headers.set_type("text/rfc822-headers")
    headers.set_payload(original_raw.split(b"\r\n\r\n", 1)[0].decode("ascii", "surrogateescape") + "\r\n")
    report.attach(headers)
    return report.as_bytes()


def mdn(
    *,
    domain: str,
    reporter: str,
    to: str,
    subject: str,
    message_id: str,
    original_raw: bytes,
    disposition: str = "processed",
    automatic: bool = True,
    error_code: str = "",
    error_label: str = "",
) -> bytes:
    """A ``multipart/report; report-type=disposition-notification`` from ``reporter`` to ``to``."""
    if error_code:
        subject = f"{KO_PREFIX}[{error_code}] {subject}"
    report = _report("disposition-notification", reporter, to, subject, domain)
    if error_code:
        text = f"Le message n'a pas pu être intégré : erreur {error_code} {error_label}.\n"
    else:
        text = f"Le message a été {'traité' if disposition == 'processed' else 'affiché'} par {reporter}.\n"
    report.attach(_text(text))
    mode = "automatic-action/MDN-sent-automatically" if automatic else "manual-action/MDN-sent-manually"
    lines = [
        f"Reporting-UA: {domain}; socle",
        f"Original-Recipient: rfc822;{reporter}",
        f"Final-Recipient: rfc822;{reporter}",
    ]
    if message_id:
        lines.append(f"Original-Message-ID: {message_id}")
    lines.append(f"Disposition: {mode}; {disposition}{'/error' if error_code else ''}")
    if error_code:
        lines.append(f"Error: {error_code}^{error_label}^messageErrorCondition")
    notification = EmailMessage(policy=policy.SMTP)
    notification.set_type("message/disposition-notification")
    notification.set_payload("\r\n".join(lines) + "\r\n")
    report.attach(notification)
    enclosed = EmailMessage(policy=policy.SMTP)
    enclosed.set_type("message/rfc822")
    enclosed.set_payload([BytesParser(policy=policy.SMTP).parsebytes(original_raw)])
    report.attach(enclosed)
    return report.as_bytes()
