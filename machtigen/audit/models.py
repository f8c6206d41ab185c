"""The audit trail: one row per security-relevant act, written in the act's transaction."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from machtigen.models_base import moment, sequence_field


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_subject_seq", "subject_person_id", "seq"),)

    seq: int | None = sequence_field()
    occurred_at: datetime = moment()
    action: str = Field(max_length=64)
    actor_kind: str = Field(max_length=16)
    actor_id: str = Field(max_length=64)
    actor_name: str = Field(default="", max_length=200)
    subject_person_id: UUID | None = Field(default=None, foreign_key="person.id")
    """Whose account the act concerns (the represented person when a representative acts)."""
    object_type: str | None = Field(default=None, max_length=32)
    object_id: str | None = Field(default=None, max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    ip: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=300)
    means: str | None = Field(default=None, max_length=32)
    loa: str | None = Field(default=None, max_length=64)
