"""Persistence of the directory: save resources with their index rows, read, search, follow references.

Every function takes the session it works in (keyword-only); callers run them through
``Database.write``/``read`` so a batch is stored whole or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, false, func, insert, literal, or_, select, true
from sqlmodel import Session

from .codes import PROFILES
from .models import DirectoryIndex, DirectoryResource
from .parameters import index_values
from .search import Chain, Criterion, DateRange, Search, TokenValue

Resource = dict[str, Any]
R = DirectoryResource.__table__.c  # type: ignore[attr-defined]
I = DirectoryIndex.__table__.c  # type: ignore[attr-defined]  # noqa: E741
BATCH = 500
MAX_REVINCLUDED = 1000
"""Resources one ``_revinclude`` adds to a page (an organisation may have thousands of roles), as HAPI
bounds its includes."""


@dataclass(frozen=True)
class Found:
    matches: list[Resource]
    included: list[Resource]
    total: int | None
    more: bool


def _stamp(value: datetime) -> str:
    """A timestamp as stored: UTC text with a fixed width, so text order is time order."""
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def _last_updated(resource: Resource) -> str:
    return _stamp(datetime.fromisoformat(resource["meta"]["lastUpdated"].replace("Z", "+00:00")))


def save_resources(*, session: Session, resources: Sequence[Resource]) -> int:
    """Store (or replace) ``resources`` and their index rows; the same ids give the same rows again."""
    for start in range(0, len(resources), BATCH):
        batch = resources[start : start + BATCH]
        by_type: dict[str, list[str]] = {}
        for resource in batch:
            by_type.setdefault(resource["resourceType"], []).append(resource["id"])
        for resource_type, ids in by_type.items():
            session.execute(
                delete(DirectoryIndex).where(I.resource_type == resource_type, I.resource_id.in_(ids))
            )
            session.execute(delete(DirectoryResource).where(R.resource_type == resource_type, R.id.in_(ids)))
        session.execute(
            insert(DirectoryResource),
            [
                {
                    "resource_type": r["resourceType"],
                    "id": r["id"],
                    "last_updated": _last_updated(r),
                    "body": json.dumps(r, ensure_ascii=False, separators=(",", ":")),
                }
                for r in batch
            ],
        )
        rows = [
            {
                "resource_type": r["resourceType"],
                "resource_id": r["id"],
                "param": param,
                "system": system[:255],
                "value": value[:512],
                "exact": exact[:512],
            }
            for r in batch
            for param, system, value, exact in index_values(r)
        ]
        if rows:
            session.execute(insert(DirectoryIndex), rows)
    return len(resources)


def read_resource(*, session: Session, resource_type: str, resource_id: str) -> Resource | None:
    body = session.execute(
        select(R.body).where(R.resource_type == resource_type, R.id == resource_id)
    ).scalar_one_or_none()
    return json.loads(body) if body is not None else None


def _date_condition(value: DateRange) -> ColumnElement[bool]:
    start, end = _stamp(value.start), _stamp(value.end)
    column = R.last_updated
    return {
        "eq": and_(column >= start, column < end),
        "ne": or_(column < start, column >= end),
        "gt": column >= end,
        "ge": column >= start,
        "lt": column < start,
        "le": column < end,
    }[value.prefix]


def _value_condition(criterion: Criterion, value: Any, index: Any = I) -> ColumnElement[bool]:
    """The condition on one index row (of ``index``, a copy of the table for a chained search)."""
    if criterion.kind == "token":
        assert isinstance(value, TokenValue)
        parts = []
        if value.system is not None:
            parts.append(index.system == value.system)
        if value.code is not None:
            parts.append(index.value == value.code)
        return and_(*parts)
    if criterion.kind == "reference" or criterion.modifier == "address":
        return index.value == value  # type: ignore[no-any-return]
    if criterion.modifier == "exact":
        return index.exact == value  # type: ignore[no-any-return]
    if criterion.modifier == "contains":
        return index.value.contains(value, autoescape=True)  # type: ignore[no-any-return]
    if not value:
        return index.value.isnot(None)  # type: ignore[no-any-return]
    return and_(index.value >= value, index.value < _after_prefix(value))


def _chained(criterion: Criterion) -> Select[tuple[str]]:
    """``Type/id`` of the targets a chained parameter (``practitioner.identifier=…``) selects."""
    chain = criterion.values[0]
    assert isinstance(chain, Chain)
    target = DirectoryIndex.__table__.alias("chained").c  # type: ignore[attr-defined]
    inner = chain.criterion
    return select(literal(f"{chain.target}/") + target.resource_id).where(
        target.resource_type == chain.target,
        target.param == inner.param,
        or_(*(_value_condition(inner, value, target) for value in inner.values)),
    )


def _after_prefix(prefix: str) -> str:
    """The first string after every string that starts with ``prefix``, in code point order."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _condition(resource_type: str, criterion: Criterion) -> ColumnElement[bool]:
    if criterion.kind == "id":
        return R.id.in_(criterion.values)
    if criterion.kind == "profile":
        # Every resource of a type is published with the same profiles (codes.PROFILES).
        wanted = {str(value).split("|", 1)[0] for value in criterion.values}
        return true() if wanted & set(PROFILES[resource_type]) else false()
    if criterion.kind == "date":
        return or_(*(_date_condition(v) for v in criterion.values))  # type: ignore[arg-type]
    if criterion.kind == "chain":
        values = I.value.in_(_chained(criterion))
    else:
        values = or_(*(_value_condition(criterion, value) for value in criterion.values))
    matching = select(I.resource_id).where(
        I.resource_type == resource_type, I.param == criterion.param, values
    )
    return R.id.in_(matching)


