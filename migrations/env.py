"""Alembic environment: the database URL comes from MACHTIGEN_DATABASE_URL unless a connection is given."""

from alembic import context
from sqlalchemy import Connection

from machtigen.config import get_settings
from machtigen.db import make_engine
from machtigen.models import metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
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
