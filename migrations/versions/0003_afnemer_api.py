"""afnemer api: machine clients (private_key_jwt) and used client assertions

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 08:55:26.268820
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from machtigen.db import UTCDateTime

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "used_client_assertion",
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("jti", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "jti", name="pk_used_client_assertion"),
    )
    with op.batch_alter_table("used_client_assertion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_used_client_assertion_expires_at"), ["expires_at"], unique=False
        )

    op.create_table(
        "api_client",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("afnemer_id", sa.Uuid(), nullable=True),
        sa.Column("jwks", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["afnemer_id"], ["afnemer.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
    )
    with op.batch_alter_table("api_client", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_client_afnemer_id"), ["afnemer_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("api_client", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_client_afnemer_id"))
    op.drop_table("api_client")

    with op.batch_alter_table("used_client_assertion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_used_client_assertion_expires_at"))
    op.drop_table("used_client_assertion")
