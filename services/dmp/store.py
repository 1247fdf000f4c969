"""Persistence of the DMP: functions over a Session, keyword-only, one transaction per caller."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    bindparam,
    exists,
    false,
    func,
    insert,
    or_,
    select,
    true,
)
from sqlmodel import Session

from services.kernel.errors import Conflict, NotFound, Unprocessable

from .bundle import Submission
from .dates import upper_bound
from .models import DmpAudit, DmpBinary, DmpBlock, DmpDocument, DmpFirstAccess, DmpRecord, DmpSubmissionSet
from .resources import stored_document, stored_submission_set, with_metadata
from .search import DocumentQuery

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


def _date_clause(column: Any, prefix: str, value: str) -> ColumnElement[bool]:
    if prefix == "eq":
        return and_(column >= value, column < upper_bound(value))
    if prefix in ("ge",):
        return column >= value
    if prefix in ("gt", "sa"):
        return column >= upper_bound(value)
    if prefix == "le":
        return column < upper_bound(value)
    return column < value  # lt, eb


class SearchShape(NamedTuple):
    """Everything of an ITI-67 search but the patient and the caller (bound at execution): the same
    shape (in practice a handful: patient + status, by role) reuses its statements, built once."""

    statuses: tuple[str, ...]
    tokens: tuple[tuple[str, tuple[str, ...]], ...]
    framed: tuple[tuple[str, tuple[str, ...]], ...]
    dates: tuple[tuple[str, str, str], ...]
    ids: tuple[str, ...]
    identifiers: tuple[str, ...]
    relates_to: tuple[str, ...]
    author_names: tuple[str, ...]
    is_archived: bool | None
    offset: int
    count: int
    hidden: frozenset[str]
    author_hidden: frozenset[str]
    own: bool
    """Whether the caller's own documents are let through with ``author_hidden`` (a professional)."""


def search_documents(
    session: Session,
    *,
    query: DocumentQuery,
    hidden_labels: frozenset[str],
    author_hidden_labels: frozenset[str],
    caller_idnat: str,
) -> tuple[list[Row[tuple[str, str, int]]], int]:
    """One page of matching documents (newest first): ``(id, resource)`` rows, no ORM objects, as a
    search serves nothing else; and the total, visibility applied in SQL. The total comes with the page
    (a window count) and needs a statement of its own only when the page is empty past the first."""
    shape = SearchShape(
        tuple(query.statuses),
        tuple((column, tuple(values)) for column, values in query.tokens.items()),
        tuple((column, tuple(values)) for column, values in query.framed.items()),
        tuple(query.dates),
        tuple(query.ids),
        tuple(query.identifiers),
        tuple(query.relates_to),
        tuple(query.author_names),
        query.is_archived,
        query.offset,
        query.count,
        hidden_labels,
        author_hidden_labels,
        bool(caller_idnat),
    )
    page_statement, count_statement = _search_statements(shape)
    bound = {"patient_ins": query.patient_ins, "own": f"|{caller_idnat}|"}
    page = session.execute(page_statement, bound).all()
    if page:
        return list(page), int(page[0].total)
    if not query.offset and query.count:
        return [], 0
    return [], int(session.execute(count_statement, bound).scalar_one())


@lru_cache(maxsize=256)
def _search_statements(shape: SearchShape) -> tuple[Select[Any], Select[Any]]:
    """The page and the count statements of a search shape; ``:patient_ins`` and ``:own`` are bound."""
    clauses: list[ColumnElement[bool]] = [
        DmpDocument.patient_ins == bindparam("patient_ins"),
        DmpDocument.status.in_(shape.statuses),  # type: ignore[attr-defined]
    ]
    for column, values in shape.tokens:
        clauses.append(getattr(DmpDocument, column).in_(values))
    for column, values in shape.framed:
        clauses.append(or_(*(getattr(DmpDocument, column).contains(f"|{v}|") for v in values)))
    for column, prefix, value in shape.dates:
        clauses.append(_date_clause(getattr(DmpDocument, column), prefix, value))
    if shape.ids:
        clauses.append(DmpDocument.id.in_(shape.ids))  # type: ignore[attr-defined]
    if shape.identifiers:
        clauses.append(
            or_(
                DmpDocument.unique_id.in_(shape.identifiers),  # type: ignore[attr-defined]
                DmpDocument.id.in_([v.removeprefix("urn:uuid:") for v in shape.identifiers]),  # type: ignore[attr-defined]
            )
        )
    if shape.relates_to:
        clauses.append(DmpDocument.replaces.in_(shape.relates_to))  # type: ignore[attr-defined]
    for name in shape.author_names:
        clauses.append(DmpDocument.author_names.contains(name))  # type: ignore[attr-defined]
    if shape.is_archived is not None:
        clauses.append(DmpDocument.is_archived == shape.is_archived)
    clauses.append(_visible(shape.hidden, shape.author_hidden, shape.own))
    where = and_(*clauses)
    page = (
        select(DOCUMENT.c.id, DOCUMENT.c.resource, func.count().over().label("total"))
        .where(where)
        .order_by(DOCUMENT.c.date.desc(), DOCUMENT.c.id)
        .offset(shape.offset)
        .limit(shape.count)
    )
    return page, select(func.count()).select_from(DmpDocument).where(where)


def _visible(hidden: frozenset[str], author_hidden: frozenset[str], own: bool) -> ColumnElement[bool]:
    def clear_of(labels: frozenset[str]) -> ColumnElement[bool]:
        return and_(true(), *(DmpDocument.security.notlike(f"%|{label}|%") for label in sorted(labels)))  # type: ignore[attr-defined]

    if not hidden:
        return true()
    mine = and_(DmpDocument.authors.contains(bindparam("own")), clear_of(author_hidden)) if own else false()  # type: ignore[attr-defined]
    return or_(clear_of(hidden), mine)


def submission_sets(
    session: Session, *, ins: str, bounds: list[tuple[str, str]], offset: int, count: int
) -> tuple[list[DmpSubmissionSet], int]:
    """A patient's submission sets, newest first, within the ``date`` (submission time) bounds."""
    where = and_(
        DmpSubmissionSet.patient_ins == ins,
        *(_date_clause(DmpSubmissionSet.date, prefix, value) for prefix, value in bounds),
    )
    total = session.execute(select(func.count()).select_from(DmpSubmissionSet).where(where)).scalar_one()
    rows = session.execute(
        select(DmpSubmissionSet)
        .where(where)
        .order_by(DmpSubmissionSet.date.desc())
        .offset(offset)
        .limit(count)  # type: ignore[attr-defined]
    ).scalars()
    return list(rows), int(total)


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
