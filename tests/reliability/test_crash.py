"""SIGKILL a loaded ``socle up`` at random moments, restart it on the same data, and check that every
acknowledged write is there whole and that nothing unacknowledged half-exists (SQLite WAL; the same
on PostgreSQL with ``SOCLE_TEST_POSTGRES_URL``)."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest

from tests.psc_login import login
from tests.support import RunningStack, start_stack

from .conftest import LONG, MT_IDNAT
from .load import Ledger, document_content, find_document, find_messages, message_source, publish, send_mail

KILLS = 12 if LONG else 3
WORKERS = 6


def hammer(
    stack: RunningStack, token: str, ledger: Ledger, write: Callable[..., None], stop: threading.Event
) -> None:
    with httpx.Client(base_url=stack.base_url, timeout=20) as client:
        while not stop.is_set():
            try:
                write(client, token, ledger)
            except httpx.HTTPError:
                if stack.process.poll() is not None:
                    return


def load_then_kill(stack: RunningStack, documents: Ledger, mails: Ledger, rng: random.Random) -> None:
    token = login(stack.base_url, idnat=MT_IDNAT)["access_token"]
    stop = threading.Event()
    writers = [
        threading.Thread(target=hammer, args=(stack, token, ledger, write, stop))
        for ledger, write in [(documents, publish), (mails, send_mail)] * (WORKERS // 2)
    ]
    for writer in writers:
        writer.start()
    time.sleep(rng.uniform(0.5, 2.5))
    os.kill(stack.process.pid, signal.SIGKILL)
    stack.process.wait()
    stop.set()
    for writer in writers:
        writer.join(timeout=60)


def check_nothing_lost(stack: RunningStack, documents: Ledger, mails: Ledger) -> None:
    token = login(stack.base_url, idnat=MT_IDNAT)["access_token"]
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        for key, content in documents.sent.items():
            found = find_document(client, token, key)
            if key in documents.acknowledged:
                assert len(found) == 1, f"acknowledged document {key} lost or doubled: {len(found)}"
            assert len(found) <= 1, f"document {key} stored twice"
            if found:  # acknowledged or not, what exists is whole: metadata and the very bytes
                assert document_content(client, token, found[0]) == content, f"document {key} is not whole"
        for key, text in mails.sent.items():
            found = find_messages(client, key)
            if key in mails.acknowledged:
                assert len(found) == 1, f"acknowledged message {key} lost or doubled: {len(found)}"
            assert len(found) <= 1, f"message {key} delivered twice"
            if found:
                parsed = message_from_bytes(message_source(client, found[0]["id"]), policy=policy.SMTP)
                assert parsed.get_body().get_content().strip() == text.decode().strip(), f"message {key} cut"


def crash_cycle(data_dir: Path, extra_args: tuple[str, ...] = ()) -> tuple[int, int, int]:
    rng = random.Random()
    documents, mails = Ledger(), Ledger()
    survived = 0
    for _ in range(KILLS):
        stack = start_stack(data_dir, extra_args=extra_args)
        load_then_kill(stack, documents, mails, rng)
        survived += 1
        restarted = start_stack(data_dir, extra_args=extra_args)
        try:
            check_nothing_lost(restarted, documents, mails)
        finally:
            restarted.stop()
    assert documents.acknowledged and mails.acknowledged, "the load wrote nothing: the test proved nothing"
    print(
        f"crashes survived: {survived}; acknowledged documents {len(documents.acknowledged)}"
        f"/{len(documents.sent)}, messages {len(mails.acknowledged)}/{len(mails.sent)}"
    )
    return survived, len(documents.acknowledged), len(mails.acknowledged)


@pytest.mark.timeout(900)
def test_sigkill_under_load_on_sqlite_loses_no_acknowledged_write(tmp_path: Path) -> None:
    survived, _, _ = crash_cycle(tmp_path / "data")
    assert survived == KILLS


@pytest.mark.postgres
@pytest.mark.timeout(900)
def test_sigkill_under_load_on_postgresql_loses_no_acknowledged_write(
    tmp_path: Path, database_url: str
) -> None:
    survived, _, _ = crash_cycle(tmp_path / "data", ("--database-url", database_url))
    assert survived == KILLS
