"""One database per service: SQLite in WAL mode by default, PostgreSQL by URL.

Every write runs in :meth:`Database.transaction`, one transaction that commits whole or not at all; on
SQLite it starts with ``BEGIN IMMEDIATE`` so two writers queue on the busy timeout instead of failing
when a read transaction tries to upgrade. On PostgreSQL each service keeps its tables in a schema of
its own name, so one database can hold the whole stack.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Insert, Table, event, text
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql import Executable
from sqlmodel import Session, SQLModel, create_engine

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 10_000
DATABASE_THREADS = 40
"""As many as anyio's default worker threads, which this pool replaces for database work."""
_workers = ThreadPoolExecutor(max_workers=DATABASE_THREADS, thread_name_prefix="socle-db")


async def off_loop(work: Callable[[], T]) -> T:
    """Run ``work`` on a database worker thread and wait for it.

    A plain executor hand-off costs about a fifth of anyio's ``to_thread.run_sync`` in CPU (~15 against
    ~70 µs), and every request makes at least one. As with anyio's default, a cancelled caller still
    waits until the work has finished, so nothing of its transaction runs on after it has gone.
    """
    future = asyncio.get_running_loop().run_in_executor(_workers, contextvars.copy_context().run, work)
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        if mode:  # empty: each statement is its own transaction (a reader that needs no snapshot)
            # straight to the driver: a statement of SQLAlchemy's own costs ten times the BEGIN
            connection.connection.dbapi_connection.execute(f"BEGIN {mode}")


class Fixed:
    """A statement compiled once per dialect and run on the DBAPI cursor of a connection's transaction.

    For the few statements a hot path runs by key: SQLAlchemy's execution of a Core statement (cache key,
    parameter processing, events, result object) costs several times an indexed SQLite statement. So
    only for parameters and columns that need no type processing (str, int, float, None; SQLite gives
    booleans back as 0 and 1). An ``INSERT`` of a whole table takes every column: the table's scalar
    defaults fill those not given. Rows come back as named tuples (columns as attributes).
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[str, tuple[str, tuple[str, ...], bool]] = {}
        self.defaults: dict[str, Any] = {}
        if isinstance(statement, Insert):
            self.defaults = {
                column.key: column.default.arg
                if column.default is not None and column.default.is_scalar
                else None
                for column in statement.table.columns
            }
        columns = getattr(statement, "selected_columns", None)
        self.row = namedtuple("Row", list(columns.keys()), rename=True) if columns is not None else None  # type: ignore[misc]

    def _prepared(self, dialect: Dialect) -> tuple[str, tuple[str, ...], bool]:
        prepared = self._compiled.get(dialect.name)
        if prepared is None:
            compiled = self.statement.compile(dialect=dialect)
            names = compiled.positiontup if compiled.positional else list(compiled.params)
            prepared = self._compiled[dialect.name] = (str(compiled), tuple(names or ()), compiled.positional)
        return prepared

    def execute(self, connection: Connection, values: Mapping[str, Any]) -> list[Any]:
        """Run on ``connection``'s DBAPI connection, in its transaction if it has begun one; the rows."""
        return self.run(connection.connection, connection.dialect, values)

    def run(self, dbapi_connection: Any, dialect: Dialect, values: Mapping[str, Any]) -> list[Any]:
        """Run on a DBAPI connection of ``dialect`` (e.g. one taken from the pool for a lone read)."""
        sql, names, positional = self._prepared(dialect)
        if self.defaults:
            values = {**self.defaults, **values}
        parameters = (
            [values[name] for name in names] if positional else {name: values[name] for name in names}
        )
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(sql, parameters)
            if self.row is None:
                return []
            return [self.row._make(found) for found in cursor.fetchall()]
        finally:
            cursor.close()

    def first(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        """The first row, or None."""
        rows = self.execute(connection, values)
        return rows[0] if rows else None


def make_engine(url: str, *, schema: str | None = None) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10})
        _prepare_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    connect_args = {"options": f"-csearch_path={schema}"} if schema else {}
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, connect_args=connect_args)


class Database:
    """A service's engine and the tables it owns."""

    def __init__(self, url: str, tables: Sequence[type[SQLModel]], *, schema: str | None = None) -> None:
        self.url = url
        self.schema = schema
        self.engine = make_engine(url, schema=schema)
        self.is_sqlite = url.startswith("sqlite")
        self._writer = (
            self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        )
        self._statementwise = (
            self.engine.execution_options(sqlite_begin="") if self.is_sqlite else self.engine
        )
        self.tables: list[Table] = [model.__table__ for model in tables]  # type: ignore[attr-defined]
        self._writing = threading.RLock() if self.is_sqlite else None
        """SQLite takes one writer at a time: this process's writers queue here, each woken the moment the
        previous one commits, instead of polling the file lock in SQLite's busy handler (1, 2, 5, 10… ms
        sleeps). The busy timeout still covers other processes (``socle seed``)."""

    def create_tables(self) -> None:
        """Create the schema and missing tables; nothing connects before this (a dead database fails here).

        On PostgreSQL it runs under an advisory lock, so instances starting together don't race on the
        catalogue (``pg_type`` unique violations).
        """
        if self.is_sqlite:
            SQLModel.metadata.create_all(self.engine, tables=self.tables)
            return
        with self.engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext('socle-create-tables'))"))
            if self.schema:
                connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"'))
            SQLModel.metadata.create_all(connection, tables=self.tables)

    def clear(self) -> None:
        """Delete every row of this service's tables (``/_sim/reset``), children first."""
        with self.transaction() as session:
            for table in reversed(SQLModel.metadata.sorted_tables):
                if table in self.tables:
                    session.execute(table.delete())

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits at the end of the block, or rolls back on any exception."""
        if self._writing is None:
            with Session(self._writer, expire_on_commit=False) as session, session.begin():
                yield session
            return
        with self._writing, Session(self._writer, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def connection_transaction(self) -> Iterator[Connection]:
        """:meth:`transaction` without the ORM: a Core connection whose work commits at the end of the
        block, or rolls back on any exception, under the same writer lock and ``BEGIN IMMEDIATE``.

        For writers made of Core statements: a session costs its own objects, a flush check and a
        connection look-up around every statement, about as much as a key-by-key statement itself.
        """
        if self._writing is None:
            with self._writer.begin() as connection:
                yield connection
            return
        with self._writing, self._writer.begin() as connection:
            yield connection

    @contextmanager
    def connection_reader(self, *, snapshot: bool = True) -> Iterator[Connection]:
        """:meth:`reader` without the ORM: a Core connection, rolled back (never committed) at the end."""
        with (self.engine if snapshot else self._statementwise).connect() as connection:
            yield connection

    @contextmanager
    def reader(self, *, snapshot: bool = True) -> Iterator[Session]:
        """A read-only session (no write lock taken on SQLite).

        Without ``snapshot`` each statement sees the latest commit on its own, as every statement does
        under PostgreSQL's READ COMMITTED: SQLite then skips the ``BEGIN`` and the rollback, for readers
        whose statements need no common view and that write nothing (writes would commit at once).
        """
        with Session(self.engine if snapshot else self._statementwise, expire_on_commit=False) as session:
            yield session

    async def write(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one transaction on a worker thread, so the event loop never waits on the disk."""

        def run() -> T:
            with self.transaction() as session:
                return work(session)

        return await off_loop(run)

    async def read(self, work: Callable[[Session], T], *, snapshot: bool = True) -> T:
        def run() -> T:
            with self.reader(snapshot=snapshot) as session:
                return work(session)

        return await off_loop(run)

    def dispose(self) -> None:
        self.engine.dispose()
