"""The traffic record: every request and response of every service, the evidence conformance reads.

Services annotate an exchange with who made it (client_id, idNat) and which patient it concerns through
:func:`annotate`; the middleware writes the rest. Writes are batched off the request path and flushed
before every query, so a reader always sees what was answered before it asked.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Index, insert
from sqlalchemy.exc import OperationalError
from sqlmodel import JSON, Column, Field, SQLModel, col, func, select
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .db import Database
from .masking import mask_body, mask_headers, mask_query

STATE_KEY = "socle.exchange"
RUN_HEADER = "x-socle-run"
CALLER_HEADER = "x-socle-caller"


class Exchange(SQLModel, table=True):
    __tablename__ = "socle_exchange"
    __table_args__ = (
        Index("ix_exchange_service_time", "service", "time"),
        Index("ix_exchange_client", "client_id"),
        Index("ix_exchange_run", "run"),
        Index("ix_exchange_patient", "patient"),
    )
    id: int | None = Field(default=None, primary_key=True)
    time: datetime
    service: str
    method: str
    path: str
    query: str = ""
    status: int
    duration_ms: float
    client_id: str | None = None
    idnat: str | None = None
    patient: str | None = None
    run: str | None = None
    caller: str | None = None
    request_headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    request_body: str | None = None
    response_headers: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    response_body: str | None = None
    notes: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


def annotate(request: Request, **fields: Any) -> None:
    """Attach facts to the current exchange: ``client_id``, ``idnat``, ``patient``, ``run`` or free notes."""
    record = request.scope.setdefault("state", {}).setdefault(STATE_KEY, {})
    record.update({key: value for key, value in fields.items() if value is not None})


def _storable(value: Any) -> Any:
    """``value`` with lone surrogates (hostile JSON such as ``"\\ud800"``) escaped: one such exchange would
    otherwise fail every later flush of its batch, and the record would stop for the whole stack.

    ASCII text (nearly every header and value) is kept as it is without a call per member."""
    if isinstance(value, str):
        return value if value.isascii() else value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {k: v if type(v) is str and v.isascii() else _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def _insert_one_by_one(session: Any, table: Any, batch: list[dict[str, Any]]) -> None:
    """A batch one row of which the database refuses: keep every other row, and a trace of that one."""
    for row in batch:
        try:
            with session.begin_nested():
                session.execute(insert(table), [row])
        except Exception as exc:
            keep = _storable(
                {k: row.get(k) for k in ("time", "service", "method", "path", "status", "duration_ms")}
            )
            notes = {"unrecorded": f"{type(exc).__name__}: the database refused this exchange's content"}
            session.execute(insert(table), [{**keep, "query": "", "notes": notes}])


class TrafficRecorder:
    """Collects exchanges in memory and writes them in batches to the traffic database."""

    def __init__(self, database: Database, *, body_limit: int, flush_seconds: float) -> None:
        self.database = database
        self.body_limit = body_limit
        self.flush_seconds = flush_seconds
        self._pending: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def add(self, exchange: dict[str, Any]) -> None:
        """Queue one exchange (a row of :class:`Exchange`); no ORM object on the request path."""
        self._pending.append(_storable(exchange))

    async def flush(self) -> None:
        async with self._lock:
            batch, self._pending = self._pending, []
            if not batch:
                return
            table = Exchange.__table__  # type: ignore[attr-defined]
            try:
                await self.database.write(lambda session: session.execute(insert(table), batch))
            except OperationalError:
                self._pending[:0] = batch  # database away: evidence waits for the next flush
                raise
            except Exception:
                await self.database.write(lambda session: _insert_one_by_one(session, table, batch))

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.flush_seconds)
            try:
                await self.flush()
            except Exception:  # the record must never take a service down; next flush retries
                continue

    def start(self) -> None:
        self.database.create_tables()
        self._task = asyncio.create_task(self._loop(), name="traffic-flusher")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            self._task = None
        await self.flush()

    async def clear(self) -> None:
        async with self._lock:
            self._pending = []
        await self.database.write(lambda session: session.execute(Exchange.__table__.delete()))  # type: ignore[attr-defined]

    async def query(
        self, filters: dict[str, Any], *, limit: int = 100, offset: int = 0, newest_first: bool = False
    ) -> tuple[int, Sequence[Exchange]]:
        await self.flush()

        def run(session: Any) -> tuple[int, Sequence[Exchange]]:
            statement = select(Exchange)
            for name in ("service", "method", "client_id", "idnat", "patient", "run", "caller", "status"):
                if filters.get(name) is not None:
                    statement = statement.where(getattr(Exchange, name) == filters[name])
            if filters.get("path"):
                statement = statement.where(col(Exchange.path).startswith(filters["path"]))
            if filters.get("since_id") is not None:
                statement = statement.where(col(Exchange.id) > filters["since_id"])
            if filters.get("since") is not None:
                statement = statement.where(col(Exchange.time) >= filters["since"])
            total = session.exec(select(func.count()).select_from(statement.subquery())).one()
            order = col(Exchange.id).desc() if newest_first else col(Exchange.id)
            rows = session.exec(statement.order_by(order).offset(offset).limit(limit)).all()
            return total, rows

        return await self.database.read(run)

    async def get(self, exchange_id: int) -> Exchange | None:
        await self.flush()
        return await self.database.read(lambda session: session.get(Exchange, exchange_id))


class TrafficMiddleware:
    """Outermost middleware of every service app: times and records each HTTP exchange."""

    def __init__(self, app: ASGIApp, *, service: str, recorder: TrafficRecorder, mount: str = "") -> None:
        self.app = app
        self.service = service
        self.recorder = recorder
        self.mount = mount
        """Public path prefix of a service run alone behind a gateway: paths read the same in every mode."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.recorder.body_limit
        started = time.perf_counter()
        request_chunks: list[bytes] = []
        request_size = 0
        response: dict[str, Any] = {"status": 500, "headers": [], "chunks": [], "size": 0}
        scope.setdefault("state", {}).setdefault(STATE_KEY, {})

        async def recording_receive() -> Message:
            nonlocal request_size
            message = await receive()
            if message["type"] == "http.request":
                body = message.get("body", b"")
                if request_size < limit:
                    request_chunks.append(body[: limit - request_size])
                request_size += len(body)
            return message

        recorded = False

        def record() -> None:
            nonlocal recorded
            if not recorded:
                recorded = True
                self._record(scope, started, b"".join(request_chunks), request_size, response)

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                body = message.get("body", b"")
                if response["size"] < limit:
                    response["chunks"].append(body[: limit - response["size"]])
                response["size"] += len(body)
                if not message.get("more_body", False):
                    record()  # before the client has the whole answer, so its next query sees it
            await send(message)

        try:
            await self.app(scope, recording_receive, recording_send)
        finally:
            record()

    def _record(
        self, scope: Scope, started: float, request_body: bytes, request_size: int, response: dict[str, Any]
    ) -> None:
        limit = self.recorder.body_limit
        request_headers = mask_headers(scope.get("headers", []))
        response_headers = mask_headers(response["headers"])
        notes = dict(scope.get("state", {}).get(STATE_KEY, {}))
        exchange = dict(
            time=datetime.now(UTC),
            service=self.service,
            method=scope["method"],
            path=(scope.get("root_path") or self.mount) + relative_path(scope),
            query=mask_query(scope.get("query_string", b"").decode("latin-1")),
            status=response["status"],
            duration_ms=round((time.perf_counter() - started) * 1000, 3),
            client_id=notes.pop("client_id", None),
            idnat=notes.pop("idnat", None),
            patient=notes.pop("patient", None),
            run=notes.pop("run", None) or request_headers.get(RUN_HEADER),
            caller=request_headers.get(CALLER_HEADER),
            request_headers=request_headers,
            request_body=mask_body(
                request_body,
                request_headers.get("content-type", ""),
                limit=limit,
                truncated=request_size > limit,
            ),
            response_headers=response_headers,
            response_body=mask_body(
                b"".join(response["chunks"]),
                response_headers.get("content-type", ""),
                limit=limit,
                truncated=response["size"] > limit,
            ),
            notes={key: value for key, value in notes.items() if _is_plain(value)},
        )
        self.recorder.add(exchange)


def _is_plain(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool, list, dict)) or value is None


def relative_path(scope: Scope) -> str:
    """The path inside the service, whichever way the server or the mount filled ``path``/``root_path``."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
