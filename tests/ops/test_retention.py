"""Retention: the jobs purge what is no longer needed; the audit trail is partitioned by month
on PostgreSQL, and sealing, verification and the append-only rules hold across partitions."""

import os
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from machtigen.audit.checkpoints import FileSink, TrustedKeys
from machtigen.audit.mac import current
from machtigen.audit.seal import Sealer
from machtigen.audit.service import record
from machtigen.audit.verify import verify_log
from machtigen.authz.actors import OperatorActor
from machtigen.clock import FrozenClock
from machtigen.context import Ctx
from machtigen.db import make_engine, session_factory, transaction
from machtigen.identity.models import PortalSession
from machtigen.jobs import Jobs, JobsConfig
from machtigen.keys import SigningKey
from machtigen.migrate import upgrade
from machtigen.notifications.models import (
    Notification,
    NotificationKind,
    NotificationStatus,
    RecipientKind,
)
from machtigen.retention import RetentionConfig, months_ahead
from tests import factories as f
from tests.conftest import fresh_database

CONFIGURED = os.environ.get("MACHTIGEN_TEST_DATABASE_URL")
POSTGRES = bool(CONFIGURED) and not CONFIGURED.startswith("sqlite")


def notification(person, status, created_at) -> Notification:
    return Notification(
        kind=NotificationKind.NEW_MESSAGE,
        dedup_key=uuid.uuid4().hex,
        person_id=person.id,
        recipient_kind=RecipientKind.OWNER,
        recipient_id=person.id,
        email="x@example.org",
        subject="s",
        body="b",
        status=status,
        available_at=created_at,
        created_at=created_at,
    )


def portal_session(person, expires_at, ended_at=None) -> PortalSession:
    return PortalSession(
        token_hash=uuid.uuid4().hex,
        actor_kind="person",
        person_id=person.id,
        means="digid",
        loa="midden",
        csrf_token="c",
        created_at=expires_at - timedelta(hours=8),
        last_seen_at=expires_at - timedelta(hours=1),
        expires_at=expires_at,
        ended_at=ended_at,
        ip="192.0.2.1",
    )


def test_the_purge_job_deletes_old_sessions_and_final_notifications_only(session, clock, authz):
    person = f.person(session)
    now = clock.now()
    old, recent = now - timedelta(days=100), now - timedelta(days=10)
    rows = {
        "old sent": notification(person, NotificationStatus.SENT, old),
        "old bounced": notification(person, NotificationStatus.BOUNCED, old),
        "old pending": notification(person, NotificationStatus.PENDING, old),
        "recent sent": notification(person, NotificationStatus.SENT, recent),
        "session expired long ago": portal_session(person, now - timedelta(days=8)),
        "session ended long ago": portal_session(
            person, now + timedelta(hours=1), ended_at=now - timedelta(days=9)
        ),
        "session ended yesterday": portal_session(
            person, now - timedelta(days=1), ended_at=now - timedelta(days=1)
        ),
        "session alive": portal_session(person, now + timedelta(hours=2)),
    }
    session.add_all(rows.values())
    session.flush()
    ids = {name: row.id for name, row in rows.items()}

    @contextmanager
    def uow():
        with session.begin_nested():
            yield session

    config = JobsConfig(retention=RetentionConfig(notification_days=90, session_days=7))
    [result] = Jobs(uow=uow, clock=clock, authz=authz, config=config).run(("purge_expired",))
    assert result.ran and result.done == 4
    session.expire_all()
    left = {
        name for name, row_id in ids.items() if session.get(type(rows[name]), row_id) is not None
    }
    assert left == {"old pending", "recent sent", "session ended yesterday", "session alive"}


def test_months_ahead_crosses_the_year():
    from datetime import date

    assert months_ahead(date(2026, 11, 23), 3) == [
        date(2026, 11, 1),
        date(2026, 12, 1),
        date(2027, 1, 1),
        date(2027, 2, 1),
    ]


@pytest.fixture(scope="module")
def partitioned(tmp_path_factory):
    if not POSTGRES:
        pytest.skip("partitions are PostgreSQL's")
    folder = tmp_path_factory.mktemp("partitions")
    with fresh_database(CONFIGURED, folder) as url:
        engine = make_engine(url)
        upgrade(engine)
        yield engine, folder
        engine.dispose()


