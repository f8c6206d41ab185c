"""Organisations that deliver post (afnemers) and the services they offer."""

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from machtigen.models_base import enum_field, foreign_key, id_field, moment


class ServiceCategory(StrEnum):
    """Which kind of legal representation covers a service (DOMAIN.md rule 11)."""

    FINANCIAL = "financial"
    PERSONAL_CARE = "personal_care"
    OTHER = "other"


class Afnemer(SQLModel, table=True):
    id: UUID = id_field()
    oin: str = Field(max_length=20, unique=True)
    name: str = Field(max_length=200)
    legally_required_digital: bool = False
    """Must deliver digitally by law (Belastingdienst, Wet EBV); never needs an opt-in."""
    read_state_legal_basis: bool = False
    """A configured legal basis to learn whether a message was read (DOMAIN.md rule 8)."""
    joined_at: datetime = moment()


class AfnemerArea(SQLModel, table=True):
    """A municipality an afnemer with a local task serves (a municipality serves itself, a
    water board the municipalities in its area). An afnemer without rows serves the whole
    country, and people abroad: it can concern anyone."""

    __tablename__ = "afnemer_area"

    afnemer_id: UUID = Field(foreign_key="afnemer.id", primary_key=True)
    municipality_code: str = Field(max_length=4, primary_key=True)


class Service(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("afnemer_id", "code"),)

    id: UUID = id_field()
    afnemer_id: UUID = foreign_key("afnemer.id")
    code: str = Field(max_length=64)
    name: str = Field(max_length=200)
    category: ServiceCategory = enum_field(32)
