"""The DMP's search queries (ITI-67 documents, ITI-66 submission sets): functions over a Session, as
in :mod:`.store`, kept apart because a search's statements are built once per shape and cached."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, false, func, or_, select, true
from sqlmodel import Session

from .dates import upper_bound
from .models import DmpDocument, DmpSubmissionSet
from .search import DocumentQuery
from .store import DOCUMENT


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
