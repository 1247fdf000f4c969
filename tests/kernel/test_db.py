"""One process's SQLite writers queue on each other instead of failing on the file lock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, bindparam, insert, select, text

from services.kernel import db as db_module
from services.kernel.db import Database, Fixed
from services.kernel.traffic import Exchange

ROW = text(
    "INSERT INTO socle_exchange (time, service, method, path, query, status, duration_ms)"
    " VALUES ('2026-01-01 00:00:00', 's', 'GET', '/', '', 200, 1.0)"
)


def _second_writer_errors(database: Database, second: Callable[[], None]) -> list[Exception]:
    """What ``second`` raised while an ORM writer held the write lock far past the busy timeout."""
    holding = threading.Event()
    errors: list[Exception] = []

    def long_writer() -> None:
        with database.transaction() as session:
            session.execute(ROW)
            holding.set()
            time.sleep(0.3)

    def second_writer() -> None:
        try:
            second()
        except Exception as exc:  # "database is locked" without the in-process queue
            errors.append(exc)

    first = threading.Thread(target=long_writer)
    first.start()
    assert holding.wait(5)
    other = threading.Thread(target=second_writer)
    other.start()
    first.join()
    other.join()
    return errors


def test_a_writer_waits_for_a_transaction_that_outlasts_the_busy_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "SQLITE_BUSY_TIMEOUT_MS", 20)
    database = Database(f"sqlite:///{tmp_path}/w.db", [Exchange])
    database.create_tables()

    def orm_writer() -> None:
        with database.transaction() as session:
            session.execute(text("DELETE FROM socle_exchange"))

    assert _second_writer_errors(database, orm_writer) == []
    database.dispose()


@pytest.mark.parametrize("snapshot", [True, False])
def test_a_reader_without_snapshot_sees_each_commit_at_its_next_statement(
    tmp_path: Path, snapshot: bool
) -> None:
    database = Database(f"sqlite:///{tmp_path}/r.db", [Exchange])
    database.create_tables()
    count = text("SELECT count(*) FROM socle_exchange")
    with database.reader(snapshot=snapshot) as session:
        assert session.execute(count).scalar_one() == 0
        with database.transaction() as writer:
            writer.execute(ROW)
        seen = session.execute(count).scalar_one()
    database.dispose()
    assert seen == (0 if snapshot else 1)


def test_a_connection_transaction_queues_on_the_writers_and_commits_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "SQLITE_BUSY_TIMEOUT_MS", 20)
    database = Database(f"sqlite:///{tmp_path}/c.db", [Exchange])
    database.create_tables()
    count = text("SELECT count(*) FROM socle_exchange")

    def core_writer() -> None:
        with database.connection_transaction() as connection:
            connection.execute(ROW)

    assert _second_writer_errors(database, core_writer) == []  # it queued on the same lock
    with pytest.raises(RuntimeError), database.connection_transaction() as connection:
        connection.execute(ROW)
        raise RuntimeError("bad input")
    with database.connection_reader(snapshot=False) as connection:
        assert connection.execute(count).scalar_one() == 2  # the failed block left nothing
    database.dispose()


def test_a_fixed_statement_fills_defaults_reads_named_rows_and_rolls_back_with_its_transaction(
    tmp_path: Path,
) -> None:
    metadata = MetaData()
    notes = Table(
        "fixed_note",
        metadata,
        Column("key", String, primary_key=True),
        Column("size", Integer, nullable=False, default=7),
        Column("seen", Float),
    )
    database = Database(f"sqlite:///{tmp_path}/f.db", [])
    metadata.create_all(database.engine)
    add = Fixed(insert(notes))
    by_key = Fixed(select(notes.c.size, notes.c.seen.label("when")).where(notes.c.key == bindparam("key")))
    with database.connection_transaction() as connection:
        add.execute(connection, {"key": "a"})  # size from the column's default, seen NULL
        assert by_key.first(connection, {"key": "a"}) == (7, None)  # its own transaction's row
    with pytest.raises(RuntimeError), database.connection_transaction() as connection:
        add.execute(connection, {"key": "b", "size": 1, "seen": 2.5})
        assert by_key.first(connection, {"key": "b"}).when == 2.5
        raise RuntimeError("bad input")
    with database.connection_reader(snapshot=False) as connection:
        assert by_key.first(connection, {"key": "b"}) is None  # rolled back with the transaction
        found = by_key.execute(connection, {"key": "a"})
    database.dispose()
    assert [(row.size, row.when) for row in found] == [(7, None)]
