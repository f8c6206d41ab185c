"""Per-afnemer opt-in, with the moment a change takes effect for delivery."""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from sqlalchemy import UniqueConstraint
from sqlmodel import SQLModel

from machtigen.models_base import foreign_key, id_field, moment


class Consent(SQLModel, table=True):
    """Whether a person receives an afnemer's post digitally.

    A tick counts at once; an untick only from ``effective_at`` (the transition
    period), so until then ``previous_opted_in`` still governs delivery.
    """

    __table_args__ = (UniqueConstraint("person_id", "afnemer_id"),)
    audit_type: ClassVar[str] = "consent"

    id: UUID = id_field()
    person_id: UUID = foreign_key("person.id")
    afnemer_id: UUID = foreign_key("afnemer.id")
    opted_in: bool
    previous_opted_in: bool = False
    changed_at: datetime = moment()
    effective_at: datetime = moment(index=True)
    """Indexed: the jobs find the unticks that take effect."""
    share_read_state: bool = False
    """The person lets this afnemer learn whether a message was read (DOMAIN.md rule 8)."""

    def opted_in_at(self, at: datetime) -> bool:
        return self.opted_in if at >= self.effective_at else self.previous_opted_in


class Channel(StrEnum):
    DIGITAL = "digital"
    PAPER = "paper"
    BOTH = "both"


class DeliveryReason(StrEnum):
    OPTED_IN = "opted_in"
    NOT_OPTED_IN = "not_opted_in"
    PAPER_SWITCH = "paper_switch"
    DEACTIVATED = "deactivated"
    NEVER_ACTIVATED = "never_activated"
    EXEMPTED_GROUP = "exempted_group"
    LEGALLY_REQUIRED = "legally_required"
    NO_ACCOUNT = "no_account"
