"""OIDC login: the flow state of a login on its way through a broker, the broker's id_token
kept for log-out, and the tally of repeated failed logins

Revision ID: 0008_oidc_login
Revises: 0007_client_share_weight
Create Date: 2026-11-24 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from machtigen.db import UTCDateTime

revision: str = "0008_oidc_login"
down_revision: str | None = "0007_client_share_weight"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "login_flow",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("state_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("means", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("nonce", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("code_verifier", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("state_hash"),
    )
    with op.batch_alter_table("login_flow", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_flow_expires_at"), ["expires_at"], unique=False)

    op.create_table(
        "login_failure_tally",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("means", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("ip", sqlmodel.sql.sqltypes.AutoString(length=45), nullable=True),
        sa.Column("window_started_at", UTCDateTime(), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.Column("repeats", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("login_failure_tally", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_login_failure_tally_last_at"), ["last_at"], unique=False
        )

    with op.batch_alter_table("portal_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("id_token_hint", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("portal_session", schema=None) as batch_op:
        batch_op.drop_column("id_token_hint")
    with op.batch_alter_table("login_failure_tally", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_failure_tally_last_at"))
    op.drop_table("login_failure_tally")
    with op.batch_alter_table("login_flow", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_flow_expires_at"))
    op.drop_table("login_flow")
