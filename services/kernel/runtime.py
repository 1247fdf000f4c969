"""What the services of one process share: the traffic record, fault rules, the peer transport.

The runner builds one :class:`Runtime` for the whole stack; a service run alone builds its own. Each
service app registers itself here so that ``/_sim`` can report its readiness and reset its data.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI

from .db import Database
from .faults import FaultBook
from .fixtures import Fixtures, build_fixtures
from .settings import Settings
from .traffic import Exchange, TrafficRecorder


@dataclass
class Component:
    """Something a service needs up before it is ready: its database, a listener, a peer."""

    status: str = "starting"
    detail: str = ""
    url: str | None = None


@dataclass
class Readiness:
    components: dict[str, Component] = field(default_factory=lambda: {"app": Component()})

    def set(self, name: str, status: str, detail: str = "", url: str | None = None) -> None:
        self.components[name] = Component(status, detail, url)

    @property
    def ready(self) -> bool:
        return all(component.status == "ready" for component in self.components.values())

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ready" if self.ready else "starting",
            "components": {
                name: {k: v for k, v in vars(c).items() if v} for name, c in self.components.items()
            },
        }


ResetHook = Callable[[], Awaitable[None]]


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.apps: dict[str, FastAPI] = {}
        self.faults = FaultBook()
        self.recorder = TrafficRecorder(
            Database(settings.traffic_database(), [Exchange], schema="traffic"),
            body_limit=settings.traffic_body_limit,
            flush_seconds=settings.traffic_flush_seconds,
        )
        self._fixtures: Fixtures | None = None
        self.internal_token = settings.internal_token or secrets.token_urlsafe(32)

    def register(self, name: str, app: FastAPI) -> None:
        self.apps[name] = app

    @property
    def fixtures(self) -> Fixtures:
        """The fixed test data of the contract, built once per process (pure, deterministic)."""
        if self._fixtures is None:
            self._fixtures = build_fixtures(self.settings)
        return self._fixtures

    @asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        self.recorder.start()
        try:
            yield
        finally:
            await self.recorder.stop()
            self.recorder.database.dispose()
