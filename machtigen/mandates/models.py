"""Voluntary mandates (granted by the person) and legal measures (from the court register)."""

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from machtigen.models_base import enum_field, foreign_key, id_field, moment

ONE_REPRESENTATIVE = "(representative_person_id IS NULL) <> (representative_office_id IS NULL)"


class MandateAction(StrEnum):
    READ = "read"
    MANAGE_FOLDERS = "manage_folders"
    MANAGE_CONSENTS = "manage_consents"
    RECEIVE_NOTIFICATIONS = "receive_notifications"
    READ_PERSONAL_DATA = "read_personal_data"
    """Account-level (no service): the personal-data section, only when granted."""


SERVICE_ACTIONS = frozenset(
    {
        MandateAction.READ,
        MandateAction.MANAGE_FOLDERS,
        MandateAction.MANAGE_CONSENTS,
        MandateAction.RECEIVE_NOTIFICATIONS,
    }
)


class MandateStatus(StrEnum):
    REQUESTED = "requested"
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"
    DECLINED = "declined"
    LAPSED = "lapsed"
    """Every part of it was taken over by a court measure (002 §5.1): nobody revoked it, and
    it stays lapsed when the measure ends; the person may grant it again."""


LAPSED_BY_LEGAL_MEASURE = "lapsed_by_legal_measure"
"""``Mandate.end_reason`` of a mandate that lapsed because a court measure covers its scope."""


class Initiator(StrEnum):
    REPRESENTED = "represented"
    REPRESENTATIVE = "representative"


class Mandate(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint(ONE_REPRESENTATIVE, name="mandate_one_representative"),
        CheckConstraint("valid_from < valid_until", name="mandate_valid_period"),
        Index("ix_mandate_rep_person_status", "representative_person_id", "status"),
        Index("ix_mandate_rep_office_status", "representative_office_id", "status"),
        UniqueConstraint("id", "represented_person_id", name="uq_mandate_id_represented"),
    )

    id: UUID = id_field()
    represented_person_id: UUID = foreign_key("person.id")
    representative_person_id: UUID | None = foreign_key("person.id", nullable=True, index=False)
    representative_office_id: UUID | None = foreign_key("office.id", nullable=True, index=False)
    status: MandateStatus = enum_field(16, default=MandateStatus.REQUESTED)
    initiated_by: Initiator = enum_field(16)
    valid_from: datetime = moment()
    valid_until: datetime = moment()
    created_at: datetime = moment()
    decided_at: datetime | None = moment(nullable=True)
    ended_at: datetime | None = moment(nullable=True)
    end_reason: str | None = Field(default=None, max_length=64)


class MandateScope(SQLModel, table=True):
    """One (service, action) pair of a mandate; service is empty for account-level actions.

    ``represented_person_id`` repeats the mandate's (a composite foreign key keeps them equal):
    oso's data filtering follows person → scope (many) → mandate (one), but not two "many" steps.
    """

    __tablename__ = "mandate_scope"
    __table_args__ = (
        ForeignKeyConstraint(
            ["mandate_id", "represented_person_id"],
            ["mandate.id", "mandate.represented_person_id"],
            name="fk_scope_mandate_represented",
        ),
        Index("ix_scope_represented_service", "represented_person_id", "service_id"),
        # A mandate's scope rows, with what the policy asks of them: an index-only scan when
        # the caseload joins an office's mandates to their scopes (benchmarks/caseload.py).
        Index(
            "ix_mandate_scope_mandate_cover",
            "mandate_id",
            postgresql_include=[
                "represented_person_id",
                "service_id",
                "action",
                "lapsed_by_measure_id",
            ],
        ),
    )

    id: UUID = id_field()
    mandate_id: UUID
    represented_person_id: UUID
    service_id: UUID | None = foreign_key("service.id", nullable=True)
    action: MandateAction = enum_field(32)
    lapsed_by_measure_id: UUID | None = foreign_key("legal_measure.id", nullable=True, index=False)
    """Set when a legal measure for the same scope replaced this part of the mandate."""


class MeasureKind(StrEnum):
    CURATELE = "curatele"
    BESCHERMINGSBEWIND = "beschermingsbewind"
    MENTORSCHAP = "mentorschap"
    FAILLISSEMENT = "faillissement"
    WSNP = "wsnp"


class LegalMeasure(SQLModel, table=True):
    """A court measure from the register (CCBR); it confers representation without consent."""

    __tablename__ = "legal_measure"
    __table_args__ = (
        CheckConstraint(ONE_REPRESENTATIVE, name="measure_one_representative"),
        Index("ix_measure_rep_person", "representative_person_id"),
        Index("ix_measure_rep_office", "representative_office_id"),
    )

    id: UUID = id_field()
    register_id: str = Field(max_length=64, unique=True)
    subject_person_id: UUID = foreign_key("person.id")
    kind: MeasureKind = enum_field(32)
    representative_person_id: UUID | None = foreign_key("person.id", nullable=True, index=False)
    representative_office_id: UUID | None = foreign_key("office.id", nullable=True, index=False)
    starts_at: datetime = moment()
    ends_at: datetime | None = moment(nullable=True)
    recorded_at: datetime = moment()
