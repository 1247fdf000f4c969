"""SMTP and IMAP sessions in the traffic record, next to the HTTP exchanges the middleware records.

The conformance suite reads ``/_sim/traffic`` as evidence (SC.MSS/CONF.05-07: STARTTLS then XOAUTH2
with a PSC token; CONF.14-16: the X-MSS-* headers). Each AUTH outcome and each transaction outcome
becomes one exchange: ``method`` is the protocol, ``path`` the command, ``status`` the reply code.
Tokens and passwords never reach it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.kernel.traffic import TrafficRecorder

IMAP_STATUS = {"OK": 200, "NO": 401, "BAD": 400}
"""IMAP answers have no number: the record's ``status`` column gets the HTTP status of the same outcome."""


@dataclass(frozen=True)
class Evidence:
    recorder: TrafficRecorder

    def record(
        self,
        protocol: str,
        command: str,
        reply: str,
        *,
        started: float,
        client_id: str | None = None,
        idnat: str | None = None,
        patient: str | None = None,
        **notes: Any,
    ) -> None:
        code = reply[:3]
        status = int(code) if code.isdigit() else IMAP_STATUS.get(reply.split(" ", 1)[0], 0)
        self.recorder.add(
            {
                "time": datetime.now(UTC),
                "service": "mssante",
                "method": protocol,
                "path": command,
                "query": "",
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                "client_id": client_id or None,
                "idnat": idnat or None,
                "patient": patient,
                "run": None,
                "caller": None,
                "request_headers": {},
                "request_body": None,
                "response_headers": {},
                "response_body": reply,
                "notes": {key: value for key, value in notes.items() if value not in (None, "", [])},
            }
        )
