"""The person reads, filters, exports and checks their own trail; nobody else's."""

import csv
import io
import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy.orm import Session

from machtigen.audit import export as exports
from machtigen.audit.narrate import Viewpoint, describe, narrate
from machtigen.audit.trail import Kind, TrailFilter, Who, read_trail, trail_actors
from machtigen.audit.verify import verify_export
from machtigen.authz.actors import PersonActor
from machtigen.authz.engine import get_authorizer
from machtigen.cli import main
from machtigen.clock import FrozenClock
from machtigen.context import Ctx, Origin
from machtigen.errors import Forbidden, NotFound
from machtigen.identity.models import Person
from machtigen.mandates.models import MeasureKind
from tests import factories as f
from tests.audit.conftest import copy_of


@pytest.fixture
def world_session(sealed_world):
    engine = sealed_world.engine()
    with engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        yield session
        session.close()
        transaction.rollback()
    engine.dispose()


@pytest.fixture
def copied(sealed_world, tmp_path):
    """A copy of the sealed world, for tests whose refusals are written for good."""
    with copy_of(sealed_world, tmp_path) as world:
        engine = world.engine()
        with Session(engine) as session:
            yield world, session
            session.rollback()
        engine.dispose()


def ctx_of(session, person_id, loa="midden"):
    person = session.get(Person, person_id)
    clock = FrozenClock(f.T0 + timedelta(days=10))
    actor = PersonActor(person_id, clock.now(), loa=loa, name=person.full_name)
    return Ctx(session, actor, clock, get_authorizer(), Origin("192.0.2.99", "pytest"))


def test_the_person_reads_their_own_trail_in_plain_language(sealed_world, world_session):
    page = read_trail(ctx_of(world_session, sealed_world.owner), sealed_world.owner)
    actions = [entry.action for entry in page.entries]
    assert actions[-1] == "account.activated" and "message.opened" in actions
    opened = next(entry for entry in page.entries if entry.action == "message.opened")
    assert opened.actor.who == Who.PERSON and opened.actor.name.startswith("Piet")
    assert opened.ip is None, "a representative's address is not the person's to see"
    view = Viewpoint.own("Owner", sealed_world.owner)
    assert describe(opened, view, "en").startswith("On 26 November 2026 at 11:00, Piet")
    assert "opened a message from Belastingdienst" in describe(opened, view, "en")
    assert describe(opened, view, "en").endswith("on your behalf.")
    own = next(entry for entry in page.entries if entry.action == "account.activated")
    assert own.ip == "192.0.2.15"


def test_the_story_of_a_visit(sealed_world, world_session):
    """The issue's example: one sentence for a login, an activation and the ticks."""
    page = read_trail(ctx_of(world_session, sealed_world.owner), sealed_world.owner)
    view = Viewpoint.own("Owner", sealed_world.owner)
    first = narrate(page.entries, view, "nl")[0]
    assert first == (
        "Op 23 november 2026 om 11:00 activeerde u uw berichtenbox en vinkte u RDW, UWV en SVB"
        " aan. U was ingelogd met DigiD (niveau midden), vanaf adres 192.0.2.15."
    )
    assert narrate(page.entries, view, "en")[0] == (
        "On 23 November 2026 at 11:00, you activated your mailbox and ticked RDW, UWV and SVB."
        " You were logged in with DigiD (level midden), from address 192.0.2.15."
    )


def test_filters_by_period_kind_and_who(sealed_world, world_session):
    ctx = ctx_of(world_session, sealed_world.owner)
    consent_only = read_trail(ctx, sealed_world.owner, TrailFilter(kinds=frozenset({Kind.CONSENT})))
    assert {e.action for e in consent_only.entries} == {"consent.ticked"}
    by_others = read_trail(ctx, sealed_world.owner, TrailFilter(who=frozenset({Who.PERSON})))
    assert [e.action for e in by_others.entries] == ["message.opened"]
    later = read_trail(ctx, sealed_world.owner, TrailFilter(since=f.T0 + timedelta(days=4)))
    assert [e.action for e in later.entries] == ["account.paper_switch"]
    paged = read_trail(ctx, sealed_world.owner, limit=2)
    rest = read_trail(ctx, sealed_world.owner, limit=50, before_seq=paged.next_before_seq)
    assert len(paged.entries) == 2 and len(rest.entries) == 4
    names = {actor.name for actor in trail_actors(ctx, sealed_world.owner)}
    assert any(name.startswith("Piet") for name in names)


def test_nobody_reads_anyone_elses_trail(copied):
    sealed_world, world_session = copied
    with pytest.raises(NotFound):
        read_trail(ctx_of(world_session, sealed_world.other), sealed_world.owner)
    with pytest.raises(Forbidden):  # a representative sees the account, not its trail
        read_trail(ctx_of(world_session, sealed_world.representative), sealed_world.owner)
    koen = read_trail(ctx_of(world_session, sealed_world.other), sealed_world.other)
    assert {e.actor.id for e in koen.entries} == {str(sealed_world.other)}


