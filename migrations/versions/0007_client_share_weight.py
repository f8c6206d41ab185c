"""a machine client's weight in the fair share of a full worker (admission control)

Revision ID: 0007_client_share_weight
Revises: 0006
Create Date: 2026-11-29 21:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_client_share_weight"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_client", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("share_weight", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.create_check_constraint(
            "api_client_share_weight", "share_weight BETWEEN 1 AND 100"
        )


def downgrade() -> None:
    with op.batch_alter_table("api_client", schema=None) as batch_op:
        batch_op.drop_constraint("api_client_share_weight", type_="check")
        batch_op.drop_column("share_weight")
