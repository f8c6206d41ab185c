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


def test_events_written_before_macs_survive_0007_and_are_sealed_as_legacy(tmp_path):
    """Migration 0007 keeps every event (on PostgreSQL moving it into its month's partition),
    marks the old ones ``legacy``, and the numbering goes on after them."""
    import os
    from datetime import UTC, datetime

    from sqlalchemy import func, select, text

    from machtigen.audit.checkpoints import TrustedKeys
    from machtigen.audit.mac import current
    from machtigen.audit.models import AuditEvent
    from machtigen.audit.seal import Sealer
    from machtigen.audit.verify import verify_log
    from machtigen.clock import FrozenClock
    from machtigen.keys import SigningKey

    with fresh_database(os.environ.get("MACHTIGEN_TEST_DATABASE_URL"), tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine, "0006")
        with engine.begin() as connection:
            for month in (1, 5, 9):
                connection.execute(
                    text(
                        "INSERT INTO audit_event (occurred_at, action, actor_kind, actor_id,"
                        " actor_name, detail) VALUES (:at, 'old.act', 'system', 's', 's', '{}')"
                    ),
                    {"at": datetime(2025, month, 3, tzinfo=UTC)},
                )
        upgrade(engine)
        with engine.connect() as connection:
            markers = connection.execute(select(AuditEvent.seq, AuditEvent.mac_key_id)).all()
        assert sorted(markers) == [(1, "legacy"), (2, "legacy"), (3, "legacy")]
        key = SigningKey.from_file(str(tmp_path / "key.pem"))
        clock = FrozenClock(datetime(2026, 11, 23, tzinfo=UTC))
        report = Sealer(engine, key, clock, "o").run()
        assert report.sealed == 3 and not report.refused
        with engine.begin() as connection:
            connection.execute(
                AuditEvent.__table__.insert(),
                current().sign(
                    {
                        "occurred_at": clock.now(),
                        "action": "new.act",
                        "actor_kind": "system",
                        "actor_id": "s",
                        "actor_name": "s",
                        "subject_person_id": None,
                        "object_type": None,
                        "object_id": None,
                        "detail": {},
                        "ip": None,
                        "user_agent": None,
                        "means": None,
                        "loa": None,
                    }
                ),
            )
            assert connection.scalar(select(func.max(AuditEvent.seq))) == 4
        assert Sealer(engine, key, clock, "o").run().sealed == 1
        verified = verify_log(engine, TrustedKeys.of(key), macs=current())
        assert verified.ok and verified.sealed == 4, verified.findings
        engine.dispose()
