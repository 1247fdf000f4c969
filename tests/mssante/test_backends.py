"""Mailbox storage on both backends: SQLite, and PostgreSQL when ``SOCLE_TEST_POSTGRES_URL`` is set
(``.ci/postgres``): delivery through the real pipeline, then every store operation IMAP and the API use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest

from services.mssante import store
from services.mssante.settings import MssSettings
from tests.support import fresh_postgres_database

from .builders import message
from .test_rules import COLLEAGUE, DOCTOR, REFERENCE, _database, _document, _submit


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    with fresh_postgres_database("mss") as url:
        yield url


def test_store_cycle(tmp_path: Path, database_url: str | None) -> None:
    settings = MssSettings(service="mssante", data_dir=tmp_path, database_url=database_url)
    database = _database(settings)
    document = _submit(settings, database, _document())
    plain = message(DOCTOR, [COLLEAGUE], "Simple é").as_bytes(policy=policy.SMTP)
    _submit(settings, database, plain)
    assert document.patient_ins == REFERENCE
    with database.reader() as session:
        total, found = store.search(session, address="PAUL.DUROC", subject="simple")
        assert total == 1 and found[0].subject == "Simple é"
        assert store.search(session, patient=REFERENCE)[0] == 1
        newest = store.latest(session, address=COLLEAGUE)
        assert newest is not None and newest.uid == 2
        assert store.search(session, since=newest.received_at + timedelta(seconds=1))[0] == 0
        listing = store.listing(session, address=COLLEAGUE)
        assert [m.uid for m in listing] == [1, 2]
        assert store.raw_by_uid(session, address=COLLEAGUE, uids=[2])[2].endswith(plain)
    with database.transaction() as session:
        assert store.set_flags(session, address=COLLEAGUE, uids=[1], flags=["\\Deleted"], mode="+") == {
            1: ["\\Deleted"]
        }
        assert store.expunge(session, address=COLLEAGUE) == [1]
    with database.reader() as session:
        box = store.mailbox(session, address=COLLEAGUE)
        assert box is not None and box.used_bytes == newest.size and box.uid_next == 3
    with database.transaction() as session:
        assert store.delete_message(session, message_id=newest.id) is True  # type: ignore[arg-type]
        assert store.purge(session) == 0
    with database.reader() as session:
        assert store.mailbox(session, address=COLLEAGUE).used_bytes == 0  # type: ignore[union-attr]
    database.dispose()
