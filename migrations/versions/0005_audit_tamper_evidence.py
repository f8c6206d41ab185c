"""audit tamper evidence: seals, tree nodes, signed checkpoints; append-only by grants and triggers

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 10:29:34.922661

On PostgreSQL this also creates (once per cluster) the role ``machtigen_app`` the application
runs as, with every right on the application's tables except UPDATE, DELETE and TRUNCATE on
the audit tables, and triggers that refuse those statements on the audit tables to everyone.
On SQLite the same triggers refuse UPDATE and DELETE.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from machtigen.db import UTCDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APP_ROLE = "machtigen_app"
AUDIT_TABLES = ("audit_event", "audit_seal", "audit_tree_node", "audit_checkpoint")


def upgrade() -> None:
    op.create_table(
        "audit_checkpoint",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("tree_size", sa.BigInteger(), nullable=False),
        sa.Column("root_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("signed", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tree_size", name="uq_audit_checkpoint_tree_size"),
    )
    op.create_table(
        "audit_tree_node",
        sa.Column("level", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("idx", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("level", "idx"),
    )
    op.create_table(
        "audit_seal",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("leaf_index", sa.BigInteger(), nullable=False),
        sa.Column("account_index", sa.BigInteger(), nullable=True),
        sa.Column("account_prev", sa.LargeBinary(length=32), nullable=True),
        sa.Column("origin_salt", sa.LargeBinary(length=16), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(length=32), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["audit_event.seq"], name="fk_audit_seal_event"),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("leaf_index", name="uq_audit_seal_leaf_index"),
    )
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_up()
    else:
        _sqlite_up()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_down()
    else:
        _sqlite_down()
    op.drop_table("audit_seal")
    op.drop_table("audit_tree_node")
    op.drop_table("audit_checkpoint")


def _postgresql_up() -> None:
    op.execute(
        """
        CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """
    )
    for table in AUDIT_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}"
            " FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
        )
    # Roles belong to the cluster: create it only where it is missing (another database of the
    # same cluster may have made it). NOLOGIN: log-in roles are made members of it (README).
    op.execute(
        f"""
        DO $$
        BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
            CREATE ROLE {APP_ROLE} NOLOGIN;
          END IF;
        END
        $$
        """
    )
    op.execute(
        f"""
        DO $$
        DECLARE
          schema_name text := current_schema();
        BEGIN
          EXECUTE format('GRANT USAGE ON SCHEMA %I TO {APP_ROLE}', schema_name);
          EXECUTE format(
            'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO {APP_ROLE}',
            schema_name);
          EXECUTE format(
            'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %I TO {APP_ROLE}', schema_name);
          EXECUTE format(
            'ALTER DEFAULT PRIVILEGES IN SCHEMA %I'
            ' GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}', schema_name);
          EXECUTE format(
            'ALTER DEFAULT PRIVILEGES IN SCHEMA %I'
            ' GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}', schema_name);
        END
        $$
        """
    )
    op.execute(f"REVOKE ALL ON alembic_version FROM {APP_ROLE}")
    op.execute(f"GRANT SELECT ON alembic_version TO {APP_ROLE}")
    for table in AUDIT_TABLES:
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {APP_ROLE}")


def _postgresql_down() -> None:
    op.execute(
        """
        DO $$
        DECLARE
          schema_name text := current_schema();
        BEGIN
          IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'machtigen_app') THEN
            EXECUTE format(
              'ALTER DEFAULT PRIVILEGES IN SCHEMA %I'
              ' REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM machtigen_app', schema_name);
            EXECUTE format(
              'ALTER DEFAULT PRIVILEGES IN SCHEMA %I'
              ' REVOKE USAGE, SELECT ON SEQUENCES FROM machtigen_app', schema_name);
            EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA %I FROM machtigen_app', schema_name);
            EXECUTE format(
              'REVOKE ALL ON ALL SEQUENCES IN SCHEMA %I FROM machtigen_app', schema_name);
            EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM machtigen_app', schema_name);
          END IF;
        END
        $$
        """
    )
    for table in AUDIT_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS audit_refuse_change()")


def _sqlite_up() -> None:
    for table in AUDIT_TABLES:
        for statement in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{statement.lower()} BEFORE {statement} ON {table}"
                f" BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only:"
                f" {statement} on {table} refused'); END"
            )


def _sqlite_down() -> None:
    for table in AUDIT_TABLES:
        for statement in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{statement}")
