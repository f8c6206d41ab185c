"""Refused addresses (rule 7) and what the afnemer's status answer says about them.

A 5xx answer to RCPT TO is a refusal of the address: a bounce, counted per address, retried
hours apart, and after ``escalate_after_bounces`` refusals a paper letter and "not reached".
A 4xx answer, a refusal of the message itself and our own server being down are retried too,
but never held against the person's address. The status answer tells one story: the outcome
and moment of the last attempt, and whether a letter went out.
"""

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from machtigen.afnemers.models import ServiceCategory
from machtigen.authz.actors import AfnemerActor
from machtigen.mandates.models import MandateAction
from machtigen.messages.status import message_status
from machtigen.notifications.models import (
    AttemptOutcome,
    BounceCount,
    Letter,
    Notification,
    NotificationStatus,
)
from machtigen.notifications.outbox import on_message_delivered
from machtigen.notifications.sender import Sender
from tests import factories as f
from tests.notifications.conftest import (
    Inbox,
    RefusingInbox,
    free_port,
    sender_config,
    smtp_server,
    with_email,
)


class DeferringInbox(Inbox):
    """ "Try again later" for every recipient: a full mailbox, greylisting."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        return "452 4.2.2 Mailbox full, try again later"


class MessageRejectingInbox(Inbox):
    """Accepts the address, refuses the message itself (content, size): not a bounce."""

    async def handle_DATA(self, server, session, envelope) -> str:
        return "554 5.6.0 Message rejected"


@pytest.fixture
def world(session):
    """An owner with one unread message from an afnemer that may know the read state."""
    owner = with_email(session, f.person(session), "owner@example.nl")
    owner.postal_address = "Dorpsstraat 1, 3511 AA Utrecht"
    afnemer = f.afnemer(session, name="SVB", read_state_legal_basis=True)
    message = f.message(session, owner, f.service(session, afnemer, ServiceCategory.FINANCIAL))
    return owner, afnemer, message


def _sender(uow, clock, authz, port, **overrides):
    config = sender_config(port, bounce_retry_base=3600.0, backoff_cap=6 * 3600.0, **overrides)
    return Sender(uow, clock, authz, config, rng=random.Random(3))


def _row(session, notification) -> Notification:
    session.expire_all()
    return session.get(Notification, notification.id)


def _story(ctx_for, clock, afnemer, message):
    answer = message_status(ctx_for(AfnemerActor(afnemer.id, clock.now())), message.id)
    state = answer.notification
    return state.status, state.last_attempt_at, state.person_not_reached


async def test_a_refused_address_is_retried_hours_apart_and_then_gets_a_letter(
    session, uow, clock, authz, operator_ctx, ctx_for, world
):
    owner, afnemer, message = world
    [notification] = on_message_delivered(operator_ctx, message)
    handler = RefusingInbox()
    with smtp_server(handler) as port:
        sender = _sender(uow, clock, authz, port)
        assert _story(ctx_for, clock, afnemer, message) == ("pending", None, False)

        clock.advance(timedelta(minutes=7))
        first_attempt = clock.now()
        assert (await sender.run_once()).retried == 1
        row = _row(session, notification)
        assert row.last_outcome == AttemptOutcome.REFUSED and row.last_attempt_at == first_attempt
        # Refused, and waiting for its retry: "bounced", at the moment of the attempt, which
        # is neither the delivery time of the message nor the time it was written.
        assert message.received_at != first_attempt
        assert _story(ctx_for, clock, afnemer, message) == ("bounced", first_attempt, False)
        wait = row.available_at - clock.now()
        assert timedelta(minutes=30) <= wait <= timedelta(hours=1)

        clock.advance(timedelta(minutes=29))
        assert (await sender.run_once()).claimed == 0  # not yet: hours apart, not seconds
        clock.advance(wait)
        await sender.run_once()
        second_wait = _row(session, notification).available_at - clock.now()
        assert timedelta(hours=1) <= second_wait <= timedelta(hours=2)
        assert session.scalar(select(Letter)) is None
        clock.advance(second_wait)
        third_attempt = clock.now()
        report = await sender.run_once()

    assert report.letters == 1 and handler.accepted == []
    counter = session.get(BounceCount, owner.id)
    assert (counter.address, counter.consecutive) == ("owner@example.nl", 3)
    [letter] = session.scalars(select(Letter)).all()
    assert letter.person_id == owner.id
    assert _story(ctx_for, clock, afnemer, message) == ("bounced", third_attempt, True)
    assert third_attempt - first_attempt >= timedelta(hours=1, minutes=30)


async def test_try_later_answers_are_retried_and_never_count_as_a_bounce(
    session, uow, clock, authz, operator_ctx, ctx_for, world
):
    owner, afnemer, message = world
    [notification] = on_message_delivered(operator_ctx, message)
    with smtp_server(DeferringInbox()) as port:
        sender = _sender(uow, clock, authz, port, max_attempts=4)
        for _ in range(4):
            attempt = clock.now()
            await sender.run_once()
            assert _row(session, notification).last_outcome == AttemptOutcome.DEFERRED
            if _row(session, notification).status == NotificationStatus.PENDING:
                assert _story(ctx_for, clock, afnemer, message) == ("pending", attempt, False)
            clock.advance(timedelta(hours=2))
    assert _row(session, notification).status == NotificationStatus.FAILED
    assert _story(ctx_for, clock, afnemer, message) == ("failed", attempt, False)
    assert session.get(BounceCount, owner.id) is None
    assert session.scalar(select(Letter)) is None


async def test_a_refused_message_is_not_a_refused_address(
    session, uow, clock, authz, operator_ctx, world
):
    owner, _afnemer, message = world
    [notification] = on_message_delivered(operator_ctx, message)
    with smtp_server(MessageRejectingInbox()) as port:
        sender = _sender(uow, clock, authz, port)
        for _ in range(4):
            await sender.run_once()
            clock.advance(timedelta(hours=1))
    row = _row(session, notification)
    assert row.status == NotificationStatus.PENDING
    assert row.last_outcome == AttemptOutcome.DEFERRED and "554" in row.last_error
    assert session.get(BounceCount, owner.id) is None


async def test_refusals_of_a_replaced_address_do_not_count_against_the_new_one(
    session, uow, clock, authz, operator_ctx, world
):
    owner, _afnemer, message = world
    on_message_delivered(operator_ctx, message)
    with smtp_server(RefusingInbox()) as port:
        sender = _sender(uow, clock, authz, port)
        for _ in range(2):
            await sender.run_once()
            clock.advance(timedelta(hours=3))
        assert session.get(BounceCount, owner.id).consecutive == 2

        # The person gives a new address; it is refused too, once: one refusal, no letter.
        with_email(session, owner, "new@example.nl")
        later = f.message(session, owner, f.service(session, _afnemer, ServiceCategory.OTHER))
        [fresh] = on_message_delivered(operator_ctx, later)
        session.get(Notification, fresh.id).available_at = clock.now() + timedelta(hours=4)
        clock.advance(timedelta(hours=4))
        session.execute(  # only the new address's notification is due now
            Notification.__table__.update()
            .where(Notification.id != fresh.id)
            .values(available_at=clock.now() + timedelta(days=1))
        )
        report = await sender.run_once()
    assert report.claimed == 1 and report.letters == 0
    counter = session.get(BounceCount, owner.id)
    assert (counter.address, counter.consecutive) == ("new@example.nl", 1)
    assert session.scalar(select(Letter)) is None


async def test_a_representatives_refused_address_is_not_the_owners(
    session, uow, clock, authz, operator_ctx, world
):
    owner, afnemer, _message = world
    rep = with_email(session, f.person(session), "rep@example.nl")
    service = f.service(session, afnemer, ServiceCategory.FINANCIAL)
    f.mandate(session, owner, person=rep, scope=[(service, MandateAction.RECEIVE_NOTIFICATIONS)])
    message = f.message(session, owner, service)
    notifications = on_message_delivered(operator_ctx, message)
    assert {n.email for n in notifications} == {"owner@example.nl", "rep@example.nl"}
    for notification in notifications:  # the owner's went out elsewhere; only the rep's is due
        if notification.email == "owner@example.nl":
            notification.status = NotificationStatus.SENT
    session.flush()
    with smtp_server(RefusingInbox()) as port:
        sender = _sender(uow, clock, authz, port)
        for _ in range(5):
            await sender.run_once()
            clock.advance(timedelta(hours=12))
    assert session.get(BounceCount, owner.id) is None
    assert session.scalar(select(Letter)) is None


async def test_sent_then_unread_without_a_visit_says_sent_and_not_reached(
    session, uow, clock, authz, operator_ctx, ctx_for, world, tmp_path
):
    from machtigen.jobs import Jobs, JobsConfig

    _owner, afnemer, message = world
    on_message_delivered(operator_ctx, message)
    handler = Inbox()
    with smtp_server(handler) as port:
        clock.advance(timedelta(minutes=2))
        sent_at = clock.now()
        assert (await _sender(uow, clock, authz, port).run_once()).sent == 1
    assert _story(ctx_for, clock, afnemer, message) == ("sent", sent_at, False)
    clock.advance(timedelta(days=40))
    config = JobsConfig(escalate_unvisited_days=30, letters_dir=tmp_path)
    Jobs(uow, clock, authz, config).run(("escalate_unvisited",))
    assert _story(ctx_for, clock, afnemer, message) == ("sent", sent_at, True)


async def test_without_an_address_the_status_is_none_and_the_letter_still_counts(
    session, uow, clock, authz, ctx_for, tmp_path
):
    from machtigen.jobs import Jobs, JobsConfig

    owner = f.person(session)  # no e-mail address
    afnemer = f.afnemer(session, read_state_legal_basis=True)
    message = f.message(session, owner, f.service(session, afnemer, ServiceCategory.OTHER))
    assert on_message_delivered(ctx_for(AfnemerActor(afnemer.id, clock.now())), message) == []
    assert _story(ctx_for, clock, afnemer, message) == ("none", None, False)
    clock.advance(timedelta(days=40))
    Jobs(uow, clock, authz, JobsConfig(escalate_unvisited_days=30, letters_dir=tmp_path)).run(
        ("escalate_unvisited",)
    )
    assert _story(ctx_for, clock, afnemer, message) == ("none", None, True)


async def test_our_server_down_is_pending_with_the_attempt_time(
    session, uow, clock, authz, operator_ctx, ctx_for, world
):
    _owner, afnemer, message = world
    on_message_delivered(operator_ctx, message)
    clock.advance(timedelta(minutes=3))
    attempt = clock.now()
    await _sender(uow, clock, authz, free_port()).run_once()
    assert _story(ctx_for, clock, afnemer, message) == ("pending", attempt, False)
