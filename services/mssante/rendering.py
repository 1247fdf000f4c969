"""Messages as the mailbox API shows them: summaries, headers, text, attachments; and composing one.

Pure functions over stored rows and raw bytes.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from typing import Any

from .models import Mailbox, Message


def mailbox_json(box: Mailbox) -> dict[str, Any]:
    return {
        "address": box.address,
        "kind": box.kind,
        "owner": box.owner,
        "members": box.members,
        "display_name": box.display_name,
        "uid_validity": box.uid_validity,
        "uid_next": box.uid_next,
        "used_bytes": box.used_bytes,
    }


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def summary(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "mailbox": message.mailbox,
        "uid": message.uid,
        "message_id": message.message_id,
        "from": message.sender,
        "envelope_from": message.envelope_from,
        "recipients": message.recipients,
        "subject": message.subject,
        "patient_ins": message.patient_ins,
        "kind": message.kind,
        "received_at": _utc(message.received_at).isoformat(),
        "size": message.size,
        "flags": message.flags,
        "seen": "\\Seen" in message.flags,
        "conformant": message.conformant,
        "findings": message.findings,
    }


def parse(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def attachments(raw: bytes) -> list[EmailMessage]:
    return [part for part in parse(raw).walk() if not part.is_multipart() and part.get_filename()]


def _text_body(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        return str(body.get_content())
    except (LookupError, UnicodeError, ValueError):
        return ""


def detail(message: Message) -> dict[str, Any]:
    parsed = parse(message.raw)
    headers = [[name, str(value)] for name, value in parsed.items()]
    files = [
        {
            "index": index,
            "filename": part.get_filename(),
            "content_type": part.get_content_type(),
            "size": len(part.get_payload(decode=True) or b""),
        }
        for index, part in enumerate(attachments(message.raw))
    ]
    return summary(message) | {"headers": headers, "text": _text_body(parsed), "attachments": files}


class ComposeError(ValueError):
    """A send request that does not make a message."""


def compose(
    *,
    sender: str,
    to: list[str],
    subject: str,
    text: str,
    headers: dict[str, str],
    files: list[dict[str, str]],
    domain: str,
) -> bytes:
    """An RFC 5322 message in UTF-8 (SC.MSS/CONF.19) from the API's send request."""
    try:
        message = EmailMessage(policy=policy.SMTP)
        message["From"] = sender
        message["To"] = ", ".join(to)
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(domain=domain)
        for name, value in headers.items():
            if name.lower() in ("from", "to", "subject", "date", "message-id"):
                raise ComposeError(f"{name} is set from the request fields")
            message[name] = value
        message.set_content(text, charset="utf-8")
        for file in files:
            try:
                data = base64.b64decode(file.get("content_base64", ""), validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ComposeError(f"attachment {file.get('filename')!r} is not base64") from exc
            maintype, _, subtype = file.get("content_type", "application/octet-stream").partition("/")
            message.add_attachment(
                data,
                maintype=maintype,
                subtype=subtype or "octet-stream",
                filename=file.get("filename", "file"),
            )
        return message.as_bytes()
    except ComposeError:
        raise
    except (ValueError, IndexError, TypeError) as exc:  # CR/LF in a header (injection), a malformed address
        raise ComposeError(f"the request does not make a valid message: {exc}") from None
