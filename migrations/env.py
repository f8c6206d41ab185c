"""Alembic environment: the database URL comes from MACHTIGEN_DATABASE_URL unless a connection is given."""

import re

from alembic import context
from sqlalchemy import Connection

from machtigen.config import get_settings
from machtigen.db import make_engine
from machtigen.models import metadata

AUDIT_PARTITION = re.compile(r"audit_(event|seal)_(y\d{4}m\d{2}|default)")
"""PostgreSQL's monthly audit partitions (migration 0007): made at run time, not models."""


def _include_name(name: str | None, type_: str, _parents: object) -> bool:
    return not (type_ == "table" and name is not None and AUDIT_PARTITION.fullmatch(name))


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        _configure(connection)
    engine.dispose()


run_migrations_online()
