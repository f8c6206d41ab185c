"""where a person lives, and which municipalities an afnemer with a local task serves

Revision ID: 0011_portal_reach
Revises: 0010_audit_mac_and_partitions
Create Date: 2026-11-23 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_portal_reach"
down_revision: str | None = "0010_audit_mac_and_partitions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("municipality_code", sa.String(length=4), nullable=True))
    op.create_table(
        "afnemer_area",
        sa.Column("afnemer_id", sa.Uuid(), nullable=False),
        sa.Column("municipality_code", sa.String(length=4), nullable=False),
        sa.ForeignKeyConstraint(
            ["afnemer_id"], ["afnemer.id"], name="fk_afnemer_area_afnemer_id_afnemer"
        ),
        sa.PrimaryKeyConstraint("afnemer_id", "municipality_code"),
    )


def downgrade() -> None:
    op.drop_table("afnemer_area")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("municipality_code")
