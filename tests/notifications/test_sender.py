"""The sender against a real SMTP server: delivery, backoff when it is down, bounces that
lead to a paper letter, and a crash between sending and recording."""

import random
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from machtigen.afnemers.models import ServiceCategory
from machtigen.messages.models import MessageRead
from machtigen.notifications.models import (
    AfnemerEvent,
    BounceCount,
    Letter,
    LetterReason,
    MessageFollowUp,
    Notification,
    NotificationStatus,
)
from machtigen.notifications.outbox import on_message_delivered
from machtigen.notifications.sender import Sender, backoff_delay, message_id_header
from tests import factories as f
from tests.notifications.conftest import (
    Inbox,
    free_port,
    sender_config,
    smtp_server,
    with_email,
)


class SimulatedCrash(BaseException):
    """The process dies: nothing in the sender may catch this."""


def _owner_with_messages(session, count, address="owner@example.nl", *, afnemer=None):
    owner = with_email(session, f.person(session), address)
    issuer = afnemer or f.afnemer(session, name="UWV")
    svc = f.service(session, issuer, ServiceCategory.FINANCIAL)
    messages = [f.message(session, owner, svc) for _ in range(count)]
    return owner, messages


def _enqueue(ctx, messages):
    return [n for m in messages for n in on_message_delivered(ctx, m)]


def _sender(uow, clock, authz, port, **overrides):
    return Sender(uow, clock, authz, sender_config(port, **overrides), rng=random.Random(7))


def _status(session, notification):
    session.expire_all()
    return session.get(Notification, notification.id)


async def test_delivers_each_notification_once_with_a_stable_message_id(
    session, uow, clock, authz, operator_ctx, inbox
):
    handler, port = inbox
    _owner, messages = _owner_with_messages(session, 3)
    notifications = _enqueue(operator_ctx, messages)
    report = await _sender(uow, clock, authz, port).run_once()
    assert (report.claimed, report.sent) == (3, 3)
    assert handler.transmissions == 3 and handler.duplicates == 0
    assert handler.message_ids() == sorted(
        message_id_header(n.id, "mijnoverheid.example") for n in notifications
    )
    assert all(m["Subject"].startswith("Nieuw bericht van UWV") for m in handler.accepted)
    for notification in notifications:
        row = _status(session, notification)
        assert row.status == NotificationStatus.SENT and row.sent_at == clock.now()
    assert (await _sender(uow, clock, authz, port).run_once()).claimed == 0


async def test_server_down_retries_with_capped_jittered_backoff(
    session, uow, clock, authz, operator_ctx
):
    port = free_port()  # nothing listens here
    _owner, messages = _owner_with_messages(session, 1)
    [notification] = _enqueue(operator_ctx, messages)
    sender = _sender(uow, clock, authz, port)
    report = await sender.run_once()
    assert (report.claimed, report.retried, report.sent) == (1, 1, 0)
    row = _status(session, notification)
    assert row.status == NotificationStatus.PENDING and row.attempts == 1
    wait = row.available_at - clock.now()
    assert timedelta(seconds=30) <= wait <= timedelta(seconds=60)
    assert (await sender.run_once()).claimed == 0  # not due yet
    assert session.scalar(select(BounceCount)) is None  # our outage is not the person's bounce

    clock.advance(wait)
    report = await sender.run_once()
    assert report.retried == 1 and _status(session, notification).attempts == 2
    second_wait = _status(session, notification).available_at - clock.now()
    assert timedelta(seconds=60) <= second_wait <= timedelta(seconds=120)

    handler = Inbox()
    with smtp_server(handler) as up:  # the server is back (on a new port, configured anew)
        clock.advance(second_wait)
        report = await _sender(uow, clock, authz, up).run_once()
    assert report.sent == 1 and len(handler.accepted) == 1
    assert _status(session, notification).status == NotificationStatus.SENT


def test_backoff_is_exponential_capped_and_jittered():
    rng = random.Random(1)
    delays = [backoff_delay(n, 30, 600, rng) for n in range(1, 10)]
    for attempt, delay in enumerate(delays, start=1):
        step = min(600, 30 * 2 ** (attempt - 1))
        assert step / 2 <= delay <= step
    assert max(delays) <= 600
    assert len({round(d, 6) for d in delays[-4:]}) == 4  # capped, but jittered apart


async def test_gives_up_after_max_attempts(session, uow, clock, authz, operator_ctx):
    port = free_port()
    _owner, messages = _owner_with_messages(session, 1)
    [notification] = _enqueue(operator_ctx, messages)
    sender = _sender(uow, clock, authz, port, max_attempts=3)
    for _ in range(3):
        await sender.run_once()
        clock.advance(timedelta(hours=2))
    assert _status(session, notification).status == NotificationStatus.FAILED
    assert (await sender.run_once()).claimed == 0


