"""notifications: outbox, follow-up per message, letters, afnemer events, job leases

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 09:00:54.821252
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from machtigen.db import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_lease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("watermark", UTCDateTime(), nullable=True),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "letter",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("addressee", sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
        sa.Column("postal_address", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("unread_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("available_at", UTCDateTime(), nullable=False),
        sa.Column("claim_token", sa.Uuid(), nullable=True),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("written_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letter_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            "ix_letter_status_available", ["status", "available_at"], unique=False
        )

    op.create_table(
        "notification_bounce",
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("consecutive", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("last_bounce_at", UTCDateTime(), nullable=True),
        sa.Column("escalated_address", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("person_id"),
    )
    op.create_table(
        "afnemer_event",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("afnemer_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("time", UTCDateTime(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["afnemer_id"],
            ["afnemer.id"],
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
        ),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("id"),
    )
    with op.batch_alter_table("afnemer_event", schema=None) as batch_op:
        batch_op.create_index("ix_afnemer_event_afnemer_seq", ["afnemer_id", "seq"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_afnemer_event_message_id"), ["message_id"], unique=False
        )

    op.create_table(
        "message_follow_up",
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("reminded_at", UTCDateTime(), nullable=True),
        sa.Column("letter_id", sa.Uuid(), nullable=True),
        sa.Column("not_reached_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["letter_id"],
            ["letter.id"],
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
        ),
        sa.PrimaryKeyConstraint("message_id"),
    )
    with op.batch_alter_table("message_follow_up", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_follow_up_letter_id"), ["letter_id"], unique=False
        )

    op.create_table(
        "notification",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("dedup_key", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=True),
        sa.Column("mandate_id", sa.Uuid(), nullable=True),
        sa.Column("recipient_kind", sa.String(length=8), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("available_at", UTCDateTime(), nullable=False),
        sa.Column("claim_token", sa.Uuid(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mandate_id"],
            ["mandate.id"],
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedup_key"),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_message_id"), ["message_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_notification_person_id"), ["person_id"], unique=False)
        batch_op.create_index(
            "ix_notification_status_available", ["status", "available_at"], unique=False
        )

    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index("ix_consent_effective_at", ["effective_at"], unique=False)

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index("ix_message_received_at", ["received_at"], unique=False)

    with op.batch_alter_table("office_staff", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("office_staff", schema=None) as batch_op:
        batch_op.drop_column("email")

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index("ix_message_received_at")

    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_effective_at")

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_status_available")
        batch_op.drop_index(batch_op.f("ix_notification_person_id"))
        batch_op.drop_index(batch_op.f("ix_notification_message_id"))

    op.drop_table("notification")
    with op.batch_alter_table("message_follow_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_message_follow_up_letter_id"))

    op.drop_table("message_follow_up")
    with op.batch_alter_table("afnemer_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_afnemer_event_message_id"))
        batch_op.drop_index("ix_afnemer_event_afnemer_seq")

    op.drop_table("afnemer_event")
    op.drop_table("notification_bounce")
    with op.batch_alter_table("letter", schema=None) as batch_op:
        batch_op.drop_index("ix_letter_status_available")
        batch_op.drop_index(batch_op.f("ix_letter_person_id"))

    op.drop_table("letter")
    op.drop_table("job_lease")
