"""The console's settings and its two tables: pending logins and logged-in sessions.

Both live in the database, not in memory, so a login started on one console instance finishes on
another and a restart does not log everybody out (contract: everything that must survive a restart
is in the database).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from services.kernel.settings import Settings


class ConsoleSettings(Settings):
    stack_url: str | None = None
    """Base URL of the stack when the console runs alone (compose); unset when mounted in ``socle up``."""

    session_hours: float = 4.0
    """PSC's own session lifetime (psc.md: session 4 h), so the console never outlives it."""


class PendingLogin(SQLModel, table=True):
    """A login under way: a code flow waiting for its callback, or a CIBA request waiting for approval."""

    __tablename__ = "console_pending_login"
    state: str = Field(primary_key=True)
    kind: str
    """``code`` or ``ciba``."""
    created: datetime
    code_verifier: str = ""
    nonce: str = ""
    auth_req_id: str = ""
    login_hint: str = ""
    binding_message: str = ""
    interval: int = 1
    expires: datetime


class ConsoleSession(SQLModel, table=True):
    __tablename__ = "console_session"
    id: str = Field(primary_key=True)
    created: datetime
    expires: datetime
    idnat: str
    name: str
    profession: str = ""
    auth_mode: str = ""
    access_token: str
    refresh_token: str = ""
    id_token: str = ""
    access_expires: datetime


class ConformanceRun(SQLModel, table=True):
    """A conformance run started from the console; its reports are files in the run's folder."""

    __tablename__ = "console_conformance_run"
    id: str = Field(primary_key=True)
    started: datetime
    profile: str
    driver: str
    status: str = "running"
    """running, passed, failed (some DOIT requirement not passed), error, interrupted."""
    exit_code: int | None = None
    finished: datetime | None = None
