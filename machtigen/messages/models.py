"""Messages delivered by afnemers, and who has read them."""

from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from machtigen.consents.models import Channel, DeliveryReason
from machtigen.models_base import enum_field, foreign_key, id_field, moment


class Message(SQLModel, table=True):
    """One delivery by an afnemer to a person, with the channel decided for it.

    A message decided ``paper`` is kept as a delivery record (for idempotent
    replays and its status) but never shows in the mailbox.
    """

    __table_args__ = (
        UniqueConstraint("afnemer_id", "idempotency_key"),
        Index("ix_message_person_received", "person_id", "received_at"),
        # The caseload counts a representative's clients' mailboxes per (person, service,
        # channel), the columns the policy decides on: an index-only scan in that order.
        Index(
            "ix_message_caseload",
            "person_id",
            "service_id",
            "channel",
            postgresql_include=["deadline", "id"],
            postgresql_where=text("archived_at IS NULL"),
            sqlite_where=text("archived_at IS NULL"),
        ),
    )
    audit_type: ClassVar[str] = "message"

    id: UUID = id_field()
    person_id: UUID = foreign_key("person.id", index=False)
    afnemer_id: UUID = foreign_key("afnemer.id")
    service_id: UUID = foreign_key("service.id")
    subject: str = Field(max_length=300)
    body: str
    action_text: str | None = Field(default=None, max_length=500)
    """What the person is asked to do (handelingsperspectief)."""
    deadline: date | None = None
    received_at: datetime = moment(index=True)
    """Indexed on its own too: the jobs scan all accounts' messages by age."""
    channel: Channel = enum_field(8)
    channel_reason: DeliveryReason = enum_field(32)
    folder_id: UUID | None = foreign_key("folder.id", nullable=True)
    archived_at: datetime | None = moment(nullable=True)
    idempotency_key: str | None = Field(default=None, max_length=128)
    request_hash: str | None = Field(default=None, max_length=64)


class MessageRead(SQLModel, table=True):
    """Per-reader read state: the owner and each representative read separately."""

    __tablename__ = "message_read"
    __table_args__ = (
        UniqueConstraint("message_id", "reader_kind", "reader_id"),
        # Everything one reader has opened: the caseload's unread counts per representative.
        Index("ix_message_read_reader", "reader_id", "reader_kind", "message_id"),
    )

    id: UUID = id_field()
    message_id: UUID = foreign_key("message.id")
    reader_kind: str = Field(max_length=16)
    reader_id: UUID
    read_at: datetime = moment()
