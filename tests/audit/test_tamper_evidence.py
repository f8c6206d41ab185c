"""Whoever changes the audit data afterwards is caught, and the place is named.

Each test tampers with a copy of a sealed log (see conftest) and runs the verification the
operator runs (``verify_log``, and the ``machtigen audit verify`` command).
"""

import json

from click.testing import CliRunner
from sqlalchemy import func, select, text

from machtigen.audit.checkpoints import FileSink
from machtigen.audit.models import AuditCheckpoint, AuditEvent, AuditSeal
from machtigen.audit.verify import verify_log
from machtigen.cli import main
from tests.audit.conftest import POSTGRES, as_administrator


def check(world):
    engine = world.engine()
    try:
        return verify_log(engine, world.keys(), sink=FileSink(world.checkpoints))
    finally:
        engine.dispose()


def scalar(world, statement):
    engine = world.engine()
    with engine.connect() as connection:
        value = connection.execute(statement).scalar()
    engine.dispose()
    return value


def seq_of(world, action, subject=None):
    statement = select(func.min(AuditEvent.seq)).where(AuditEvent.action == action)
    if subject is not None:
        statement = statement.where(AuditEvent.subject_person_id == subject)
    return scalar(world, statement)


def places(report):
    return [finding.place for finding in report.findings]


def test_the_untouched_log_verifies(sealed_world):
    report = check(sealed_world)
    assert report.ok, report.findings
    assert report.sealed == report.events >= 8 and report.pending == 0
    assert report.checkpoints >= 3


def test_an_edited_address_is_named(tampered):
    seq = seq_of(tampered, "account.activated")
    as_administrator(tampered, "UPDATE audit_event SET ip = '10.6.6.6' WHERE seq = :seq", seq=seq)
    report = check(tampered)
    assert not report.ok
    assert places(report)[0].startswith(f"seq {seq} (leaf ")
    assert "differs from what was sealed" in report.findings[0].problem


def test_an_edited_actor_is_named(tampered):
    seq = seq_of(tampered, "consent.ticked")
    as_administrator(
        tampered, "UPDATE audit_event SET actor_kind = 'system' WHERE seq = :seq", seq=seq
    )
    report = check(tampered)
    assert places(report) == [places(report)[0]] and places(report)[0].startswith(f"seq {seq} ")


def test_a_deleted_event_is_named(tampered):
    seq = seq_of(tampered, "message.opened")
    as_administrator(tampered, "DELETE FROM audit_event WHERE seq = :seq", seq=seq)
    report = check(tampered)
    assert places(report)[0].startswith(f"seq {seq} ")
    assert "missing" in report.findings[0].problem


def test_an_event_deleted_with_its_seal_breaks_the_order_and_the_chain(tampered):
    seq = seq_of(tampered, "consent.ticked")
    as_administrator(
        tampered,
        "DELETE FROM audit_seal WHERE seq = :seq",
        "DELETE FROM audit_event WHERE seq = :seq",
        seq=seq,
    )
    report = check(tampered)
    assert not report.ok
    next_seq = seq + 1
    assert any(place.startswith(f"seq {next_seq} ") for place in places(report))
    problems = " ".join(finding.problem for finding in report.findings)
    assert "where leaf" in problems and "account chain" in problems


def test_reordered_events_are_named(tampered):
    """Two events swap their moments and acts: both are named."""
    first = seq_of(tampered, "account.activated")
    second = seq_of(tampered, "account.paper_switch")
    as_administrator(
        tampered,
        "UPDATE audit_event SET seq = -1 WHERE seq = :a",
        "UPDATE audit_event SET seq = :a WHERE seq = :b",
        "UPDATE audit_event SET seq = :b WHERE seq = -1",
        a=first,
        b=second,
    )
    report = check(tampered)
    named = places(report)
    assert any(place.startswith(f"seq {first} ") for place in named)
    assert any(place.startswith(f"seq {second} ") for place in named)


def test_reordered_seals_are_named(tampered):
    first = seq_of(tampered, "consent.ticked")
    as_administrator(
        tampered,
        "UPDATE audit_seal SET leaf_index = -1 WHERE seq = :a",
        "UPDATE audit_seal SET leaf_index = leaf_index - 1 WHERE seq = :b",
        "UPDATE audit_seal SET leaf_index = (SELECT leaf_index + 1 FROM audit_seal"
        " WHERE seq = :b) WHERE seq = :a",
        a=first,
        b=first + 1,
    )
    report = check(tampered)
    assert places(report)[0].startswith(f"seq {first} ")
    assert any(place.startswith(f"seq {first + 1} ") for place in places(report))
    assert "where leaf" in report.findings[0].problem


def _free_seq(world):
    """A seq inside the sealed range that no event has (a rolled-back one), else 0."""
    engine = world.engine()
    with engine.connect() as connection:
        seqs = set(connection.scalars(select(AuditEvent.seq)))
    engine.dispose()
    gaps = sorted(set(range(1, max(seqs))) - seqs)
    return gaps[0] if gaps else 0


def test_an_inserted_event_is_named(tampered):
    """Someone adds "Corry logged in from abroad" between the sealed events."""
    seq = _free_seq(tampered)
    as_administrator(
        tampered,
        "INSERT INTO audit_event (seq, occurred_at, action, actor_kind, actor_id, actor_name,"
        " subject_person_id, detail, ip) SELECT :seq, occurred_at, 'login', actor_kind,"
        " actor_id, actor_name, subject_person_id, '{}', '10.6.6.6' FROM audit_event"
        " WHERE action = 'account.activated'",
        seq=seq,
    )
    report = check(tampered)
    assert places(report) == [f"seq {seq}"]
    assert "inserted afterwards" in report.findings[0].problem


