"""The traffic record survives an exchange the database refuses: every other exchange is kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.kernel.db import Database
from services.kernel.traffic import Exchange, TrafficRecorder


def exchange(path: str, **extra: Any) -> dict[str, Any]:
    return (
        dict(
            time=datetime.now(UTC),
            service="dmp",
            method="GET",
            path=path,
            query="",
            status=200,
            duration_ms=1.0,
            request_headers={},
            response_headers={},
            notes={},
        )
        | extra
    )


def test_one_refused_exchange_does_not_stop_the_record(tmp_path: Path) -> None:
    recorder = TrafficRecorder(
        Database(f"sqlite:///{tmp_path}/t.db", [Exchange]), body_limit=100, flush_seconds=1
    )
    recorder.database.create_tables()

    async def scenario() -> list[Exchange]:
        # bypasses add()'s escaping, as any other content the database might refuse would
        recorder._pending = [exchange("/a"), exchange("/b\ud800", request_body="\ud800"), exchange("/c")]
        await recorder.flush()
        recorder.add(exchange("/d", request_body="\ud800 escaped by add()"))
        _, rows = await recorder.query({})
        return list(rows)

    rows = asyncio.run(scenario())
    assert [row.path for row in rows] == ["/a", "/b\\ud800", "/c", "/d"]
    assert "unrecorded" in rows[1].notes and rows[1].request_body is None
    assert rows[3].request_body == "\\ud800 escaped by add()"
