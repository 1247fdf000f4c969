"""The directory's tables: each resource as JSON, and one indexed row per searchable value.

``annuaire_index`` is what searches read: ``(type, param, value)`` is indexed so an exact lookup such as
MSSanté's ``mailbox-mss=<address>`` is one index probe; ``value`` holds strings folded to uppercase
without accents (case- and accent-insensitive search), ``exact`` the text as published (``:exact``).
"""

from __future__ import annotations

from sqlalchemy import Index, String, Text
from sqlmodel import Column, Field, SQLModel

CODEPOINT_ORDER = String(512).with_variant(String(512, collation="C"), "postgresql")
"""Values sort by code point on every database (SQLite's default; PostgreSQL's "C" collation), so a
prefix search is an index range ``prefix <= value < next(prefix)`` rather than a scan."""


class DirectoryResource(SQLModel, table=True):
    __tablename__ = "annuaire_resource"
    resource_type: str = Field(primary_key=True, max_length=32)
    id: str = Field(primary_key=True, max_length=64)
    last_updated: str = Field(index=True, max_length=32)
    """UTC, ``YYYY-MM-DDTHH:MM:SS.ffffff``: sorts and compares as text the same on every database."""
    body: str = Field(sa_column=Column(Text, nullable=False))


class DirectoryIndex(SQLModel, table=True):
    __tablename__ = "annuaire_index"
    __table_args__ = (
        Index("ix_annuaire_index_lookup", "resource_type", "param", "value"),
        Index("ix_annuaire_index_owner", "resource_type", "resource_id"),
    )
    row: int | None = Field(default=None, primary_key=True)
    resource_type: str = Field(max_length=32)
    resource_id: str = Field(max_length=64)
    param: str = Field(max_length=48)
    system: str = Field(default="", max_length=255)
    value: str = Field(sa_column=Column(CODEPOINT_ORDER, nullable=False))
    exact: str = Field(max_length=512)
