"""Portal pages over HTTP (no browser): one migrated database per module, the dev broker on."""

import os

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from api.main import create_app
from machtigen.clock import FrozenClock
from machtigen.config import Settings
from machtigen.db import make_engine
from machtigen.migrate import upgrade
from tests import factories as f
from tests.conftest import fresh_database


@pytest.fixture(scope="module")
def app_database(tmp_path_factory):
    with fresh_database(
        os.environ.get("MACHTIGEN_TEST_DATABASE_URL"), tmp_path_factory.mktemp("portal")
    ) as url:
        engine = make_engine(url)
        upgrade(engine)
        yield engine, url
        engine.dispose()


@pytest.fixture
def clock():
    return FrozenClock(f.T0)


@pytest.fixture
def client(app_database, tmp_path, clock):
    settings = Settings(
        database_url=app_database[1],
        dev_broker=True,
        dev_broker_key_file=str(tmp_path / "key.pem"),
        secret_key="test-secret",
        cookie_secure=False,
        public_url="http://testserver",
    )
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def db(app_database):
    with Session(app_database[0], expire_on_commit=False) as session:
        yield session


REFUSALS_ON_RECORD = frozenset({"authz.denied", "login.step_up_required"})
"""Audit events a refusal itself writes: that someone was refused is history too."""


def database_snapshot(db):
    """Every row of every table (audit events included), to prove a refusal changed nothing.

    Audit events that record a refusal (``REFUSALS_ON_RECORD``) are left out: they are the
    only thing a refusal may add.
    """
    from sqlalchemy import select
    from sqlmodel import SQLModel

    db.expire_all()
    snapshot = {}
    for table in SQLModel.metadata.sorted_tables:
        rows = db.execute(select(table)).mappings()
        if table.name == "audit_event":
            rows = [row for row in rows if row["action"] not in REFUSALS_ON_RECORD]
        snapshot[table.name] = sorted(repr(tuple(row.values())) for row in rows)
    db.rollback()
    return snapshot


@pytest.fixture
def snapshot(db):
    return lambda: database_snapshot(db)
