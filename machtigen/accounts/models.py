"""The mailbox account of a person, and the folders in it."""

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from machtigen.models_base import enum_field, foreign_key, id_field, moment


class AccountState(StrEnum):
    CASCO = "casco"
    """Exists for everyone 14+ with a BSN; never activated by a mere login."""
    ACTIVATED = "activated"
    DEACTIVATED = "deactivated"
    CLOSED = "closed"


class Account(SQLModel, table=True):
    person_id: UUID = Field(foreign_key="person.id", primary_key=True)
    state: AccountState = enum_field(16, default=AccountState.CASCO)
    paper_only: bool = False
    """The central "I want everything on paper" switch (DOMAIN.md rule 4)."""
    email: str | None = Field(default=None, max_length=320)
    email_confirmed_at: datetime | None = moment(nullable=True)
    repeat_reminders: bool = True
    activated_at: datetime | None = moment(nullable=True)
    deactivated_at: datetime | None = moment(nullable=True)
    closed_at: datetime | None = moment(nullable=True)
    last_visit_at: datetime | None = moment(nullable=True)
    afnemers_reviewed_at: datetime | None = moment(nullable=True)
    """Until when the person has seen the list of afnemers; later joiners are asked about."""
    created_at: datetime = moment()


class Folder(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("person_id", "name"),)

    id: UUID = id_field()
    person_id: UUID = foreign_key("person.id")
    name: str = Field(max_length=100)
    created_at: datetime = moment()
