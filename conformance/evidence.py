"""The evidence of one scenario: the exchanges the software under test made, and what its driver said.

Exchanges come from the stack's traffic record (``/_sim/traffic``), kept when they belong to the
scenario: tagged with its run tag (``X-Socle-Run``), or made with its PSC client. Calls a service makes
to its peers carry the internal secret header and are left out: they are the simulator's own doing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email import policy
from email.parser import Parser
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from .checks import fail

INTERNAL_HEADER = "x-socle-internal"
BODY_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Exchange:
    """One recorded HTTP exchange, as ``/_sim/traffic`` serves it."""

    raw: dict[str, Any]

    @property
    def id(self) -> int:
        return int(self.raw["id"])

    @property
    def service(self) -> str:
        return str(self.raw["service"])

    @property
    def method(self) -> str:
        return str(self.raw["method"])

    @property
    def path(self) -> str:
        return str(self.raw["path"])

    @property
    def status(self) -> int:
        return int(self.raw["status"])

    @property
    def client_id(self) -> str | None:
        return self.raw.get("client_id")

    @property
    def idnat(self) -> str | None:
        return self.raw.get("idnat")

    @property
    def patient(self) -> str | None:
        return self.raw.get("patient")

    @property
    def internal(self) -> bool:
        return INTERNAL_HEADER in self.request_headers

    @property
    def request_headers(self) -> dict[str, str]:
        return dict(self.raw.get("request_headers") or {})

    @property
    def response_headers(self) -> dict[str, str]:
        return dict(self.raw.get("response_headers") or {})

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (first value of each); secrets read ``***`` but their keys are kept."""
        return {key: values[0] for key, values in parse_qs(self.raw.get("query") or "").items()}

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.raw.get("request_body") or "", keep_blank_values=True))

    def json(self, *, response: bool = True) -> Any:
        """The JSON body of the response (or of the request); None when it is not JSON."""
        body = self.raw.get("response_body" if response else "request_body")
        try:
            return json.loads(body) if body else None
        except ValueError:
            return None

    @property
    def bearer(self) -> bool:
        return self.request_headers.get("authorization", "").lower().startswith("bearer ")

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 400

    def summary(self) -> str:
        query = f"?{self.raw['query']}" if self.raw.get("query") else ""
        query = query if len(query) <= 60 else query[:57] + "..."
        return f"#{self.id} {self.method} {self.service}{self.path}{query} → {self.status}"


def message_exchange(message: dict[str, Any]) -> Exchange:
    """An MSSanté message shown as an exchange: its source as the request, its findings as the answer."""
    raw = message.get("raw") or ""
    head = raw.split("\r\n\r\n", 1)[0].split("\n\n", 1)[0]
    headers = dict(Parser(policy=policy.default).parsestr(head, headersonly=True).items())
    answer = {
        key: message.get(key) for key in ("mailbox", "recipients", "patient_ins", "conformant", "findings")
    }
    return Exchange(
        {
            "id": message["id"],
            "service": "mssante",
            "method": "SMTP",
            "path": f"/messages/{message['id']}",
            "query": "",
            "status": 250,
            "request_headers": {k.lower(): str(v) for k, v in headers.items()},
            "request_body": raw[:BODY_LIMIT],
            "response_headers": {},
            "response_body": json.dumps(answer, ensure_ascii=False),
        }
    )


@dataclass
class DriverOutcome:
    """What the driver process did: exit code, whether it hung, what it reported, its output tail."""

    exit_code: int | None
    timed_out: bool = False
    reported: dict[str, Any] = field(default_factory=dict)
    output: str = ""
    error: str = ""

    @property
    def refused(self) -> bool:
        """The software reported that it refused to go on (negative scenarios expect it)."""
        return self.reported.get("outcome") == "refused"

    @property
    def completed(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    def describe(self) -> str:
        if self.error:
            return self.error
        if self.timed_out:
            return "the driver did not finish before the scenario timeout"
        return f"the driver exited with code {self.exit_code}"


@dataclass
class ScenarioEvidence:
    scenario: str
    run_id: str
    client_id: str
    patient: str
    professional: str
    exchanges: list[Exchange]
    driver: DriverOutcome
    faults: list[dict[str, Any]] = field(default_factory=list)
    messages: list[Exchange] = field(default_factory=list)
    """MSSanté messages the software sent in the scenario (method ``SMTP``), one per mailbox copy."""
    used: list[Exchange] = field(default_factory=list)
    """Exchanges a check looked at: shown with its result in the reports."""

    def http(
        self,
        service: str | None = None,
        *,
        method: str | None = None,
        path: str | None = None,
        contains: str | None = None,
    ) -> list[Exchange]:
        """Vendor exchanges matching every given filter, in the order they happened (and noted as used)."""
        found = [
            ex
            for ex in self.exchanges
            if (service is None or ex.service == service)
            and (method is None or ex.method == method)
            and (path is None or ex.path == path or ex.path.endswith(path))
            and (contains is None or contains in ex.path)
        ]
        self.used.extend(ex for ex in found if ex not in self.used)
        return found

    def require(self, what: str, **filters: Any) -> list[Exchange]:
        """Like :meth:`http`, but an empty result fails the check: no evidence is never a pass."""
        found = self.http(**filters)
        if not found:
            if not self.exchanges:
                fail(f"no evidence: the software made no request in this scenario ({self.driver.describe()})")
            fail(f"no evidence of {what} in this scenario")
        return found

    def sent(self) -> list[Exchange]:
        """The copies of every message the software sent (noted as used); none fails the check."""
        if not self.messages:
            fail(f"no evidence: no MSSanté message was sent in this scenario ({self.driver.describe()})")
        self.used.extend(ex for ex in self.messages if ex not in self.used)
        return self.messages
