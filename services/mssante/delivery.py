"""Deliver an accepted message: checks, per-recipient outcome, one transaction for every copy.

The order matters: the content is inspected before anything is written, strict mode refuses on an
error finding, and the copies, the DSN for recipients that cannot take the message after all and
the automatic MDNs are written in a single transaction, so a message is either delivered with its
reports or not at all.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, make_msgid
from typing import Any

from anyio import to_thread
from sqlmodel import Session

from services.kernel.db import Database

from . import receipts, store
from .codes import mdm_error_label
from .directory import Directory, DirectoryUnavailable
from .findings import Finding, Refusal, error, warning
from .inspection import Inspection, inspect
from .models import KIND_PATIENT, Mailbox, Message
from .settings import MssSettings
from .xdm import ZipLimits


def _removed(address: str) -> receipts.Failure:
    return receipts.Failure(address, "5.1.1", "550 5.1.1 mailbox removed since the transaction began")


INTEGRATING_KINDS = ("ORG", "APP")
"""Boxes read by an integration platform, which returns the ``processed`` MDN itself (spec B5/B6)."""


@dataclass(frozen=True)
class Submission:
    envelope_from: str
    recipients: list[Mailbox]
    raw: bytes
    helo: str
    peer: str
    authenticated_as: str
    sender_box: Mailbox | None
    protocol: str = "ESMTPSA"
    """RFC 3848 transmission type for the ``Received`` trace: ESMTPSA (TLS + AUTH), or HTTP for the API."""


@dataclass(frozen=True)
class Outcome:
    ids: list[int]
    failed: list[receipts.Failure]
    findings: list[Finding]
    patient_ins: str | None = None


def _trace(submission: Submission, found: Inspection, domain: str, now: datetime) -> bytes:
    """Return-Path and Received (RFC 5321 §4.4), plus Date/Message-ID when missing (RFC 6409 §8)."""
    lines = [
        f"Return-Path: <{submission.envelope_from}>",
        f"Received: from {submission.helo} ({submission.peer}) by {domain} (socle) with {submission.protocol}"
        f" (authenticated as {submission.authenticated_as}); {format_datetime(now)}",
    ]
    if not found.has_date:
        lines.append(f"Date: {format_datetime(now)}")
    if not found.message_id:
        found.message_id = make_msgid(domain=domain)
        lines.append(f"Message-ID: {found.message_id}")
    return ("\r\n".join(lines) + "\r\n").encode()


def _copy(
    box: Mailbox, uid: int, raw: bytes, found: Inspection, submission: Submission, now: datetime
) -> dict[str, Any]:
    """The columns of ``box``'s copy of a submitted message (see :func:`store.insert_copy`)."""
    return {
        "mailbox": box.address,
        "uid": uid,
        "message_id": found.message_id,
        "envelope_from": submission.envelope_from,
        "sender": found.sender,
        "recipients": [r.address for r in submission.recipients],
        "subject": found.subject,
        "patient_ins": found.patient_ins,
        "kind": found.kind,
        "received_at": now,
        "size": len(raw),
        "flags": [],
        "conformant": not found.errors,
        "findings": [f.as_json() for f in found.findings],
        "raw": raw,
    }


def _report_copy(box: Mailbox, raw: bytes, kind: str, subject: str, sender: str, now: datetime) -> Message:
    return Message(
        mailbox=box.address,
        uid=0,
        envelope_from="",
        sender=sender,
        recipients=[box.address],
        subject=subject,
        kind=kind,
        received_at=now,
        size=len(raw),
        raw=raw,
    )


