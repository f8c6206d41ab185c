"""Every database test runs on a migrated database, one transaction per test, rolled back.

``MACHTIGEN_TEST_DATABASE_URL`` chooses the server: unset, an SQLite file; a PostgreSQL
URL, a fresh database created on that server for this run and dropped after it.

The service runs in ``development`` here (missing keys are made, letters may be specimens);
the tests of production's refusals say ``environment="production"`` themselves.
"""

import json
import logging
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from machtigen import logs
from machtigen.authz.actors import Actor, OperatorActor, RegisterActor
from machtigen.authz.engine import Authorizer, get_authorizer
from machtigen.clock import FrozenClock
from machtigen.context import Ctx, Origin
from machtigen.db import make_engine, scratch_database
from machtigen.migrate import upgrade
from tests.factories import T0

os.environ.setdefault("MACHTIGEN_ENVIRONMENT", "development")


class BsnScanner(logging.Handler):
    """Renders every log record of the run as production does and keeps any line that still
    holds an elfproef-valid nine-digit number (our own hexadecimal ids aside)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logs.formatter("json"))
        self.lines = 0
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        line = self.format(record)
        self.lines += 1
        self.leaks.extend(leaks_in(line))


def leaks_in(line: str) -> list[str]:
    try:
        document = json.loads(line)
    except ValueError:
        document = None
    if isinstance(document, dict):
        for name in logs.ID_FIELDS:
            document.pop(name, None)
        line = json.dumps(document, ensure_ascii=False)
    return [f"{bsn} in {line[:300]}" for bsn in logs.find_bsns(line)]


@pytest.fixture(scope="session", autouse=True)
def no_bsn_in_any_log_line() -> Iterator[BsnScanner]:
    """Every log line of the whole run (at the level the service logs at) is scanned; the
    run fails at its end when one holds a BSN."""
    scanner = BsnScanner()
    root = logging.getLogger()
    root.addHandler(scanner)
    yield scanner
    root.removeHandler(scanner)
    assert not scanner.leaks, "a BSN reached a log line:\n" + "\n".join(scanner.leaks[:20])


@contextmanager
def fresh_database(configured: str | None, folder: Path) -> Iterator[str]:
    """A new, empty database on the configured server (or an SQLite file), dropped afterwards."""
    if not configured or configured.startswith("sqlite"):
        yield f"sqlite:///{folder / f'{uuid.uuid4().hex[:8]}.db'}"
        return
    with scratch_database(configured, "machtigen_test") as url:
        yield url


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(
        os.environ.get("MACHTIGEN_TEST_DATABASE_URL"), tmp_path_factory.mktemp("db")
    ) as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


@pytest.fixture(scope="session")
def authz() -> Authorizer:
    return get_authorizer()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(T0)


@pytest.fixture
def ctx_for(session: Session, clock: FrozenClock, authz: Authorizer):
    def make(actor: Actor) -> Ctx:
        return Ctx(
            session=session,
            actor=actor,
            clock=clock,
            authz=authz,
            origin=Origin("192.0.2.10", "pytest"),
        )

    return make


@pytest.fixture
def operator_ctx(ctx_for, clock: FrozenClock) -> Ctx:
    return ctx_for(OperatorActor("op-1", clock.now()))


@pytest.fixture
def register_ctx(ctx_for, clock: FrozenClock) -> Ctx:
    return ctx_for(RegisterActor("ccbr", clock.now()))
