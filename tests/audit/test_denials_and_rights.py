"""Denied authorizations survive the request's rollback; the application role cannot
change or remove audit rows on PostgreSQL; triggers refuse it on both databases."""

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from machtigen.accounts import service as accounts
from machtigen.audit.models import AuditEvent, AuditSeal
from machtigen.audit.service import record
from machtigen.audit.verify import verify_log
from machtigen.authz.actors import PersonActor, SystemActor
from machtigen.authz.engine import get_authorizer
from machtigen.clock import FrozenClock
from machtigen.context import Ctx, Origin
from machtigen.db import make_engine, session_factory, transaction
from machtigen.errors import NotFound
from machtigen.identity.models import Person
from tests import factories as f
from tests.audit.conftest import POSTGRES, copy_of

AUDIT_TABLES = ("audit_event", "audit_seal", "audit_tree_node", "audit_checkpoint")


def test_a_denial_is_recorded_although_the_request_rolls_back(sealed_world, tmp_path):
    with copy_of(sealed_world, tmp_path) as world:
        engine = world.engine()
        factory = session_factory(engine)
        clock = FrozenClock(f.T0)
        with (
            pytest.raises(NotFound),
            transaction(factory) as session,
        ):  # the request: rolled back by the error
            stranger = session.get(Person, world.other)
            actor = PersonActor(stranger.id, clock.now(), loa="midden", name="Koen")
            ctx = Ctx(session, actor, clock, get_authorizer(), Origin("203.0.113.9", "curl"))
            accounts.set_repeat_reminders(ctx, world.other, True)
            accounts.activate(ctx, world.owner, explanation_confirmed=True)
        with Session(engine) as session:
            [denied] = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "authz.denied")
            ).all()
            assert (denied.subject_person_id, denied.actor_id) == (world.owner, str(world.other))
            assert denied.detail == {"asked": "activate", "outcome": "not_found"}
            assert (denied.ip, denied.user_agent, denied.object_type) == (
                "203.0.113.9",
                "curl",
                "account",
            )
            bsns = set(session.scalars(select(Person.bsn)))
            assert not any(bsn in str(denied.detail) for bsn in bsns)
            changed = session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "account.reminders_changed",
                    AuditEvent.subject_person_id == world.other,
                )
            ).all()
            assert len(changed) == 1, "the request's own act rolled back"
        engine.dispose()


def test_a_denial_in_a_request_that_only_read_is_recorded(sealed_world, tmp_path):
    """The request holds only a read lock (SQLite then refuses the denial's COMMIT, not its
    INSERT): the denial is still written, right after the request ends."""
    with copy_of(sealed_world, tmp_path) as world:
        engine = world.engine()
        clock = FrozenClock(f.T0)
        with pytest.raises(NotFound), transaction(session_factory(engine)) as session:
            actor = PersonActor(world.other, clock.now(), loa="midden", name="Koen")
            ctx = Ctx(session, actor, clock, get_authorizer(), Origin("203.0.113.9", "curl"))
            assert session.get(Person, world.other) is not None
            accounts.activate(ctx, world.owner, explanation_confirmed=True)
        with Session(engine) as session:
            denied = session.scalars(
                select(AuditEvent.detail).where(AuditEvent.action == "authz.denied")
            ).all()
            assert denied == [{"asked": "activate", "outcome": "not_found"}]
        engine.dispose()


def test_the_triggers_refuse_changes_to_audit_rows(sealed_world, tmp_path):
    with copy_of(sealed_world, tmp_path) as world:
        engine = world.engine()
        with engine.begin() as connection:  # inserting is allowed: a node to refuse changing
            connection.execute(
                text("INSERT INTO audit_tree_node (level, idx, hash) VALUES (60, 0, :h)"),
                {"h": bytes(32)},
            )
        for statement in (
            "UPDATE audit_event SET ip = '10.0.0.1'",
            "DELETE FROM audit_event",
            "UPDATE audit_seal SET leaf_index = leaf_index + 1",
            "DELETE FROM audit_checkpoint",
            "UPDATE audit_tree_node SET hash = hash",
            "DELETE FROM audit_tree_node",
        ):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                connection.execute(text(statement))
        if POSTGRES:
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
                connection.execute(text("TRUNCATE audit_event CASCADE"))
        engine.dispose()


@pytest.mark.skipif(not POSTGRES, reason="SQLite has no roles or grants: PostgreSQL only")
def test_the_application_role_cannot_update_delete_or_truncate(sealed_world, tmp_path):
    with copy_of(sealed_world, tmp_path) as world:
        engine = world.engine()
        for table in AUDIT_TABLES:
            for statement in (
                f"UPDATE {table} SET {_column(table)} = {_column(table)}",
                f"DELETE FROM {table}",
                f"TRUNCATE {table} CASCADE",
            ):
                with (
                    pytest.raises(DBAPIError, match="permission denied"),
                    engine.begin() as connection,
                ):
                    connection.execute(text("SET ROLE machtigen_app"))
                    connection.execute(text(statement))
        with engine.begin() as connection:  # and it can do its work
            connection.execute(text("SET ROLE machtigen_app"))
            connection.execute(
                text(
                    "INSERT INTO audit_event (occurred_at, action, actor_kind, actor_id, actor_name,"
                    " detail) VALUES (now(), 'test', 'system', 'test', '', '{}')"
                )
            )
            connection.execute(text("UPDATE account SET repeat_reminders = repeat_reminders"))
            assert connection.execute(text("SELECT count(*) FROM audit_seal")).scalar() > 0
        engine.dispose()


def _column(table):
    return {
        "audit_event": "ip",
        "audit_seal": "leaf_index",
        "audit_tree_node": "hash",
        "audit_checkpoint": "signed",
    }[table]


@pytest.mark.skipif(
    not POSTGRES, reason="concurrent writers need PostgreSQL (SQLite has one writer)"
)
def test_sealing_while_writers_commit_out_of_order_loses_nothing(sealed_world, tmp_path):
    """Writers hold a low seq while others commit higher ones; two sealers run meanwhile."""
    with copy_of(sealed_world, tmp_path) as world:
        engine = make_engine(world.url, pool_size=10)
        factory = session_factory(engine)
        clock = FrozenClock(f.T0 + timedelta(days=30))
        stop = time.monotonic() + 4
        errors: list[BaseException] = []

        def writer(number: int) -> None:
            count = 0
            try:
                while time.monotonic() < stop:
                    count += 1
                    session = factory()
                    try:
                        ctx = Ctx(
                            session,
                            SystemActor(clock.now(), job=f"w{number}"),
                            clock,
                            get_authorizer(),
                        )
                        record(ctx, "test.write", subject_person_id=world.owner, n=count)
                        session.flush()  # seq drawn now
                        time.sleep(0.003 * (count % 7))  # commit later than others
                        if count % 5 == 0:
                            session.rollback()  # a gap
                        else:
                            session.commit()
                    finally:
                        session.close()
            except BaseException as error:
                errors.append(error)

        def sealer() -> None:
            try:
                one = world.sealer(engine, clock, batch_size=50)
                while time.monotonic() < stop:
                    one.run()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        threads += [threading.Thread(target=sealer) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        world.sealer(engine, clock).run()
        with engine.connect() as connection:
            events = connection.scalar(select(func.count()).select_from(AuditEvent))
            seals = connection.scalar(select(func.count()).select_from(AuditSeal))
        assert events == seals and events > 50
        report = verify_log(engine, world.keys())
        assert report.ok and report.pending == 0, report.findings
        engine.dispose()
