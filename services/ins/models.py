"""The identity base: one row per identity (traits stored in their INSi-normalised form), one row per
birth first name (so a query on any first name is an index lookup) and the INS history.

Matching reads ``ix_ins_identity_traits`` (birth name, birth date, sex): at a million identities that
narrows a query to a handful of rows before the pure rules of :mod:`services.ins.matching` run.
"""

from __future__ import annotations

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class Identity(SQLModel, table=True):
    __tablename__ = "ins_identity"
    __table_args__ = (
        Index("ix_ins_identity_traits", "birth_name", "birth_date", "sex"),
        Index("ix_ins_identity_nir", "nir"),
    )
    id: int = Field(primary_key=True)
    ins: str = Field(max_length=15, unique=True)
    nir: str = Field(max_length=13)
    key: str = Field(max_length=2)
    oid: str
    birth_name: str
    first_names: str
    """Every birth first name, space separated (INSi ``ListePrenom``)."""
    sex: str = Field(max_length=1)
    birth_date: str = Field(max_length=10)
    birth_place: str = Field(default="", max_length=5)
    identity_status: str = Field(default="QUAL", max_length=5)
    origin: str = Field(default="fixture")
    """``fixture`` (fixed test data) or ``bulk`` (``socle seed``)."""


class FirstName(SQLModel, table=True):
    __tablename__ = "ins_first_name"
    __table_args__ = (Index("ix_ins_first_name", "first_name", "identity_id"),)
    identity_id: int = Field(foreign_key="ins_identity.id", primary_key=True, ondelete="CASCADE")
    position: int = Field(primary_key=True)
    first_name: str


class HistoricIns(SQLModel, table=True):
    __tablename__ = "ins_history"
    __table_args__ = (Index("ix_ins_history_nir", "nir"),)
    identity_id: int = Field(foreign_key="ins_identity.id", primary_key=True, ondelete="CASCADE")
    position: int = Field(primary_key=True)
    nir: str = Field(max_length=13)
    key: str = Field(max_length=2)
    oid: str
    start: str | None = None
    end: str | None = None


TABLES: list[type[SQLModel]] = [Identity, FirstName, HistoricIns]
