"""staff assignments (an office administrator divides the clients) and the caseload's indexes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 10:26:31.979285
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from machtigen.db import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_assignment",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("staff_id", sa.Uuid(), nullable=False),
        sa.Column("client_person_id", sa.Uuid(), nullable=False),
        sa.Column("assigned_at", UTCDateTime(), nullable=False),
        sa.Column("assigned_by_staff_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_staff_id"],
            ["office_staff.id"],
            name="fk_staff_assignment_assigned_by_staff_id_office_staff",
        ),
        sa.ForeignKeyConstraint(
            ["client_person_id"],
            ["person.id"],
            name="fk_staff_assignment_client_person_id_person",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["office_staff.id"], name="fk_staff_assignment_staff_id_office_staff"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "client_person_id", "staff_id", name="uq_staff_assignment_client_staff"
        ),
    )
    with op.batch_alter_table("staff_assignment", schema=None) as batch_op:
        batch_op.create_index("ix_staff_assignment_staff_id", ["staff_id"], unique=False)

    with op.batch_alter_table("office", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("assigns_clients", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    # The caseload (benchmarks/caseload.py): the clients' unarchived messages in the order the
    # policy decides on them, everything one representative has read, and a mandate's scope
    # rows with the columns the policy reads (replacing the plain index on mandate_id).
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.create_index(
            "ix_message_caseload",
            ["person_id", "service_id", "channel"],
            unique=False,
            postgresql_include=["deadline", "id"],
            postgresql_where=sa.text("archived_at IS NULL"),
            sqlite_where=sa.text("archived_at IS NULL"),
        )
    with op.batch_alter_table("message_read", schema=None) as batch_op:
        batch_op.create_index(
            "ix_message_read_reader", ["reader_id", "reader_kind", "message_id"], unique=False
        )
    with op.batch_alter_table("mandate_scope", schema=None) as batch_op:
        batch_op.drop_index("ix_mandate_scope_mandate_id")
        batch_op.create_index(
            "ix_mandate_scope_mandate_cover",
            ["mandate_id"],
            unique=False,
            postgresql_include=[
                "represented_person_id",
                "service_id",
                "action",
                "lapsed_by_measure_id",
            ],
        )


def downgrade() -> None:
    with op.batch_alter_table("mandate_scope", schema=None) as batch_op:
        batch_op.drop_index("ix_mandate_scope_mandate_cover")
        batch_op.create_index("ix_mandate_scope_mandate_id", ["mandate_id"], unique=False)
    with op.batch_alter_table("message_read", schema=None) as batch_op:
        batch_op.drop_index("ix_message_read_reader")
    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_index("ix_message_caseload")

    with op.batch_alter_table("office", schema=None) as batch_op:
        batch_op.drop_column("assigns_clients")

    with op.batch_alter_table("staff_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_staff_assignment_staff_id")

    op.drop_table("staff_assignment")