class Delivery:
    def __init__(self, settings: MssSettings, database: Database, directory: Directory) -> None:
        self.settings = settings
        self.database = database
        self.directory = directory
        self._writing = asyncio.Lock()
        """One delivery transaction at a time per process: SQLite's busy handler sleeps up to 100 ms
        when writers collide, which queueing here avoids (PostgreSQL does not need it, nor mind it)."""
        self.limits = ZipLimits(
            settings.mss_zip_max_total_bytes, settings.mss_zip_max_ratio, settings.mss_zip_max_entries
        )

    async def _known_patient(self, found: Inspection) -> None:
        if not found.patient_ins:
            return
        try:
            identity = await self.directory.patient(found.patient_ins)
        except DirectoryUnavailable as exc:
            found.findings.append(warning("xdm.ins.unchecked", f"INS not checked: {exc}"))
            return
        if identity is None:
            found.findings.append(
                error("xdm.ins.unknown", f"INS {found.patient_ins} unknown to INS", "", "902")
            )

    @staticmethod
    def _wrong_patient(box: Mailbox, found: Inspection) -> receipts.Failure | None:
        """A patient's box takes documents about that patient only (kind and owner never change)."""
        if box.kind == KIND_PATIENT and found.patients and box.owner not in {p.value for p in found.patients}:
            return receipts.Failure(
                box.address, "5.7.1", "550 5.7.1 the documents concern another patient than this mailbox's"
            )
        return None

    def _deliver_copy(
        self,
        session: Session,
        box: Mailbox,
        raw: bytes,
        found: Inspection,
        submission: Submission,
        now: datetime,
    ) -> int | receipts.Failure:
        """The id of ``box``'s new copy, or why it cannot take it: removed, wrong patient, full."""
        if not self._wrong_patient(box, found):
            uid = store.take_uid(
                session, address=box.address, size=len(raw), quota=self.settings.mss_mailbox_quota_bytes
            )
            if uid is not None:
                return store.insert_copy(session, values=_copy(box, uid, raw, found, submission, now))
        fresh = store.mailbox(session, address=box.address)
        if fresh is None:
            return _removed(box.address)
        return self._wrong_patient(fresh, found) or receipts.Failure(
            box.address, "5.2.2", "552 5.2.2 mailbox full"
        )

    async def submit(self, submission: Submission) -> Outcome:
        """Deliver or raise :class:`Refusal` (nothing stored in that case)."""
        found = await to_thread.run_sync(inspect, submission.raw, self.limits)
        if found.kind == "message":
            await self._known_patient(found)
        if self.settings.mss_strict and found.errors:
            first = found.errors[0]
            raise Refusal(f"554 5.6.0 Message refused (strict mode): {first.code}: {first.message}")
        now = datetime.now(UTC)
        raw = _trace(submission, found, self.settings.mss_domain, now) + submission.raw

        def work(session: Session) -> Outcome:
            ids, failed = [], []
            for box in submission.recipients:
                copy = self._deliver_copy(session, box, raw, found, submission, now)
                if isinstance(copy, receipts.Failure):
                    failed.append(copy)
                else:
                    ids.append(copy)
            if not ids:
                raise Refusal(failed[0].diagnostic)
            self._reports(session, submission, found, raw, failed, now)
            return Outcome(ids, failed, found.findings, found.patient_ins)

        async with self._writing:
            return await self.database.write(work)

    def _reports(
        self,
        session: Session,
        submission: Submission,
        found: Inspection,
        raw: bytes,
        failed: list[receipts.Failure],
        now: datetime,
    ) -> None:
        sender_box = submission.sender_box
        wants_mdn = self._wants_mdn(found.disposition_to, submission.envelope_from)
        if sender_box is None or found.kind != "message" or not (failed or wants_mdn):
            return
        box = store.mailbox(session, address=sender_box.address)
        if box is None:
            return
        domain = self.settings.mss_domain
        if failed:
            report = receipts.dsn(
                domain=domain,
                to=sender_box.address,
                subject=found.subject,
                original_raw=raw,
                failures=failed,
                arrival=now,
            )
            store.store_copy(
                session,
                box=box,
                message=_report_copy(
                    box, report, "dsn", f"Échec de remise : {found.subject}", f"MAILER-DAEMON@{domain}", now
                ),
            )
        if not wants_mdn:
            return
        code = next((f.mdm_error for f in found.findings if f.mdm_error), "")
        failed_boxes = {f.recipient for f in failed}
        for recipient in submission.recipients:
            if recipient.kind not in INTEGRATING_KINDS or recipient.address in failed_boxes:
                continue
            report = receipts.mdn(
                domain=domain,
                reporter=recipient.address,
                to=box.address,
                subject=found.subject,
                message_id=found.message_id,
                original_raw=raw,
                error_code=code,
                error_label=mdm_error_label(code),
            )
            subject = f"{receipts.KO_PREFIX}[{code}] {found.subject}" if code else found.subject
            store.store_copy(
                session, box=box, message=_report_copy(box, report, "mdn", subject, recipient.address, now)
            )

    @staticmethod
    def _wants_mdn(asked: str, envelope_from: str) -> bool:
        """RFC 8098 §2.1: only on request, and not automatically to another address than Return-Path."""
        return bool(asked) and envelope_from.lower() in asked.lower()
