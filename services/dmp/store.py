"""Persistence of the DMP: functions over a Session, keyword-only, one transaction per caller."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    bindparam,
    exists,
    func,
    insert,
    or_,
    select,
)
from sqlmodel import Session

from services.kernel.errors import Conflict, NotFound, Unprocessable

from .bundle import Submission
from .models import DmpAudit, DmpBinary, DmpBlock, DmpDocument, DmpFirstAccess, DmpRecord, DmpSubmissionSet
from .resources import stored_document, stored_submission_set, with_metadata

DOCUMENT = DmpDocument.__table__  # type: ignore[attr-defined]
RECORD = DmpRecord.__table__  # type: ignore[attr-defined]
BLOCK = DmpBlock.__table__  # type: ignore[attr-defined]
BINARY = DmpBinary.__table__  # type: ignore[attr-defined]
SUBMISSION_SET = DmpSubmissionSet.__table__  # type: ignore[attr-defined]
AUDIT = DmpAudit.__table__  # type: ignore[attr-defined]
FIRST_ACCESS = DmpFirstAccess.__table__  # type: ignore[attr-defined]


def frame(values: Iterable[str]) -> str:
    return "|" + "".join(f"{v}|" for v in values)


def unframe(value: str) -> list[str]:
    return [v for v in value.split("|") if v]


def seed_records(session: Session, *, patients: Iterable[Any], now: str) -> None:
    """The fixed patients' DMP state, added once (an existing record is left as the tests made it)."""
    known = set(session.execute(select(DmpRecord.ins)).scalars())
    for patient in patients:
        if patient.ins in known:
            continue
        session.add(
            DmpRecord(
                ins=patient.ins,
                state=patient.dmp,
                opposition=patient.opposition,
                medecin_traitant=patient.medecin_traitant,
                updated=now,
            )
        )
        for idnat in patient.blocked:
            session.add(DmpBlock(ins=patient.ins, idnat=idnat))


def record(session: Session, *, ins: str) -> DmpRecord | None:
    return session.get(DmpRecord, ins)


def is_blocked(session: Session, *, ins: str, idnat: str) -> bool:
    statement = select(DmpBlock.id).where(DmpBlock.ins == ins, DmpBlock.idnat == idnat)
    return session.execute(statement).first() is not None


RECORD_AND_BLOCK = select(
    RECORD,
    exists().where(BLOCK.c.ins == bindparam("ins"), BLOCK.c.idnat == bindparam("idnat")).label("blocked"),
).where(RECORD.c.ins == bindparam("ins"))
"""Built once (with FIRST_ACCESS_SEEN, the access-history INSERTs): every request runs them."""
FIRST_ACCESS_SEEN = select(FIRST_ACCESS.c.ins).where(
    FIRST_ACCESS.c.ins == bindparam("ins"), FIRST_ACCESS.c.idnat == bindparam("idnat")
)
ADD_AUDITS = insert(AUDIT)
ADD_FIRST_ACCESS = insert(FIRST_ACCESS)


def record_and_block(session: Session, *, ins: str, idnat: str) -> tuple[DmpRecord | None, bool]:
    """The patient's DMP record and whether ``idnat`` is blocked from it, in one statement when the
    record exists (every request needs both); a detached DmpRecord, as nothing changes it here."""
    row = session.execute(RECORD_AND_BLOCK, {"ins": ins, "idnat": idnat}).first()
    if row is None:
        return None, bool(idnat) and is_blocked(session, ins=ins, idnat=idnat)
    values = row._asdict()
    return DmpRecord(**{k: v for k, v in values.items() if k != "blocked"}), bool(idnat and values["blocked"])


def blocked_of(session: Session, *, ins: str) -> list[str]:
    return list(session.execute(select(DmpBlock.idnat).where(DmpBlock.ins == ins)).scalars())


def set_blocked(session: Session, *, ins: str, idnat: str, blocked: bool) -> None:
    existing = session.execute(select(DmpBlock).where(DmpBlock.ins == ins, DmpBlock.idnat == idnat)).scalar()
    if blocked and existing is None:
        session.add(DmpBlock(ins=ins, idnat=idnat))
    elif not blocked and existing is not None:
        session.delete(existing)


def save_record(session: Session, *, row: DmpRecord) -> DmpRecord:
    return session.merge(row)


def _replaced(session: Session, *, target: str, ins: str) -> DmpDocument:
    if target.startswith("identifier:"):
        value = target.removeprefix("identifier:")
        row = session.execute(
            select(DmpDocument).where(
                DmpDocument.patient_ins == ins,
                or_(DmpDocument.unique_id == value, DmpDocument.id == value.removeprefix("urn:uuid:")),
            )
        ).scalar()
    else:
        row = session.get(DmpDocument, target)
    if row is None or row.patient_ins != ins:
        raise NotFound(
            f"the replaced document {target} is not in this patient's DMP",
            expression=["DocumentReference.relatesTo"],
        )
    if row.status != "current":
        raise Conflict(
            f"the replaced document {row.id} is {row.status}, not current",
            expression=["DocumentReference.relatesTo"],
        )
    return row


