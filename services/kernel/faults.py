"""Fault injection: make a service answer with an error status or late, for a number of requests.

Conformance robustness scenarios use it (DMP unavailable, slow, 5xx) to see whether vendor software
retries or fails cleanly. Rules live in the process that serves the requests: they steer a test run,
they are not data the stack must keep across a restart.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import error_for_status, error_format_of, render_error
from .traffic import relative_path


class FaultRule(BaseModel):
    id: int = 0
    service: str = Field("*", description="service name, or * for every service")
    path: str = Field("", description="path prefix inside the service (empty: every path)")
    method: str | None = None
    status: int | None = Field(None, ge=400, le=599, description="answer this status instead of serving")
    latency_ms: int = Field(0, ge=0, le=120_000)
    count: int | None = Field(None, ge=1, description="how many requests to affect (empty: until cleared)")
    hits: int = 0


class FaultBook:
    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self._ids = itertools.count(1)

    def add(self, rule: FaultRule) -> FaultRule:
        rule = rule.model_copy(update={"id": next(self._ids), "hits": 0})
        self.rules.append(rule)
        return rule

    def clear(self) -> None:
        self.rules = []

    def take(self, service: str, method: str, path: str) -> FaultRule | None:
        """The first rule matching this request, counted as used (and dropped once exhausted)."""
        for rule in self.rules:
            if rule.service not in ("*", service) or not path.startswith(rule.path):
                continue
            if rule.method and rule.method.upper() != method:
                continue
            rule.hits += 1
            if rule.count is not None and rule.hits >= rule.count:
                self.rules.remove(rule)
            return rule
        return None

    def as_json(self) -> list[dict[str, Any]]:
        return [rule.model_dump() for rule in self.rules]


class FaultMiddleware:
    def __init__(self, app: ASGIApp, *, service: str, book: FaultBook, owner: Any) -> None:
        self.app = app
        self.service = service
        self.book = book
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.book.rules:
            await self.app(scope, receive, send)
            return
        path = relative_path(scope)
        rule = None if path.startswith("/_sim") else self.book.take(self.service, scope["method"], path)
        if rule and rule.latency_ms:
            await asyncio.sleep(rule.latency_ms / 1000)
        if rule and rule.status:
            error = error_for_status(rule.status, f"fault injected by /_sim/faults (rule {rule.id})")
            await render_error(error, error_format_of(self.owner, path))(scope, receive, send)
            return
        await self.app(scope, receive, send)
