"""notify: the last attempt of a notification, bounces per address, staff e-mail confirmation,
the person's chosen language, and mandates that lapsed under a court measure say so

Revision ID: 0009_notify
Revises: 0008_oidc_login
Create Date: 2026-11-29 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from machtigen.db import UTCDateTime

revision: str = "0009_notify"
down_revision: str | None = "0008_oidc_login"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_attempt_at", UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_outcome", sa.String(length=8), nullable=True))
    with op.batch_alter_table("notification_bounce", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=320), nullable=True))
    with op.batch_alter_table("office_staff", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_confirmed_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language_chosen_at", UTCDateTime(), nullable=True))

    # What is known of earlier attempts: a sent notification's attempt is its sending; a
    # refused one kept its error text. Staff addresses set so far count as confirmed now.
    op.execute(
        "UPDATE notification SET last_attempt_at = sent_at, last_outcome = 'sent'"
        " WHERE sent_at IS NOT NULL"
    )
    op.execute(
        "UPDATE notification SET last_outcome = 'refused'"
        " WHERE sent_at IS NULL AND status = 'bounced'"
    )
    op.execute("UPDATE office_staff SET email_confirmed_at = created_at WHERE email IS NOT NULL")
    op.execute(
        "UPDATE notification_bounce SET address = escalated_address"
        " WHERE escalated_address IS NOT NULL"
    )
    op.execute(
        "UPDATE mandate SET status = 'lapsed', end_reason = 'lapsed_by_legal_measure'"
        " WHERE end_reason = 'superseded_by_legal_measure'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE mandate SET status = 'revoked', end_reason = 'superseded_by_legal_measure'"
        " WHERE status = 'lapsed'"
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("language_chosen_at")
    with op.batch_alter_table("office_staff", schema=None) as batch_op:
        batch_op.drop_column("email_confirmed_at")
    with op.batch_alter_table("notification_bounce", schema=None) as batch_op:
        batch_op.drop_column("address")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("last_outcome")
        batch_op.drop_column("last_attempt_at")
