"""Reminders after three weeks unread (once), the unvisited-account letter, prompts, and the
jobs run: leases between hosts, idempotent when run twice."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from machtigen.accounts.models import Account
from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import AfnemerActor, PersonActor
from machtigen.consents.models import Consent
from machtigen.jobs import Jobs, JobsConfig
from machtigen.leases import JobLease
from machtigen.mandates.models import Mandate, MandateAction, MandateStatus
from machtigen.messages.models import MessageRead
from machtigen.messages.status import message_status
from machtigen.notifications.events import events_for_afnemer
from machtigen.notifications.models import (
    AfnemerEvent,
    Letter,
    LetterReason,
    LetterStatus,
    Notification,
    NotificationKind,
)
from machtigen.notifications.prompts import Prompt, portal_prompts
from tests import factories as f
from tests.factories import T0
from tests.notifications.conftest import SENDER, with_email


@pytest.fixture
def jobs(uow, clock, authz, tmp_path):
    config = JobsConfig(
        reminder_days=21, escalate_unvisited_days=30, letters_dir=tmp_path, letter_sender=SENDER
    )
    return Jobs(uow, clock, authz, config, holder="host-a")


def _reminders(session, message):
    return session.scalars(
        select(Notification).where(
            Notification.message_id == message.id, Notification.kind == NotificationKind.REMINDER
        )
    ).all()


@pytest.fixture
def unread(session):
    owner = with_email(session, f.person(session), "owner@example.nl")
    rep = with_email(session, f.person(session), "rep@example.nl")
    afnemer = f.afnemer(session, name="Gemeente Utrecht", read_state_legal_basis=True)
    svc = f.service(session, afnemer, ServiceCategory.OTHER)
    f.mandate(session, owner, person=rep, scope=[(svc, MandateAction.RECEIVE_NOTIFICATIONS)])
    message = f.message(session, owner, svc, received_at=T0)
    return owner, message


def test_reminder_at_21_days_unread_never_at_20_never_twice(session, clock, jobs, unread):
    _owner, message = unread
    clock.set(T0 + timedelta(days=20, hours=23))
    jobs.run(("reminders",))
    assert _reminders(session, message) == []

    clock.set(T0 + timedelta(days=21))
    [result] = jobs.run(("reminders",))
    assert result.ran and result.done == 1
    reminders = _reminders(session, message)
    assert {n.email for n in reminders} == {"owner@example.nl", "rep@example.nl"}
    assert all(n.subject.startswith("Herinnering") for n in reminders)

    for days in (22, 40, 400):
        clock.set(T0 + timedelta(days=days))
        jobs.run(("reminders",))
    # Even with the watermark lost, the message's own record forbids a second reminder.
    session.execute(delete(JobLease))
    jobs.run(("reminders",))
    assert len(_reminders(session, message)) == 2
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "message.reminder")).all()
    assert len(audit) == 1 and audit[0].actor_kind == "system"


def test_a_read_message_or_reminders_off_gets_no_reminder(session, clock, jobs, unread):
    owner, message = unread
    other = f.message(session, owner, f.service(session, f.afnemer(session), ServiceCategory.OTHER))
    other.received_at = T0
    session.add(
        MessageRead(message_id=message.id, reader_kind="person", reader_id=owner.id, read_at=T0)
    )
    clock.set(T0 + timedelta(days=21))
    jobs.run(("reminders",))
    assert _reminders(session, message) == []
    assert len(_reminders(session, other)) == 1

    quiet = with_email(session, f.person(session), "quiet@example.nl")
    session.get(Account, quiet.id).repeat_reminders = False
    muted = f.message(session, quiet, f.service(session, f.afnemer(session), ServiceCategory.OTHER))
    muted.received_at = T0 + timedelta(days=1)
    clock.set(T0 + timedelta(days=23))
    jobs.run(("reminders",))
    assert _reminders(session, muted) == []


def test_unvisited_account_gets_one_letter_and_the_afnemer_is_told(
    session, clock, jobs, unread, ctx_for, tmp_path
):
    owner, message = unread
    account = session.get(Account, owner.id)
    account.last_visit_at = T0 - timedelta(days=2)  # no visit since the message came
    owner.postal_address = "Dorpsstraat 1, 3511 AA Utrecht"
    clock.set(T0 + timedelta(days=29))
    jobs.run(("escalate_unvisited",))
    assert session.scalar(select(Letter)) is None

    clock.set(T0 + timedelta(days=30))
    results = jobs.run(("escalate_unvisited", "write_letters"))
    assert [(r.name, r.done) for r in results] == [("escalate_unvisited", 1), ("write_letters", 1)]
    [letter] = session.scalars(select(Letter)).all()
    assert letter.reason == LetterReason.UNVISITED and letter.status == LetterStatus.WRITTEN
    pdf = Path(tmp_path, letter.file_name).read_bytes()
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1000

    afnemer_ctx = ctx_for(AfnemerActor(message.afnemer_id, clock.now()))
    status = message_status(afnemer_ctx, message.id)
    assert status.notification.person_not_reached is True
    [event] = events_for_afnemer(afnemer_ctx)
    assert event["specversion"] == "1.0"
    assert event["type"] == "nl.mijnoverheid.berichtenbox.bericht-niet-bereikt"
    assert event["source"].startswith("urn:nld:oin:")
    assert event["subject"] == str(message.id) and event["data"]["berichtId"] == str(message.id)
    assert events_for_afnemer(afnemer_ctx, after=int(event["sequence"])) == []
    stranger = ctx_for(AfnemerActor(f.afnemer(session).id, clock.now()))
    assert events_for_afnemer(stranger) == []

    clock.set(T0 + timedelta(days=90))
    assert [r.done for r in jobs.run(("escalate_unvisited", "write_letters"))] == [0, 0]
    assert len(session.scalars(select(Letter)).all()) == 1


def test_read_or_visited_is_never_escalated(session, clock, jobs, unread, ctx_for):
    owner, message = unread
    session.add(
        MessageRead(message_id=message.id, reader_kind="person", reader_id=owner.id, read_at=T0)
    )
    visitor = f.person(session)
    session.get(Account, visitor.id).last_visit_at = T0 + timedelta(days=3)
    seen = f.message(
        session, visitor, f.service(session, f.afnemer(session), ServiceCategory.OTHER)
    )
    seen.received_at = T0
    clock.set(T0 + timedelta(days=100))
    jobs.run(("escalate_unvisited",))
    assert session.scalar(select(Letter)) is None
    afnemer_ctx = ctx_for(AfnemerActor(message.afnemer_id, clock.now()))
    assert message_status(afnemer_ctx, message.id).notification.person_not_reached is False


def test_without_legal_basis_or_consent_the_afnemer_learns_nothing(session, clock, jobs, ctx_for):
    owner = f.person(session)
    afnemer = f.afnemer(session, read_state_legal_basis=False)
    message = f.message(session, owner, f.service(session, afnemer, ServiceCategory.OTHER))
    message.received_at = T0
    clock.set(T0 + timedelta(days=31))
    jobs.run(("escalate_unvisited",))
    assert session.scalar(select(Letter)).unread_count == 1
    afnemer_ctx = ctx_for(AfnemerActor(afnemer.id, clock.now()))
    assert message_status(afnemer_ctx, message.id).notification.person_not_reached is None
    assert session.scalars(select(AfnemerEvent)).all() == []

    # Once the person consents to sharing the read state, the next case is told.
    session.add(
        Consent(
            person_id=owner.id,
            afnemer_id=afnemer.id,
            opted_in=True,
            changed_at=T0,
            effective_at=T0,
            share_read_state=True,
        )
    )
    later = f.message(session, owner, f.service(session, afnemer, ServiceCategory.OTHER))
    later.received_at = T0 + timedelta(days=2)
    clock.set(T0 + timedelta(days=33))
    jobs.run(("escalate_unvisited",))
    assert message_status(afnemer_ctx, later.id).notification.person_not_reached is True


def test_jobs_lease_keeps_a_second_host_out_and_a_rerun_does_nothing(
    session, uow, clock, authz, jobs, tmp_path
):
    owner = f.person(session)
    rep = f.person(session)
    svc = f.service(session, f.afnemer(session), ServiceCategory.OTHER)
    due = f.mandate(
        session,
        owner,
        person=rep,
        scope=[(svc, MandateAction.READ)],
        valid_until=T0 + timedelta(days=1),
    )
    clock.set(T0 + timedelta(days=2))
    other_host = Jobs(
        uow, clock, authz, JobsConfig(letters_dir=tmp_path, letter_sender=SENDER), holder="host-b"
    )
    with uow() as s:
        s.add(
            JobLease(
                name="expire_mandates",
                holder="host-b",
                lease_until=clock.now() + timedelta(minutes=5),
            )
        )
    [skipped] = jobs.run(("expire_mandates",))
    assert not skipped.ran
    assert session.get(Mandate, due.id).status == MandateStatus.ACTIVE

    clock.advance(timedelta(minutes=6))  # host-b died; its lease ran out
    first = jobs.run()
    assert {r.name: r.done for r in first}["expire_mandates"] == 1
    assert session.get(Mandate, due.id).status == MandateStatus.EXPIRED
    second = other_host.run()
    assert all(r.ran for r in second)
    assert sum(r.done for r in second) == 0
    expiries = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "mandate.expired")
    ).all()
    assert len(expiries) == 1 and expiries[0].actor_id == "jobs.expire_mandates"


def test_untick_transition_is_noted_once_when_it_takes_effect(session, clock, jobs):
    owner = f.person(session)
    consent = Consent(
        person_id=owner.id,
        afnemer_id=f.afnemer(session).id,
        opted_in=False,
        previous_opted_in=True,
        changed_at=T0,
        effective_at=T0 + timedelta(days=21),
    )
    session.add(consent)
    clock.set(T0 + timedelta(days=20))
    assert jobs.run(("untick_transitions",))[0].done == 0
    clock.set(T0 + timedelta(days=21))
    assert jobs.run(("untick_transitions",))[0].done == 1
    clock.set(T0 + timedelta(days=22))
    assert jobs.run(("untick_transitions",))[0].done == 0


def test_prompts_ask_for_an_address_and_every_six_months_whether_it_is_current(
    session, ctx_for, clock
):
    owner = f.person(session)
    ctx = lambda: ctx_for(PersonActor(owner.id, clock.now()))  # noqa: E731
    assert portal_prompts(ctx(), owner.id) == [Prompt.ASK_EMAIL]
    account = session.get(Account, owner.id)
    account.email = "owner@example.nl"
    account.email_confirmed_at = T0
    assert portal_prompts(ctx(), owner.id) == []
    clock.set(T0 + timedelta(days=180))
    assert portal_prompts(ctx(), owner.id) == []
    clock.set(T0.replace(year=2027, month=5))  # six calendar months later
    assert portal_prompts(ctx(), owner.id) == [Prompt.CONFIRM_EMAIL]


def test_a_measure_recorded_ahead_takes_effect_on_mandates_when_it_starts(
    session, clock, jobs, register_ctx
):
    from machtigen.mandates.models import MandateScope, MeasureKind
    from machtigen.mandates.service import MeasureRecord, Representative, record_measure

    client = f.person(session)
    helper = f.person(session)
    bewindvoerder = f.person(session)
    svc = f.service(session, f.afnemer(session), ServiceCategory.FINANCIAL)
    mandate = f.mandate(session, client, person=helper, scope=[(svc, MandateAction.READ)])
    record_measure(
        register_ctx,
        MeasureRecord(
            register_id="CCBR-ahead",
            subject_person_id=client.id,
            kind=MeasureKind.BESCHERMINGSBEWIND,
            representative=Representative(person_id=bewindvoerder.id),
            starts_at=T0 + timedelta(days=5),
        ),
    )
    scope = session.scalars(select(MandateScope).where(MandateScope.mandate_id == mandate.id)).one()
    jobs.run(("start_measures",))
    assert scope.lapsed_by_measure_id is None  # not started yet
    clock.set(T0 + timedelta(days=5))
    assert jobs.run(("start_measures",))[0].done == 1
    assert scope.lapsed_by_measure_id is not None
    assert session.get(Mandate, mandate.id).status == MandateStatus.LAPSED
    clock.set(T0 + timedelta(days=6))
    assert jobs.run(("start_measures",))[0].done == 0
