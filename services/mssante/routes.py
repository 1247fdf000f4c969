"""The mailbox API (``/api``, public ``/mss/api``): what a test, the console or the conformance suite reads.

Reading is open, as on mail catchers (mailpit, maildev): this is a simulator's inspection API.
Sending needs a PSC token whose professional may use the sender's box, or a peer service.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from lxml import etree
from pydantic import BaseModel, Field
from starlette.responses import PlainTextResponse, Response

from services.kernel.errors import Forbidden, NotFound, Unprocessable
from services.kernel.tokens import Caller, CurrentCaller
from services.kernel.traffic import annotate

from . import receipts, rendering, store
from .addresses import BadAddress, MssAddress, canonical, parse
from .delivery import Outcome, Submission
from .findings import Refusal
from .mailboxes import Rejected

router = APIRouter(prefix="/api", tags=["mailboxes"])
WHITELIST_NS = "https://listeblanche.mssante.fr/schema"


class Attachment(BaseModel):
    filename: str
    content_type: str = "application/octet-stream"
    content_base64: str


class SendRequest(BaseModel):
    sender: str = Field(alias="from")
    to: list[str] = Field(min_length=1)
    subject: str = ""
    text: str = ""
    headers: dict[str, str] = Field(default_factory=dict)
    attachments: list[Attachment] = Field(default_factory=list)


class MdnRequest(BaseModel):
    disposition: str = Field("displayed", pattern="^(displayed|deleted|processed)$")


def _operator(request: Request) -> Any:
    return request.app.state.operator


def _canonical(request: Request, address: str | None) -> str | None:
    return canonical(address, _operator(request).settings.mss_patient_domain) if address else None


def _parse(request: Request, address: str) -> MssAddress:
    return parse(address, _operator(request).settings.mss_patient_domain)


MAX_ID = 2**63 - 1
"""The largest id a database integer holds (SQLite and PostgreSQL BIGINT)."""


def _may_act(caller: object, box: Any) -> None:
    """A professional acts only for a box of theirs; a peer service (the console) for any."""
    if isinstance(caller, Caller) and caller.idnat not in (*box.members, box.owner):
        raise Forbidden(f"{caller.idnat} may not act for {box.address}")


async def _message(request: Request, message_id: int) -> Any:
    if not 0 <= message_id <= MAX_ID:  # beyond a database integer: no such message, not an overflow
        raise NotFound(f"no message {message_id}")
    found = await _operator(request).database.read(lambda s: store.message(s, message_id=message_id))
    if found is None:
        raise NotFound(f"no message {message_id}")
    return found


@router.get("/ca.pem", response_class=PlainTextResponse)
async def ca_certificate(request: Request) -> Response:
    """The test CA that signed the SMTP/IMAP server certificate: give it to clients to verify TLS."""
    pem = _operator(request).tls.ca_cert.read_bytes()
    return Response(pem, media_type="application/x-pem-file")


@router.get("/listeblanchemssante.xml")
async def whitelist(request: Request) -> Response:
    """The trust-space domain list in the shape ANS publishes (spec B1: ``//Domaine/Nom``)."""
    root = etree.Element(f"{{{WHITELIST_NS}}}ListeBlanche", nsmap={None: WHITELIST_NS})
    for domain in sorted(_operator(request).settings.trust_domains):
        entry = etree.SubElement(root, f"{{{WHITELIST_NS}}}Domaine")
        etree.SubElement(entry, f"{{{WHITELIST_NS}}}Nom").text = domain
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return Response(body, media_type="application/xml")


@router.get("/mailboxes")
async def list_mailboxes(request: Request, kind: str | None = None) -> list[dict[str, Any]]:
    boxes = await _operator(request).database.read(lambda s: store.mailboxes(s, kind=kind))
    return [rendering.mailbox_json(box) for box in boxes]


@router.get("/mailboxes/{address}")
async def one_mailbox(request: Request, address: str) -> dict[str, Any]:
    address = _canonical(request, address) or ""
    box = await _operator(request).database.read(lambda s: store.mailbox(s, address=address))
    if box is None:
        raise NotFound(f"no mailbox {address}")
    return rendering.mailbox_json(box)


@router.get("/mailboxes/{address}/latest")
async def latest(request: Request, address: str) -> dict[str, Any]:
    address = _canonical(request, address) or ""
    found = await _operator(request).database.read(lambda s: store.latest(s, address=address))
    if found is None:
        raise NotFound(f"no message in {address}")
    annotate(request, patient=found.patient_ins)
    return rendering.detail(found)


@router.get("/messages")
async def search(
    request: Request,
    mailbox: str | None = None,
    address: str | None = None,
    subject: str | None = None,
    patient: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0, le=MAX_ID),
) -> dict[str, Any]:
    """Newest first; ``address`` matches the mailbox, the From header or the envelope sender."""
    mailbox = _canonical(request, mailbox)
    since, until = (d if d is None or d.tzinfo else d.replace(tzinfo=UTC) for d in (since, until))
    total, rows = await _operator(request).database.read(
        lambda s: store.search(
            s,
            mailbox=mailbox,
            address=address,
            subject=subject,
            patient=patient,
            since=since,
            until=until,
            kind=kind,
            limit=limit,
            offset=offset,
        )
    )
    annotate(request, patient=patient)
    return {"total": total, "messages": [rendering.summary(m) for m in rows]}


