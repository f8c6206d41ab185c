"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 08:26:19.829516
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from machtigen.db import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "afnemer",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("oin", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("legally_required_digital", sa.Boolean(), nullable=False),
        sa.Column("read_state_legal_basis", sa.Boolean(), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("oin"),
    )
    op.create_table(
        "office",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kvk_number", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kvk_number"),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("bsn", sqlmodel.sql.sqltypes.AutoString(length=9), nullable=True),
        sa.Column("given_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("family_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("non_resident", sa.Boolean(), nullable=False),
        sa.Column("postal_address", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("preferred_language", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bsn"),
    )
    op.create_table(
        "account",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("paper_only", sa.Boolean(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column("email_confirmed_at", UTCDateTime(), nullable=True),
        sa.Column("repeat_reminders", sa.Boolean(), nullable=False),
        sa.Column("activated_at", UTCDateTime(), nullable=True),
        sa.Column("deactivated_at", UTCDateTime(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("last_visit_at", UTCDateTime(), nullable=True),
        sa.Column("afnemers_reviewed_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "audit_event",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("actor_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("actor_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("actor_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("subject_person_id", sa.Uuid(), nullable=True),
        sa.Column("object_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("object_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=45), nullable=True),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("means", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("loa", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["subject_person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_subject_seq", ["subject_person_id", "seq"], unique=False)

    op.create_table(
        "consent",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("afnemer_id", sa.Uuid(), nullable=False),
        sa.Column("opted_in", sa.Boolean(), nullable=False),
        sa.Column("previous_opted_in", sa.Boolean(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("effective_at", UTCDateTime(), nullable=False),
        sa.Column("share_read_state", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["afnemer_id"],
            ["afnemer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "afnemer_id"),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_afnemer_id"), ["afnemer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_person_id"), ["person_id"], unique=False)

    op.create_table(
        "eidas_identity",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "person_identifier", sqlmodel.sql.sqltypes.AutoString(length=256), nullable=False
        ),
        sa.Column("first_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("family_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("match", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_identifier"),
    )
    with op.batch_alter_table("eidas_identity", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_eidas_identity_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "folder",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "name"),
    )
    with op.batch_alter_table("folder", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_folder_person_id"), ["person_id"], unique=False)

    op.create_table(
        "legal_measure",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("register_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("subject_person_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("representative_person_id", sa.Uuid(), nullable=True),
        sa.Column("representative_office_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", UTCDateTime(), nullable=False),
        sa.Column("ends_at", UTCDateTime(), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "(representative_person_id IS NULL) <> (representative_office_id IS NULL)",
            name="measure_one_representative",
        ),
        sa.ForeignKeyConstraint(
            ["representative_office_id"],
            ["office.id"],
        ),
        sa.ForeignKeyConstraint(
            ["representative_person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["subject_person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("register_id"),
    )
    with op.batch_alter_table("legal_measure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_legal_measure_subject_person_id"), ["subject_person_id"], unique=False
        )
        batch_op.create_index("ix_measure_rep_office", ["representative_office_id"], unique=False)
        batch_op.create_index("ix_measure_rep_person", ["representative_person_id"], unique=False)

    op.create_table(
        "mandate",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("represented_person_id", sa.Uuid(), nullable=False),
        sa.Column("representative_person_id", sa.Uuid(), nullable=True),
        sa.Column("representative_office_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("initiated_by", sa.String(length=16), nullable=False),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("valid_until", UTCDateTime(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("end_reason", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.CheckConstraint(
            "(representative_person_id IS NULL) <> (representative_office_id IS NULL)",
            name="mandate_one_representative",
        ),
        sa.CheckConstraint("valid_from < valid_until", name="mandate_valid_period"),
        sa.ForeignKeyConstraint(
            ["representative_office_id"],
            ["office.id"],
        ),
        sa.ForeignKeyConstraint(
            ["representative_person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["represented_person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id", "represented_person_id", name="uq_mandate_id_represented"),
    )
    with op.batch_alter_table("mandate", schema=None) as batch_op:
        batch_op.create_index(
            "ix_mandate_rep_office_status", ["representative_office_id", "status"], unique=False
        )
        batch_op.create_index(
            "ix_mandate_rep_person_status", ["representative_person_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mandate_represented_person_id"), ["represented_person_id"], unique=False
        )

    op.create_table(
        "office_staff",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("office_id", sa.Uuid(), nullable=False),
        sa.Column("employee_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"],
            ["office.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("office_id", "employee_id"),
    )
    with op.batch_alter_table("office_staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_office_staff_office_id"), ["office_id"], unique=False)

    op.create_table(
        "service",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("afnemer_id", sa.Uuid(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["afnemer_id"],
            ["afnemer.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("afnemer_id", "code"),
    )
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_afnemer_id"), ["afnemer_id"], unique=False)

    op.create_table(
        "mandate_scope",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("mandate_id", sa.Uuid(), nullable=False),
        sa.Column("represented_person_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("lapsed_by_measure_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["lapsed_by_measure_id"],
            ["legal_measure.id"],
        ),
        sa.ForeignKeyConstraint(
            ["mandate_id", "represented_person_id"],
            ["mandate.id", "mandate.represented_person_id"],
            name="fk_scope_mandate_represented",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("mandate_scope", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mandate_scope_mandate_id"), ["mandate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_mandate_scope_service_id"), ["service_id"], unique=False
        )
        batch_op.create_index(
            "ix_scope_represented_service", ["represented_person_id", "service_id"], unique=False
        )

    op.create_table(
        "message",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("afnemer_id", sa.Uuid(), nullable=False),
        sa.Column("service_id", sa.Uuid(), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("action_text", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("channel_reason", sa.String(length=32), nullable=False),
        sa.Column("folder_id", sa.Uuid(), nullable=True),
        sa.Column("archived_at", UTCDateTime(), nullable=True),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("request_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["afnemer_id"],
            ["afnemer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["folder_id"],
            ["folder.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["service.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("afnemer_id", "idempotency_key"),
    )
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_message_afnemer_id"), ["afnemer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_message_folder_id"), ["folder_id"], unique=False)
        batch_op.create_index(
            "ix_message_person_received", ["person_id", "received_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_message_service_id"), ["service_id"], unique=False)

    op.create_table(
        "message_read",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("reader_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reader_id", sa.Uuid(), nullable=False),
        sa.Column("read_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id", "reader_kind", "reader_id"),
    )
    with op.batch_alter_table("message_read", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_read_message_id"), ["message_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("message_read", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_read_message_id"))

    op.drop_table("message_read")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_service_id"))
        batch_op.drop_index("ix_message_person_received")
        batch_op.drop_index(batch_op.f("ix_message_folder_id"))
        batch_op.drop_index(batch_op.f("ix_message_afnemer_id"))

    op.drop_table("message")
    with op.batch_alter_table("mandate_scope", schema=None) as batch_op:
        batch_op.drop_index("ix_scope_represented_service")
        batch_op.drop_index(batch_op.f("ix_mandate_scope_service_id"))
        batch_op.drop_index(batch_op.f("ix_mandate_scope_mandate_id"))

    op.drop_table("mandate_scope")
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_afnemer_id"))

    op.drop_table("service")
    with op.batch_alter_table("office_staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_staff_office_id"))

    op.drop_table("office_staff")
    with op.batch_alter_table("mandate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mandate_represented_person_id"))
        batch_op.drop_index("ix_mandate_rep_person_status")
        batch_op.drop_index("ix_mandate_rep_office_status")

    op.drop_table("mandate")
    with op.batch_alter_table("legal_measure", schema=None) as batch_op:
        batch_op.drop_index("ix_measure_rep_person")
        batch_op.drop_index("ix_measure_rep_office")
        batch_op.drop_index(batch_op.f("ix_legal_measure_subject_person_id"))

    op.drop_table("legal_measure")
    with op.batch_alter_table("folder", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_folder_person_id"))

    op.drop_table("folder")
    with op.batch_alter_table("eidas_identity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_eidas_identity_person_id"))

    op.drop_table("eidas_identity")
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_person_id"))
        batch_op.drop_index(batch_op.f("ix_consent_afnemer_id"))

    op.drop_table("consent")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_subject_seq")

    op.drop_table("audit_event")
    op.drop_table("account")
    op.drop_table("person")
    op.drop_table("office")
    op.drop_table("afnemer")