def test_a_curator_reads_the_trail_but_a_mentor_does_not(copied):
    sealed_world, world_session = copied
    owner = world_session.get(Person, sealed_world.owner)
    curator, mentor = f.person(world_session), f.person(world_session)
    f.measure(world_session, owner, MeasureKind.CURATELE, person=curator)
    f.measure(world_session, owner, MeasureKind.MENTORSCHAP, person=mentor)
    page = read_trail(ctx_of(world_session, curator.id), owner.id)
    assert page.entries
    with pytest.raises(Forbidden):
        read_trail(ctx_of(world_session, mentor.id), owner.id)


def test_the_export_verifies_offline_in_json_and_csv(sealed_world, world_session, tmp_path):
    ctx = ctx_of(world_session, sealed_world.owner)
    jwks = sealed_world.key.jwks()
    document = exports.export_trail(ctx, sealed_world.owner, public_jwks=jwks)
    assert document["complete"] and not document["unsealed"]
    assert len(document["events"]) == 6
    report = verify_export(document, None)
    assert report.ok, report.findings
    assert "taken from the export itself" in report.notes[0]
    opened = next(e for e in document["events"] if e["action"] == "message.opened")
    assert opened["ip"] is None and "origin" in opened and "origin_salt" not in opened
    csv_text = exports.export_csv(ctx, sealed_world.owner, lang="en", public_jwks=jwks)
    path = tmp_path / "trail.csv"
    path.write_text(csv_text)
    keys = tmp_path / "jwks.json"
    keys.write_text(json.dumps(jwks))
    result = CliRunner().invoke(
        main, ["audit", "verify", "--export", str(path), "--jwks", str(keys)]
    )
    assert result.exit_code == 0, result.output
    assert "\nOK export" in result.output, result.output


def _exported(sealed_world, world_session):
    ctx = ctx_of(world_session, sealed_world.owner)
    return exports.export_trail(ctx, sealed_world.owner, public_jwks=sealed_world.key.jwks())


def test_an_edited_export_fails_and_names_the_event(sealed_world, world_session):
    document = _exported(sealed_world, world_session)
    victim = document["events"][2]
    victim["detail"]["afnemer"] = "Belastingdienst"
    report = verify_export(document, None)
    assert [str(finding.place) for finding in report.findings] == [
        f"event #3 (seq {victim['seq']})"
    ]
    assert "not in the signed log" in report.findings[0].problem


def test_a_shortened_export_breaks_the_chain(sealed_world, world_session):
    document = _exported(sealed_world, world_session)
    removed = document["events"].pop(1)
    report = verify_export(document, None)
    assert report.findings[0].place == f"event #2 (seq {document['events'][1]['seq']})"
    assert "chain is broken" in report.findings[0].problem
    assert removed["seq"] < document["events"][1]["seq"]


def test_a_reordered_export_is_caught(sealed_world, world_session):
    document = _exported(sealed_world, world_session)
    events = document["events"]
    events[1], events[2] = events[2], events[1]
    report = verify_export(document, None)
    assert {f.place for f in report.findings} >= {
        f"event #2 (seq {events[1]['seq']})",
        f"event #3 (seq {events[2]['seq']})",
    }


def test_an_invented_event_in_an_export_is_caught(sealed_world, world_session):
    document = _exported(sealed_world, world_session)
    forged = json.loads(json.dumps(document["events"][0]))
    forged["action"] = "mandate.granted"
    forged["seq"] = document["events"][-1]["seq"] + 1
    forged["account_index"] = document["events"][-1]["account_index"] + 1
    document["events"].append(forged)
    report = verify_export(document, None)
    assert report.findings[0].place == f"event #{len(document['events'])} (seq {forged['seq']})"


def test_an_export_signed_with_another_key_is_refused(sealed_world, world_session, tmp_path):
    from machtigen.audit.checkpoints import TrustedKeys
    from machtigen.keys import SigningKey

    document = _exported(sealed_world, world_session)
    stranger = SigningKey.from_file(str(tmp_path / "other.pem"))
    report = verify_export(document, TrustedKeys.of(stranger))
    assert report.findings and "not trusted" in report.findings[0].problem


def test_csv_cells_cannot_run_formulas(sealed_world, world_session):
    owner = world_session.get(Person, sealed_world.owner)
    ctx = ctx_of(world_session, owner.id)
    ctx = Ctx(
        ctx.session,
        PersonActor(owner.id, ctx.now, loa="midden", name='=HYPERLINK("x")'),
        ctx.clock,
        ctx.authz,
        Origin("192.0.2.1", "@SUM(1)"),
    )
    from machtigen.accounts import service as accounts

    accounts.set_repeat_reminders(ctx, owner.id, False)
    world_session.flush()
    rows = list(csv.reader(io.StringIO(exports.export_csv(ctx, owner.id))))
    for row in rows[1:]:
        for cell in row[:-1]:
            assert not cell.startswith(("=", "+", "-", "@")), cell
