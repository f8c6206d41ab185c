"""identity sessions and eidas candidates

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 08:51:14.916237
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from machtigen.db import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_session",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("actor_kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("person_id", sa.Uuid(), nullable=True),
        sa.Column("staff_id", sa.Uuid(), nullable=True),
        sa.Column("eidas_identity_id", sa.Uuid(), nullable=True),
        sa.Column("acting_for_person_id", sa.Uuid(), nullable=True),
        sa.Column("means", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("loa", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("csrf_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=45), nullable=True),
        sa.Column("user_agent", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.ForeignKeyConstraint(
            ["acting_for_person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["eidas_identity_id"],
            ["eidas_identity.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["office_staff.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("portal_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_session_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_portal_session_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_portal_session_staff_id"), ["staff_id"], unique=False)

    with op.batch_alter_table("eidas_identity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("candidate_person_id", sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            "fk_eidas_identity_candidate_person", "person", ["candidate_person_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("eidas_identity", schema=None) as batch_op:
        batch_op.drop_constraint("fk_eidas_identity_candidate_person", type_="foreignkey")
        batch_op.drop_column("candidate_person_id")

    with op.batch_alter_table("portal_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_session_staff_id"))
        batch_op.drop_index(batch_op.f("ix_portal_session_person_id"))
        batch_op.drop_index(batch_op.f("ix_portal_session_expires_at"))

    op.drop_table("portal_session")
