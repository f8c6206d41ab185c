"""Issue 12 §4: the database's credentials alone cannot write history the service would sign.

An INSERT into ``audit_event`` made with the app role (``machtigen_app`` on PostgreSQL; on
SQLite, which has no roles, with the file) carries no valid MAC: the sealer refuses to seal
it and reports it, records the refusal as an event of its own, and ``machtigen audit verify``
names it. A copy of a genuine event (with its MAC) is refused by the database itself.
"""

import os
import uuid
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from machtigen.audit.mac import current
from machtigen.audit.models import AuditEvent, AuditSeal
from machtigen.audit.verify import verify_log
from machtigen.cli import main
from machtigen.clock import FrozenClock
from machtigen.db import make_engine
from machtigen.migrate import upgrade
from tests import factories as f
from tests.audit.conftest import POSTGRES, World, build_world
from tests.conftest import fresh_database


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from machtigen.keys import SigningKey

    folder = tmp_path_factory.mktemp("forged")
    with fresh_database(os.environ.get("MACHTIGEN_TEST_DATABASE_URL"), folder) as url:
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


def as_app_role(world: World, statement: str, **params) -> int | None:
    """Run one statement with exactly the application's rights; returns a RETURNING value."""
    engine = make_engine(world.url)
    try:
        with engine.begin() as connection:
            if POSTGRES:
                connection.exec_driver_sql("SET ROLE machtigen_app")
            return connection.execute(text(statement), params).scalar()
    finally:
        engine.dispose()


FORGE = (
    "INSERT INTO audit_event (occurred_at, action, actor_kind, actor_id, actor_name,"
    " subject_person_id, detail, ip, user_agent, means, loa, event_id, mac_key_id, mac)"
    " VALUES (:at, 'account.activated', 'person', :actor, 'Piet', :subject, '{}',"
    " '192.0.2.15', 'Firefox', 'digid', 'midden', :event_id, :kid, :mac) RETURNING seq"
)


def test_a_forged_insert_through_the_app_role_is_refused_at_sealing_and_named_by_verify(
    world, tmp_path, monkeypatch
):
    engine = world.engine()
    clock = FrozenClock(f.T0 + timedelta(days=7))
    kid = current().keyset.signer(clock.now()).kid
    at = (clock.now() - timedelta(days=6)).isoformat()
    subject = world.owner.hex if not POSTGRES else str(world.owner)
    no_mac = as_app_role(
        world,
        FORGE,
        at=at,
        actor=str(world.representative),
        subject=subject,
        event_id=None,
        kid=None,
        mac=None,
    )
    made_up = as_app_role(
        world,
        FORGE,
        at=at,
        actor=str(world.representative),
        subject=subject,
        event_id=uuid.uuid4().hex if not POSTGRES else str(uuid.uuid4()),
        kid=kid,
        mac=os.urandom(32),
    )
    report = world.sealer(engine, clock, batch_size=100).run()
    refused = {refusal.seq: refusal.reason for refusal in report.refused}
    assert set(refused) == {no_mac, made_up}
    assert "carries no MAC" in refused[no_mac]
    assert "does not verify" in refused[made_up]
    with engine.connect() as connection:
        sealed = set(connection.scalars(select(AuditSeal.seq)))
        refusals = connection.scalars(
            select(AuditEvent.object_id).where(AuditEvent.action == "audit.event_refused")
        ).all()
    assert no_mac not in sealed and made_up not in sealed
    assert sorted(refusals) == sorted([str(no_mac), str(made_up)])

    world.sealer(engine, clock, batch_size=100).run()  # seals the refusals themselves
    verified = verify_log(engine, world.keys(), macs=current())
    forged = [finding for finding in verified.findings if "account.activated" in finding.problem]
    assert [finding.place for finding in forged] == [f"seq {no_mac}", f"seq {made_up}"]
    assert len(verified.findings) == 2, verified.findings

    monkeypatch.setenv("MACHTIGEN_DATABASE_URL", world.url)
    monkeypatch.setenv("MACHTIGEN_AUDIT_CHECKPOINT_KEYS_FILE", str(tmp_path / "none.json"))
    # the CLI checks MACs with the keys this process signed with, as hosts share their key files
    mac_keys = tmp_path / "audit-mac.json"
    mac_keys.write_text(current().keyset.to_json())
    monkeypatch.setenv("MACHTIGEN_AUDIT_MAC_KEYS_FILE", str(mac_keys))
    jwks = tmp_path / "jwks.json"
    jwks.write_text(__import__("json").dumps(world.key.jwks()))
    from machtigen.config import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            main,
            ["audit", "verify", "--jwks", str(jwks), "--checkpoints-dir", str(world.checkpoints)],
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1, result.output
    assert f"FAIL seq {no_mac}: account.activated: it carries no MAC" in result.output
    assert f"FAIL seq {made_up}: account.activated: its MAC (key {kid}) does not verify" in (
        result.output
    )
    engine.dispose()


def test_a_copy_of_a_genuine_event_is_refused_by_the_database(world):
    columns = (
        "occurred_at, action, actor_kind, actor_id, actor_name, subject_person_id, object_type,"
        " object_id, detail, ip, user_agent, means, loa, event_id, mac_key_id, mac"
    )
    engine = world.engine()
    with engine.connect() as connection:
        genuine = connection.scalar(
            select(func.max(AuditEvent.seq)).where(AuditEvent.mac_key_id.is_not(None))
        )
    engine.dispose()
    with pytest.raises(IntegrityError):
        as_app_role(
            world,
            f"INSERT INTO audit_event ({columns}) SELECT {columns} FROM audit_event"
            " WHERE seq = :seq",
            seq=genuine,
        )


@pytest.mark.skipif(not POSTGRES, reason="roles and CHECK constraints of PostgreSQL")
def test_the_app_role_cannot_pass_a_new_row_off_as_written_before_macs(world):
    with pytest.raises(DBAPIError, match="ck_audit_event_legacy_mac"):
        as_app_role(
            world,
            "INSERT INTO audit_event (occurred_at, action, actor_kind, actor_id, actor_name,"
            " detail, mac_key_id) VALUES (now(), 'x', 'system', 's', 's', '{}', 'legacy')",
        )
