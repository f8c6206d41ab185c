"""A committed, sealed world for the audit tests, and copies of it to tamper with.

The tamper tests change a *copy* of the data as a database administrator would: on
PostgreSQL a new database made from the sealed one as template, with triggers switched off
(``session_replication_role = replica``, superuser only); on SQLite a copy of the file with
the triggers dropped.
"""

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from machtigen.accounts import service as accounts
from machtigen.accounts.models import AccountState
from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.checkpoints import FileSink, TrustedKeys
from machtigen.audit.seal import Sealer
from machtigen.authz.actors import PersonActor
from machtigen.authz.engine import get_authorizer
from machtigen.clock import FrozenClock
from machtigen.consents import service as consents
from machtigen.context import Ctx, Origin
from machtigen.db import make_engine
from machtigen.keys import SigningKey
from machtigen.mandates.models import MandateAction
from machtigen.messages import service as messages
from machtigen.migrate import upgrade
from tests import factories as f
from tests.conftest import fresh_database

CONFIGURED = os.environ.get("MACHTIGEN_TEST_DATABASE_URL")
POSTGRES = bool(CONFIGURED) and not CONFIGURED.startswith("sqlite")


@dataclass
class World:
    url: str
    key: SigningKey
    checkpoints: Path
    owner: uuid.UUID
    representative: uuid.UUID
    other: uuid.UUID

    def engine(self) -> Engine:
        return make_engine(self.url)

    def keys(self) -> TrustedKeys:
        return TrustedKeys.of(self.key)

    def sealer(self, engine: Engine, clock: FrozenClock, batch_size: int = 3) -> Sealer:
        return Sealer(
            engine,
            self.key,
            clock,
            "http://testserver/audit",
            sink=FileSink(self.checkpoints),
            batch_size=batch_size,
            horizon_wait_seconds=5,
        )


def build_world(engine: Engine, clock: FrozenClock) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """Corry's story: an account activated, boxes ticked, a representative reading post."""
    authz = get_authorizer()
    with Session(engine, expire_on_commit=False) as session:
        owner = f.person(session, state=AccountState.CASCO, name="Corry")
        rep = f.person(session, name="Piet")
        other = f.person(session, name="Koen")
        tax = f.service(
            session,
            f.afnemer(session, name="Belastingdienst", legally_required=True),
            ServiceCategory.FINANCIAL,
        )
        optional = [f.afnemer(session, name=name) for name in ("RDW", "UWV", "SVB")]
        message = f.message(session, owner, tax)
        f.mandate(session, owner, person=rep, scope=[(tax, MandateAction.READ)])
        session.commit()

        def as_person(person, ip):
            return Ctx(
                session,
                PersonActor(person.id, clock.now(), loa="midden", name=person.full_name),
                clock,
                authz,
                Origin(ip, "Firefox"),
            )

        corry = as_person(owner, "192.0.2.15")
        accounts.activate(corry, owner.id, explanation_confirmed=True)
        for afnemer in optional:
            consents.set_opt_in(corry, owner.id, afnemer.id, True)
        session.commit()
        clock.advance(timedelta(days=3))
        messages.open_message(as_person(rep, "198.51.100.7"), message.id)
        accounts.set_repeat_reminders(as_person(other, "203.0.113.9"), other.id, False)
        session.commit()
        clock.advance(timedelta(days=2))
        accounts.set_paper_only(as_person(owner, "192.0.2.15"), owner.id, True)
        accounts.set_email(as_person(other, "203.0.113.9"), other.id, "koen@example.org")
        session.commit()
        return owner.id, rep.id, other.id


@pytest.fixture(scope="module")
def sealed_world(tmp_path_factory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("sealed")
    with fresh_database(CONFIGURED, folder) as url:
        engine = make_engine(url)
        upgrade(engine)
        clock = FrozenClock(f.T0)
        owner, rep, other = build_world(engine, clock)
        world = World(
            url, SigningKey.from_file(str(folder / "key.pem")), folder / "cp", owner, rep, other
        )
        world.sealer(engine, clock).run()
        engine.dispose()
        yield world


@contextmanager
def copy_of(world: World, folder: Path) -> Iterator[World]:
    """A copy of the sealed data (and of its exported checkpoints) to tamper with."""
    checkpoints = folder / "cp"
    shutil.copytree(world.checkpoints, checkpoints)
    if not POSTGRES:
        source = make_url(world.url).database
        target = folder / "copy.db"
        shutil.copyfile(source, target)
        yield replace(world, url=f"sqlite:///{target}", checkpoints=checkpoints)
        return
    url = make_url(world.url)
    name = f"machtigen_copy_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
    try:
        copied = url.set(database=name).render_as_string(hide_password=False)
        yield replace(world, url=copied, checkpoints=checkpoints)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def tampered(sealed_world, tmp_path) -> Iterator[World]:
    with copy_of(sealed_world, tmp_path) as world:
        yield world


def as_administrator(world: World, *statements: str, **params) -> None:
    """Change the data past the triggers, as someone with full rights on the database."""
    if not POSTGRES:
        connection = sqlite3.connect(make_url(world.url).database)  # foreign keys off
        for table in ("audit_event", "audit_seal", "audit_tree_node", "audit_checkpoint"):
            for kind in ("update", "delete"):
                connection.execute(f"DROP TRIGGER IF EXISTS {table}_no_{kind}")
        for statement in statements:
            connection.execute(statement, params)
        connection.commit()
        connection.close()
        return
    engine = make_engine(world.url)
    with engine.begin() as connection:
        connection.exec_driver_sql("SET session_replication_role = replica")
        for statement in statements:
            connection.execute(text(statement), params)
    engine.dispose()