def test_events_of_several_months_are_sealed_and_verified_across_partitions(partitioned, authz):
    engine, folder = partitioned
    factory = session_factory(engine)
    clock = FrozenClock(f.T0)
    jobs = Jobs(
        uow=lambda: transaction(factory),
        clock=clock,
        authz=authz,
        config=JobsConfig(partition_months_ahead=14),
    )
    [made] = jobs.run(("audit_partitions",))
    assert made.ran
    with engine.connect() as connection:
        names = set(
            connection.scalars(
                text("SELECT relname FROM pg_class WHERE relname LIKE 'audit_event_y%'")
            )
        )
    assert {"audit_event_y2026m12", "audit_event_y2027m06"} <= names
    for months in (0, 1, 2, 5):
        at = FrozenClock(f.T0 + timedelta(days=31 * months))
        with transaction(factory) as db:
            ctx = Ctx(db, OperatorActor("op-1", at.now()), at, authz)
            for n in range(3):
                record(ctx, "test.event", subject_person_id=None, n=n)
    with engine.connect() as connection:
        partitions = set(
            connection.scalars(text("SELECT DISTINCT tableoid::regclass::text FROM audit_event"))
        )
    assert len(partitions) >= 4, partitions
    key = SigningKey.from_file(str(folder / "key.pem"))
    sealer = Sealer(engine, key, clock, "o", sink=FileSink(folder / "cp"), batch_size=5)
    report = sealer.run()
    assert report.sealed == 12 and not report.refused
    with engine.connect() as connection:
        seal_partitions = set(
            connection.scalars(text("SELECT DISTINCT tableoid::regclass::text FROM audit_seal"))
        )
    assert len(seal_partitions) >= 4
    verified = verify_log(engine, TrustedKeys.of(key), sink=FileSink(folder / "cp"), macs=current())
    assert verified.ok, verified.findings
    assert verified.sealed == 12


@pytest.mark.parametrize("table", ["audit_event", "audit_seal"])
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE {partition} SET seq = seq",
        "DELETE FROM {partition}",
        "TRUNCATE {partition}",
    ],
)
def test_the_app_role_cannot_change_a_partition_directly(partitioned, table, statement):
    engine, _folder = partitioned
    with engine.connect() as connection:
        partition = connection.scalar(
            text(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                " WHERE i.inhparent = CAST(:parent AS regclass) ORDER BY c.relname DESC LIMIT 1"
            ),
            {"parent": table},
        )
    assert partition
    with engine.connect() as connection, connection.begin():
        connection.exec_driver_sql("SET ROLE machtigen_app")
        with pytest.raises(DBAPIError, match=r"permission denied|append-only"):
            connection.exec_driver_sql(statement.format(partition=partition))


def test_even_the_owner_cannot_change_a_partition(partitioned):
    engine, _folder = partitioned
    with engine.connect() as connection, connection.begin():
        partition = connection.scalar(
            text("SELECT tableoid::regclass::text FROM audit_event LIMIT 1")
        )
        count = connection.scalar(select(func.count()).select_from(text(partition)))
        assert count
        for statement in (f"DELETE FROM {partition}", f"TRUNCATE {partition}"):
            with pytest.raises(DBAPIError, match="append-only"), connection.begin_nested():
                connection.exec_driver_sql(statement)


def test_the_app_role_may_make_next_months_partitions_and_nothing_else(partitioned):
    engine, _folder = partitioned
    with engine.connect() as connection, connection.begin():
        connection.exec_driver_sql("SET ROLE machtigen_app")
        assert connection.scalar(text("SELECT audit_ensure_partition(DATE '2031-01-01')"))
        assert not connection.scalar(text("SELECT audit_ensure_partition(DATE '2031-01-15')"))
        with pytest.raises(DBAPIError, match="permission denied"), connection.begin_nested():
            connection.exec_driver_sql(
                "CREATE TABLE audit_event_y2032m01 PARTITION OF audit_event"
                " FOR VALUES FROM ('2032-01-01') TO ('2032-02-01')"
            )