@router.get("/messages/{message_id}")
async def one_message(request: Request, message_id: int) -> dict[str, Any]:
    found = await _message(request, message_id)
    annotate(request, patient=found.patient_ins)
    return rendering.detail(found)


@router.get("/messages/{message_id}/raw")
async def raw_source(request: Request, message_id: int) -> Response:
    found = await _message(request, message_id)
    return Response(found.raw, media_type="message/rfc822")


@router.get("/messages/{message_id}/findings")
async def findings(request: Request, message_id: int) -> dict[str, Any]:
    found = await _message(request, message_id)
    return {"id": found.id, "conformant": found.conformant, "findings": found.findings}


@router.get("/messages/{message_id}/attachments")
async def list_attachments(request: Request, message_id: int) -> list[dict[str, Any]]:
    return list(rendering.detail(await _message(request, message_id))["attachments"])


@router.get("/messages/{message_id}/attachments/{index}")
async def one_attachment(request: Request, message_id: int, index: int) -> Response:
    parts = rendering.attachments((await _message(request, message_id)).raw)
    if not 0 <= index < len(parts):
        raise NotFound(f"message {message_id} has no attachment {index}")
    part = parts[index]
    return Response(
        part.get_payload(decode=True) or b"",
        media_type=part.get_content_type(),
        headers={"Content-Disposition": f'attachment; filename="{part.get_filename()}"'},
    )


@router.delete("/messages/{message_id}", status_code=204)
async def delete(request: Request, message_id: int) -> Response:
    if not 0 <= message_id <= MAX_ID or not await _operator(request).database.write(
        lambda s: store.delete_message(s, message_id=message_id)
    ):
        raise NotFound(f"no message {message_id}")
    return Response(status_code=204)


@router.delete("/messages")
async def purge(request: Request, mailbox: str | None = None) -> dict[str, int]:
    """Delete every message (of one mailbox when ``mailbox`` is given); mailboxes stay."""
    mailbox = _canonical(request, mailbox)
    return {"deleted": await _operator(request).database.write(lambda s: store.purge(s, mailbox=mailbox))}


async def _submit(
    request: Request, sender: str, recipients: list[str], raw: bytes, caller: object
) -> Outcome:
    operator = _operator(request)
    try:
        sender_box = await operator.resolver.resolve(_parse(request, sender)) if sender else None
        if sender_box is not None:
            _may_act(caller, sender_box)
        boxes = [await operator.resolver.resolve(_parse(request, address)) for address in recipients]
        submission = Submission(
            envelope_from=sender,
            recipients=boxes,
            raw=raw,
            helo="api",
            peer=request.client.host if request.client else "api",
            authenticated_as=f"{getattr(caller, 'idnat', None) or getattr(caller, 'service', 'api')} via API",
            sender_box=sender_box,
            protocol="HTTP",
        )
        return await operator.delivery.submit(submission)
    except BadAddress as exc:
        raise Unprocessable(str(exc)) from exc
    except (Rejected, Refusal) as exc:
        raise Unprocessable(exc.reply) from exc


@router.post("/send", status_code=201)
async def send(request: Request, body: SendRequest, caller: CurrentCaller) -> dict[str, Any]:
    """Send through the same checks and delivery as SMTP (for the console and for tests)."""
    try:
        raw = rendering.compose(
            sender=body.sender,
            to=body.to,
            subject=body.subject,
            text=body.text,
            headers=body.headers,
            files=[a.model_dump() for a in body.attachments],
            domain=_operator(request).settings.mss_domain,
        )
    except rendering.ComposeError as exc:
        raise Unprocessable(str(exc)) from exc
    outcome = await _submit(request, body.sender, body.to, raw, caller)
    return {
        "delivered": outcome.ids,
        "failed": [vars(f) for f in outcome.failed],
        "findings": [f.as_json() for f in outcome.findings],
    }


@router.post("/messages/{message_id}/mdn", status_code=201)
async def send_mdn(
    request: Request, message_id: int, body: MdnRequest, caller: CurrentCaller
) -> dict[str, Any]:
    """The recipient's read receipt (RFC 8098, manual action) for a message that asked for one."""
    found = await _message(request, message_id)
    box = await _operator(request).database.read(lambda s: store.mailbox(s, address=found.mailbox))
    _may_act(caller, box)
    original = rendering.parse(found.raw)
    target = str(original.get("Disposition-Notification-To", "")).strip()
    if not target:
        raise Unprocessable("the message did not ask for a disposition notification")
    address = _parse(request, target.split("<")[-1].rstrip(">"))
    report = receipts.mdn(
        domain=_operator(request).settings.mss_domain,
        reporter=found.mailbox,
        to=address.address,
        subject=found.subject,
        message_id=found.message_id,
        original_raw=found.raw,
        disposition=body.disposition,
        automatic=False,
    )
    outcome = await _submit(request, "", [address.address], report, caller)
    return {"delivered": outcome.ids}
