"""The DMP's tables: each patient's DMP state, documents with their search keys, contents, history.

A DocumentReference is stored whole (``resource``, JSON as served) beside the columns ITI-67 searches
by, so a search is an indexed query plus one JSON load per hit. ``(patient_ins, status, date)`` is
the index every DMP query starts from (the consumer must send the patient and the status).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class DmpRecord(SQLModel, table=True):
    """One patient's DMP: state, opposition, médecin traitant, closure."""

    __tablename__ = "dmp_record"

    ins: str = Field(primary_key=True, max_length=15)
    state: str = Field(default="open", max_length=8)
    """open, closed or none (no DMP was ever created)."""
    opposition: bool = False
    medecin_traitant: str | None = Field(default=None, max_length=32)
    closed_at: str | None = None
    close_motif: str | None = None
    close_reason: str | None = None
    updated: str = ""


class DmpBlock(SQLModel, table=True):
    """A professional the patient has blocked from their DMP."""

    __tablename__ = "dmp_block"
    __table_args__ = (UniqueConstraint("ins", "idnat"),)

    id: int | None = Field(default=None, primary_key=True)
    ins: str = Field(index=True, max_length=15)
    idnat: str = Field(max_length=32)


class DmpDocument(SQLModel, table=True):
    """One DocumentReference (the current metadata version) and its search keys."""

    __tablename__ = "dmp_document"
    __table_args__ = (Index("ix_dmp_document_patient_status_date", "patient_ins", "status", "date"),)

    id: str = Field(primary_key=True, max_length=64)
    patient_ins: str = Field(max_length=15)
    status: str = Field(max_length=16)
    """current, superseded or entered-in-error (logically deleted)."""
    unique_id: str = Field(index=True)
    type_code: str = Field(max_length=64)
    class_code: str = Field(max_length=16)
    format_code: str = Field(max_length=128)
    facility_code: str = Field(max_length=32)
    setting_code: str = Field(max_length=32)
    security: str = Field(max_length=200)
    """Security-label codes framed by ``|`` (``|N|MASQUE_PS|``) so one LIKE finds a code."""
    event_codes: str = Field(default="|", max_length=500)
    related: str = Field(default="|", max_length=1000)
    """Identifiers of context.related (referenceIdList: order, accession, study), framed by ``|``."""
    is_archived: bool = False
    date: str = Field(max_length=32)
    creation: str = Field(max_length=32)
    period_start: str = Field(max_length=32)
    period_end: str = Field(default="", max_length=32)
    authors: str = Field(max_length=500)
    """IdNat of the authors and of the submitting professional, framed by ``|``."""
    author_names: str = Field(default="|", max_length=500)
    replaces: str = Field(default="", max_length=64)
    binary_id: str = Field(index=True, max_length=64)
    version: int = 1
    last_updated: str = Field(max_length=32)
    resource: str = Field(sa_column=Column(Text, nullable=False))


class DmpBinary(SQLModel, table=True):
    """The bytes of a document, as submitted (never modified)."""

    __tablename__ = "dmp_binary"

    id: str = Field(primary_key=True, max_length=64)
    content_type: str = Field(max_length=128)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class DmpSubmissionSet(SQLModel, table=True):
    """A submission-set List as received (immutable but for its status)."""

    __tablename__ = "dmp_submission_set"

    id: str = Field(primary_key=True, max_length=64)
    patient_ins: str = Field(index=True, max_length=15)
    unique_id: str = ""
    date: str = Field(max_length=32)
    resource: str = Field(sa_column=Column(Text, nullable=False))


class DmpAudit(SQLModel, table=True):
    """One access or change, served as an AuditEvent (IHE BALP style)."""

    __tablename__ = "dmp_audit"
    __table_args__ = (Index("ix_dmp_audit_patient_recorded", "patient_ins", "recorded"),)

    id: str = Field(primary_key=True, max_length=64)
    recorded: str = Field(max_length=32)
    patient_ins: str = Field(max_length=15)
    idnat: str = Field(default="", max_length=64)
    client_id: str = Field(default="", max_length=200)
    action: str = Field(max_length=1)
    """FHIR AuditEvent.action: C, R, U, D, E."""
    subtype: str = Field(max_length=64)
    mode: str = Field(default="normal", max_length=16)
    reason: str = ""
    outcome: str = Field(default="0", max_length=2)
    documents: str = ""
    description: str = ""


class DmpFirstAccess(SQLModel, table=True):
    """Which professional has already opened which DMP (the patient is told of each first access)."""

    __tablename__ = "dmp_first_access"

    ins: str = Field(primary_key=True, max_length=15)
    idnat: str = Field(primary_key=True, max_length=64)
    at: str = Field(max_length=32)


TABLES: list[type[SQLModel]] = [
    DmpRecord,
    DmpBlock,
    DmpDocument,
    DmpBinary,
    DmpSubmissionSet,
    DmpAudit,
    DmpFirstAccess,
]