@pytest.mark.parametrize("legal_basis", [True, False])
async def test_bounced_address_leads_to_a_letter_after_the_configured_failures(
    session, uow, clock, authz, operator_ctx, refusing_inbox, legal_basis
):
    handler, port = refusing_inbox
    afnemer = f.afnemer(session, name="SVB", read_state_legal_basis=legal_basis)
    owner, [unread, read] = _owner_with_messages(session, 2, afnemer=afnemer)
    session.add(
        MessageRead(
            message_id=read.id, reader_kind="person", reader_id=owner.id, read_at=clock.now()
        )
    )
    [first, _second] = _enqueue(operator_ctx, [unread, read])
    sender = _sender(uow, clock, authz, port, escalate_after_bounces=3, max_attempts=10)

    report = await sender.run_once()  # two refusals
    assert report.retried == 2 and report.letters == 0
    assert session.scalar(select(Letter)) is None
    clock.advance(timedelta(hours=2))
    report = await sender.run_once()  # the third refusal reaches the threshold
    assert report.letters == 1
    assert handler.accepted == []

    [letter] = session.scalars(select(Letter)).all()
    assert letter.person_id == owner.id and letter.reason == LetterReason.BOUNCED
    assert letter.unread_count == 1
    assert session.get(MessageFollowUp, unread.id).letter_id == letter.id
    assert session.get(MessageFollowUp, read.id) is None  # a read message is never escalated
    events = session.scalars(select(AfnemerEvent)).all()
    if legal_basis:
        assert [e.message_id for e in events] == [unread.id]
        assert session.get(MessageFollowUp, unread.id).not_reached_at == clock.now()
    else:
        assert events == []  # rule 8: this afnemer may not learn the read state
        assert session.get(MessageFollowUp, unread.id).not_reached_at is None
    counter = session.get(BounceCount, owner.id)
    assert counter.consecutive == 4 and counter.escalated_address == "owner@example.nl"
    assert _status(session, first).status == NotificationStatus.PENDING  # still retried

    # More refusals of the same address: no second letter.
    for _ in range(3):
        clock.advance(timedelta(hours=3))
        assert (await sender.run_once()).letters == 0
    assert len(session.scalars(select(Letter)).all()) == 1


async def test_crash_between_sending_and_recording_delivers_each_notification_once(
    session, uow, clock, authz, operator_ctx, inbox
):
    handler, port = inbox
    _owner, messages = _owner_with_messages(session, 3)
    notifications = _enqueue(operator_ctx, messages)

    crashing = _sender(uow, clock, authz, port)
    sent_before_crash: list = []

    def die_after_second(notification):
        sent_before_crash.append(notification.id)
        if len(sent_before_crash) == 2:
            raise SimulatedCrash()

    crashing.after_send = die_after_second
    with pytest.raises(SimulatedCrash):
        await crashing.run_once()
    # The first outcome was recorded; the second was sent but never recorded; the third
    # was claimed and never sent. The claims hold until the lease runs out.
    by_id = {n.id: n for n in notifications}
    recorded, unrecorded = (by_id[i] for i in sent_before_crash)
    [never_sent] = set(by_id) - set(sent_before_crash)
    assert _status(session, recorded).status == NotificationStatus.SENT
    assert _status(session, unrecorded).status == NotificationStatus.SENDING
    assert _status(session, by_id[never_sent]).status == NotificationStatus.SENDING
    assert handler.transmissions == 2
    restarted = _sender(uow, clock, authz, port)
    assert (await restarted.run_once()).claimed == 0

    clock.advance(timedelta(minutes=5, seconds=1))
    report = await restarted.run_once()
    assert (report.claimed, report.sent) == (2, 2)

    assert handler.transmissions == 4
    assert handler.duplicates == 1  # the second one, recognised by its Message-ID and dropped
    assert len(handler.accepted) == 3
    assert handler.message_ids() == sorted(
        message_id_header(n.id, "mijnoverheid.example") for n in notifications
    )
    for notification in notifications:
        assert _status(session, notification).status == NotificationStatus.SENT
    assert (await restarted.run_once()).claimed == 0


async def test_two_senders_never_claim_the_same_rows(
    session, uow, clock, authz, operator_ctx, inbox
):
    _handler, port = inbox
    _owner, messages = _owner_with_messages(session, 5)
    _enqueue(operator_ctx, messages)
    one = _sender(uow, clock, authz, port, batch_size=3)
    two = _sender(uow, clock, authz, port, batch_size=3)
    token = uuid.uuid4()
    first = one._claim(token)
    second = two._claim(uuid.uuid4())
    assert len(first) == 3 and len(second) == 2
    assert not {n.id for n in first} & {n.id for n in second}
    assert all(n.claim_token == token for n in first)
    assert two._claim(uuid.uuid4()) == []


async def test_a_delivery_to_the_owner_resets_the_bounce_count(
    session, uow, clock, authz, operator_ctx, inbox
):
    handler, port = inbox
    owner, messages = _owner_with_messages(session, 1)
    session.add(BounceCount(person_id=owner.id, consecutive=2, total=2))
    _enqueue(operator_ctx, messages)
    assert (await _sender(uow, clock, authz, port).run_once()).sent == 1
    session.expire_all()
    counter = session.get(BounceCount, owner.id)
    assert (counter.consecutive, counter.total) == (0, 2)
    assert len(handler.to("owner@example.nl")) == 1