def test_an_inserted_event_with_a_forged_seal_is_named(tampered):
    """The forger also writes a seal for it at the end of the tree: no checkpoint signs it."""
    top = scalar(tampered, select(func.max(AuditEvent.seq)))
    size = scalar(tampered, select(func.max(AuditCheckpoint.tree_size)))
    as_administrator(
        tampered,
        "INSERT INTO audit_event (seq, occurred_at, action, actor_kind, actor_id, actor_name,"
        " subject_person_id, detail) SELECT :seq, occurred_at, 'account.activated', actor_kind,"
        " actor_id, actor_name, subject_person_id, '{}' FROM audit_event WHERE seq = :top",
        "INSERT INTO audit_seal (seq, occurred_at, leaf_index, origin_salt, leaf_hash)"
        " SELECT :seq, occurred_at, :size, origin_salt, leaf_hash FROM audit_seal WHERE seq = :top",
        seq=top + 1,
        top=top,
        size=size,
    )
    report = check(tampered)
    assert places(report)[0].startswith(f"seq {top + 1} (leaf {size})")


def test_a_rolled_back_log_is_caught_by_the_exported_checkpoints(tampered):
    """The administrator removes the newest events, seals and checkpoint: the copy of the
    checkpoint outside the database still names the tree size that is gone."""
    last = scalar(tampered, select(func.max(AuditCheckpoint.tree_size)))
    since = scalar(
        tampered,
        select(func.max(AuditCheckpoint.last_seq)).where(AuditCheckpoint.tree_size < last),
    )
    as_administrator(
        tampered,
        "DELETE FROM audit_checkpoint WHERE tree_size = :last",
        "DELETE FROM audit_seal WHERE seq > :since",
        "DELETE FROM audit_event WHERE seq > :since",
        last=last,
        since=since,
    )
    report = check(tampered)
    assert [f.place for f in report.findings] == [
        f"checkpoints.jsonl line {len(FileSink(tampered.checkpoints).read_all())} (tree size {last})"
    ]
    assert "rolled back or truncated" in report.findings[0].problem


def test_a_changed_checkpoint_is_named(tampered):
    size = scalar(tampered, select(func.min(AuditCheckpoint.tree_size)))
    as_administrator(
        tampered,
        "UPDATE audit_checkpoint SET last_seq = last_seq + 1 WHERE tree_size = :size",
        size=size,
    )
    report = check(tampered)
    assert places(report)[0] == f"checkpoint at tree size {size}"


def test_the_command_exits_non_zero_and_names_the_event(tampered, monkeypatch):
    seq = seq_of(tampered, "account.paper_switch")
    as_administrator(
        tampered, "UPDATE audit_event SET detail = '{\"on\": false}' WHERE seq = :seq", seq=seq
    )
    monkeypatch.setenv("MACHTIGEN_DATABASE_URL", tampered.url)
    monkeypatch.setenv(
        "MACHTIGEN_AUDIT_CHECKPOINT_KEYS_FILE", str(tampered.checkpoints.parent / "none.json")
    )
    jwks = tampered.checkpoints.parent / "jwks.json"
    jwks.write_text(json.dumps(tampered.key.jwks()))
    from machtigen.config import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            main,
            [
                "audit",
                "verify",
                "--jwks",
                str(jwks),
                "--checkpoints-dir",
                str(tampered.checkpoints),
            ],
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert f"FAIL seq {seq} (leaf " in result.output
    assert "BROKEN the audit log" in result.output


def test_nothing_was_sealed_twice_or_left_out(sealed_world):
    events = scalar(sealed_world, select(func.count()).select_from(AuditEvent))
    seals = scalar(sealed_world, select(func.count()).select_from(AuditSeal))
    distinct = scalar(sealed_world, select(func.count(func.distinct(AuditSeal.leaf_index))))
    assert events == seals == distinct
    assert scalar(sealed_world, text("SELECT max(leaf_index) FROM audit_seal")) == events - 1
    assert POSTGRES in (True, False)


def test_jobs_seal_new_events_and_export_their_checkpoint(tampered):
    from datetime import timedelta

    from machtigen.audit.service import record
    from machtigen.authz.actors import SystemActor
    from machtigen.authz.engine import get_authorizer
    from machtigen.clock import FrozenClock
    from machtigen.context import Ctx
    from machtigen.db import session_factory, transaction
    from machtigen.jobs import Jobs
    from tests import factories as f

    engine = tampered.engine()
    factory = session_factory(engine)
    clock = FrozenClock(f.T0 + timedelta(days=40))
    with transaction(factory) as session:
        ctx = Ctx(session, SystemActor(clock.now(), job="test"), clock, get_authorizer())
        record(ctx, "letter.written", subject_person_id=tampered.owner, file="x.pdf")
    before = len(FileSink(tampered.checkpoints).read_all())
    jobs = Jobs(
        uow=lambda: transaction(factory),
        clock=clock,
        authz=get_authorizer(),
        sealer=tampered.sealer(engine, clock),
    )
    [result] = jobs.run(("audit_seal",))
    assert (result.ran, result.done) == (True, 1)
    assert len(FileSink(tampered.checkpoints).read_all()) == before + 1
    report = verify_log(engine, tampered.keys(), sink=FileSink(tampered.checkpoints))
    assert report.ok and report.pending == 0, report.findings
    engine.dispose()