def _conditions(search: Search) -> list[ColumnElement[bool]]:
    return [R.resource_type == search.resource_type] + [
        _condition(search.resource_type, criterion) for criterion in search.criteria
    ]


def _load(session: Session, refs: Iterable[str], skip: set[str]) -> list[Resource]:
    by_type: dict[str, set[str]] = {}
    for ref in refs:
        if ref in skip or "/" not in ref:
            continue
        resource_type, resource_id = ref.split("/", 1)
        by_type.setdefault(resource_type, set()).add(resource_id)
    loaded = []
    for resource_type, ids in by_type.items():
        rows = session.execute(
            select(R.body).where(R.resource_type == resource_type, R.id.in_(sorted(ids))).order_by(R.id)
        ).scalars()
        loaded += [json.loads(body) for body in rows]
    return loaded


def _included(session: Session, search: Search, page_ids: list[str]) -> list[Resource]:
    if not page_ids:
        return []
    own = {f"{search.resource_type}/{i}" for i in page_ids}
    refs: list[str] = []
    for source, param in search.includes:
        refs += session.execute(
            select(I.value).where(I.resource_type == source, I.param == param, I.resource_id.in_(page_ids))
        ).scalars()
    for source, param in search.revincludes:
        ids = session.execute(
            select(I.resource_id)
            .where(I.resource_type == source, I.param == param, I.value.in_(sorted(own)))
            .order_by(I.resource_id)
            .limit(MAX_REVINCLUDED)
        ).scalars()
        refs += [f"{source}/{i}" for i in ids]
    return _load(session, dict.fromkeys(refs), own)


def search_resources(*, session: Session, search: Search, after: str | None, first_page: bool) -> Found:
    """One page of ``search``: matches sorted by id after ``after``, what they include, the total."""
    conditions = _conditions(search)
    total = None
    if search.with_total and first_page:
        total = int(session.execute(select(func.count()).where(*conditions)).scalar_one())
    if search.only_total:
        return Found([], [], total, False)
    if after is not None:
        conditions.append(R.id > after)
    rows = session.execute(
        select(R.id, R.body).where(*conditions).order_by(R.id).limit(search.count + 1)
    ).all()
    more = len(rows) > search.count
    rows = rows[: search.count]
    matches = [json.loads(body) for _, body in rows]
    return Found(matches, _included(session, search, [row.id for row in rows]), total, more)