def save_submission(
    session: Session, *, plan: Submission, base_url: str, submitter: str, now: str
) -> list[DmpDocument]:
    """Store a checked submission whole; replaced documents become superseded in the same transaction.

    The new rows go in with Core INSERTs (one per table): nothing in this transaction reads them back,
    so the ORM's unit of work would only add its bookkeeping; the returned rows are detached."""
    ins = plan.patient[1]
    for document in plan.documents:
        if session.execute(
            select(DmpDocument.id).where(DmpDocument.unique_id == document.facts.unique_id)
        ).first():
            raise Unprocessable(
                f"a document with uniqueId {document.facts.unique_id} is already stored (never modified)",
                expression=[f"Bundle.entry[{document.entry}].resource.masterIdentifier"],
                fhir_code="duplicate",
            )
    if plan.binaries:
        session.execute(
            insert(BINARY),
            [{"id": b.id, "content_type": b.content_type, "data": b.data} for b in plan.binaries],
        )
    rows = []
    for document in plan.documents:
        facts = document.facts
        if facts.replaces:
            old = _replaced(session, target=facts.replaces, ins=ins)
            supersede(session, row=old, now=now)
            facts.replaces = old.id
        resource = stored_document(
            facts,
            id=document.id,
            binary_url=f"Binary/{document.binary_id}",
            version=1,
            last_updated=now,
        )
        row = DmpDocument(
            id=document.id,
            patient_ins=ins,
            status="current",
            unique_id=facts.unique_id,
            type_code=facts.type_code,
            class_code=facts.class_code,
            format_code=facts.format_code,
            facility_code=facts.facility_code,
            setting_code=facts.setting_code,
            security=frame(facts.security),
            event_codes=frame(facts.event_codes),
            related=frame(r for r in facts.related if r),
            is_archived=facts.is_archived,
            date=facts.date,
            creation=facts.creation,
            period_start=facts.period_start,
            period_end=facts.period_end,
            authors=frame(dict.fromkeys([*facts.authors, submitter])),
            author_names=frame(facts.author_names),
            replaces=facts.replaces or "",
            binary_id=document.binary_id,
            version=1,
            last_updated=now,
            resource=json.dumps(resource, ensure_ascii=False),
        )
        rows.append(row)
    if rows:
        session.execute(insert(DOCUMENT), [row.model_dump() for row in rows])
    if plan.set_resource:
        urls = {d.full_url: f"DocumentReference/{d.id}" for d in plan.documents}
        resource = stored_submission_set(plan, base_url=base_url, document_urls=urls)
        session.execute(
            insert(SUBMISSION_SET),
            [
                {
                    "id": plan.set_id,
                    "patient_ins": ins,
                    "unique_id": plan.set_unique_id,
                    "date": plan.date,
                    "resource": json.dumps(resource),
                }
            ],
        )
    return rows


def supersede(session: Session, *, row: DmpDocument, now: str) -> None:
    resource = with_metadata(
        json.loads(row.resource),
        status="superseded",
        labels=unframe(row.security),
        archived=row.is_archived,
        version=row.version + 1,
        last_updated=now,
    )
    row.status, row.version, row.last_updated = "superseded", row.version + 1, now
    row.resource = json.dumps(resource, ensure_ascii=False)
    session.add(row)


def document(session: Session, *, id: str) -> DmpDocument | None:
    return session.get(DmpDocument, id)


def documents_by_identifier(session: Session, *, value: str) -> list[DmpDocument]:
    """Documents whose uniqueId (masterIdentifier) or entryUUID is ``value`` (dmp.md §16.2)."""
    statement = select(DmpDocument).where(
        or_(DmpDocument.unique_id == value, DmpDocument.id == value.removeprefix("urn:uuid:"))
    )
    return list(session.execute(statement).scalars())


def replacement_of(session: Session, *, row: DmpDocument) -> str | None:
    """The id of the document that replaced ``row`` (the RPLC chain, one step; patient index first)."""
    statement = select(DmpDocument.id).where(
        DmpDocument.patient_ins == row.patient_ins, DmpDocument.replaces == row.id
    )
    return session.execute(statement).scalar()


def binary_with_document(session: Session, *, binary_id: str) -> tuple[DmpBinary, DmpDocument] | None:
    binary = session.get(DmpBinary, binary_id)
    if binary is None:
        return None
    row = session.execute(select(DmpDocument).where(DmpDocument.binary_id == binary_id)).scalar()
    return (binary, row) if row is not None else None


def save_document(session: Session, *, row: DmpDocument) -> None:
    session.add(row)


def add_audits(session: Session, *, rows: list[dict[str, Any]]) -> None:
    """Insert access-history rows (one Core INSERT: nothing reads them back in this transaction)."""
    session.execute(ADD_AUDITS, rows)


def first_access(session: Session, *, ins: str, idnat: str, now: str) -> bool:
    """True (and remembered) the first time this professional opens this DMP."""
    if session.execute(FIRST_ACCESS_SEEN, {"ins": ins, "idnat": idnat}).first() is not None:
        return False
    session.execute(ADD_FIRST_ACCESS, [{"ins": ins, "idnat": idnat, "at": now}])
    return True


def audits(session: Session, *, ins: str, offset: int, count: int) -> tuple[list[DmpAudit], int]:
    where = DmpAudit.patient_ins == ins
    total = session.execute(select(func.count()).select_from(DmpAudit).where(where)).scalar_one()
    rows = session.execute(
        select(DmpAudit)
        .where(where)
        .order_by(DmpAudit.recorded.desc(), DmpAudit.id)
        .offset(offset)
        .limit(count)  # type: ignore[attr-defined]
    ).scalars()
    return list(rows), int(total)
