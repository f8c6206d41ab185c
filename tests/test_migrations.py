"""Migrations are the only way a schema is made: they go down to nothing and up again."""

from sqlalchemy import inspect

from machtigen.db import make_engine
from machtigen.migrate import downgrade, upgrade
from tests.conftest import fresh_database


def test_downgrade_to_base_and_upgrade_again(tmp_path):
    import os

    with fresh_database(os.environ.get("MACHTIGEN_TEST_DATABASE_URL"), tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert {
            "person",
            "account",
            "message",
            "mandate",
            "mandate_scope",
            "legal_measure",
            "audit_event",
        } <= tables
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) == tables
        engine.dispose()
