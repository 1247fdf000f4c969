"""Tables of the MSSanté operator: hosted mailboxes and the messages delivered into them.

A message sent to three local recipients is stored as three rows, one per mailbox, as a real
operator stores one copy per box: each copy has its own IMAP UID and flags. The raw RFC 5322 bytes are
kept as received (plus our trace headers) so that IMAP and the API serve exactly what was delivered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, LargeBinary, UniqueConstraint
from sqlmodel import JSON, Column, Field, SQLModel

KIND_PATIENT = "PAT"
"""Mailbox of a patient (Mon espace santé); PER/ORG/APP/CAB come from TRE_R257-TypeBAL."""


class Mailbox(SQLModel, table=True):
    __tablename__ = "mss_mailbox"
    address: str = Field(primary_key=True)
    kind: str
    """PER, ORG, APP, CAB (TRE_R257) or PAT (patient)."""
    owner: str = ""
    """idNat of the professional, technical id of the structure, or the patient's INS."""
    members: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    """idNats allowed to open the box with a PSC token (the owner, or the structure's staff)."""
    display_name: str = ""
    uid_validity: int
    uid_next: int = 1
    used_bytes: int = 0
    """Size of the messages held, kept up to date by every store and delete (the quota reads it)."""
    created_at: datetime


class Message(SQLModel, table=True):
    __tablename__ = "mss_message"
    __table_args__ = (
        UniqueConstraint("mailbox", "uid", name="uq_mss_message_uid"),
        Index("ix_mss_message_time", "mailbox", "received_at"),
        Index("ix_mss_message_patient", "patient_ins"),
    )
    id: int | None = Field(default=None, primary_key=True)
    mailbox: str = Field(foreign_key="mss_mailbox.address", index=True)
    uid: int
    message_id: str = ""
    envelope_from: str = ""
    sender: str = ""
    recipients: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    subject: str = ""
    patient_ins: str | None = None
    kind: str = "message"
    """message, dsn (delivery report) or mdn (disposition notification)."""
    received_at: datetime
    size: int
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON))
    conformant: bool = True
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
