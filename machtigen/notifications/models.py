"""The notification outbox, follow-up per message, paper letters, afnemer events."""

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import JSON, Column, Index, String, Text
from sqlmodel import Field, SQLModel

from machtigen.models_base import enum_field, foreign_key, id_field, moment, sequence_field


class NotificationKind(StrEnum):
    NEW_MESSAGE = "new_message"
    REMINDER = "reminder"
    MANDATE_CHANGE = "mandate_change"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    """Waiting for its next attempt at ``available_at``."""
    SENDING = "sending"
    """Claimed by a sender until ``available_at`` (the lease); reclaimed after it."""
    SENT = "sent"
    BOUNCED = "bounced"
    """The receiving server refused the address on every attempt."""
    FAILED = "failed"
    """Gave up after the maximum number of attempts, none of them refused by the address's
    server (ours down, "try later" answers, timeouts)."""


class AttemptOutcome(StrEnum):
    """What the last attempt at one notification came to."""

    SENT = "sent"
    REFUSED = "refused"
    """The receiving server refused the address (a 5xx answer to RCPT): a bounce (rule 7)."""
    DEFERRED = "deferred"
    """Not delivered for a reason that may pass: a 4xx answer, a refusal of the message
    itself, our SMTP server unreachable, a time-out. Never counted against the address."""


class RecipientKind(StrEnum):
    OWNER = "owner"
    PERSON = "person"
    """A person representing the owner (voluntary mandate or court measure)."""
    STAFF = "staff"
    """An employee of a representative office."""


class Notification(SQLModel, table=True):
    """One e-mail to one address, written in the transaction of the act it reports.

    Subject and body are rendered when the row is written: they never contain the
    message itself. ``dedup_key`` makes writing it idempotent; the e-mail's
    Message-ID is derived from ``id``, so a resend after a crash carries the same one.
    """

    __table_args__ = (Index("ix_notification_status_available", "status", "available_at"),)

    id: UUID = id_field()
    kind: NotificationKind = enum_field(16)
    dedup_key: str = Field(max_length=200, unique=True)
    person_id: UUID = foreign_key("person.id")
    """Whose account the notification concerns."""
    message_id: UUID | None = foreign_key("message.id", nullable=True)
    mandate_id: UUID | None = foreign_key("mandate.id", nullable=True, index=False)
    recipient_kind: RecipientKind = enum_field(8)
    recipient_id: UUID
    email: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    body: str = Field(sa_type=Text)
    status: NotificationStatus = enum_field(8, default=NotificationStatus.PENDING)
    available_at: datetime = moment()
    claim_token: UUID | None = None
    attempts: int = 0
    last_attempt_at: datetime | None = moment(nullable=True)
    """When the last attempt ended (recorded with its outcome); None before the first."""
    last_outcome: AttemptOutcome | None = Field(default=None, sa_type=String(8), nullable=True)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = moment()
    sent_at: datetime | None = moment(nullable=True)


class BounceCount(SQLModel, table=True):
    """Consecutive refusals of an account owner's address; a successful delivery resets it,
    and so does a refusal of another address (the count is about one address)."""

    __tablename__ = "notification_bounce"

    person_id: UUID = Field(foreign_key="person.id", primary_key=True)
    address: str | None = Field(default=None, max_length=320)
    """The address ``consecutive`` counts the refusals of (lower case)."""
    consecutive: int = 0
    total: int = 0
    last_bounce_at: datetime | None = moment(nullable=True)
    escalated_address: str | None = Field(default=None, max_length=320)
    """The address a letter already went out for: no second letter while it keeps failing."""


class LetterReason(StrEnum):
    BOUNCED = "bounced"
    UNVISITED = "unvisited"


class LetterStatus(StrEnum):
    PENDING = "pending"
    WRITTEN = "written"


class Letter(SQLModel, table=True):
    """A paper letter to the person's postal address: rule 7's other channel."""

    __table_args__ = (Index("ix_letter_status_available", "status", "available_at"),)
    audit_type: ClassVar[str] = "letter"

    id: UUID = id_field()
    person_id: UUID = foreign_key("person.id")
    reason: LetterReason = enum_field(16)
    addressee: str = Field(max_length=400)
    postal_address: str = Field(max_length=500)
    language: str = Field(default="nl", max_length=2)
    unread_count: int = 0
    created_at: datetime = moment()
    status: LetterStatus = enum_field(8, default=LetterStatus.PENDING)
    available_at: datetime = moment()
    claim_token: UUID | None = None
    file_name: str | None = Field(default=None, max_length=200)
    written_at: datetime | None = moment(nullable=True)


class MessageFollowUp(SQLModel, table=True):
    """What the service did about one message: the one reminder, the letter, "not reached"."""

    __tablename__ = "message_follow_up"

    message_id: UUID = Field(foreign_key="message.id", primary_key=True)
    reminded_at: datetime | None = moment(nullable=True)
    letter_id: UUID | None = foreign_key("letter.id", nullable=True)
    not_reached_at: datetime | None = moment(nullable=True)
    """Set only where rule 8 lets the afnemer learn it: the delivery status it can fetch."""


class AfnemerEvent(SQLModel, table=True):
    """A CloudEvent (NL GOV profile) kept for the afnemer to fetch, in ``seq`` order."""

    __tablename__ = "afnemer_event"
    __table_args__ = (Index("ix_afnemer_event_afnemer_seq", "afnemer_id", "seq"),)

    seq: int | None = sequence_field()
    id: UUID = Field(unique=True)
    afnemer_id: UUID = foreign_key("afnemer.id", index=False)
    message_id: UUID = foreign_key("message.id")
    type: str = Field(max_length=200)
    source: str = Field(max_length=200)
    subject: str = Field(max_length=200)
    time: datetime = moment()
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
