"""The PostgreSQL delivery (``deliver_pg``) answers and writes exactly as ``deliver`` does.

Every combination of account state, paper switch, opt-in, legal duty, exempted group and
address goes through both paths on one committed world (the async path writes on its own
connections, so this module fills a scratch database of its own): the answers, the message
rows, the audit events (with valid MACs) and the outbox rows must be equal. Then idempotency:
a replay, a replay with another body, concurrent deliveries with one key, and a duplicate
that only the INSERT's conflict finds; and a request cancelled mid-way.
"""

import asyncio
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlmodel import col

from machtigen.accounts.models import Account, AccountState
from machtigen.afnemers.errors import ServiceNotFound
from machtigen.afnemers.models import Afnemer, ServiceCategory
from machtigen.afnemers.service import service_by_code
from machtigen.audit.mac import current
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import AfnemerActor
from machtigen.authz.engine import get_authorizer
from machtigen.clock import FrozenClock
from machtigen.consents.models import Channel, Consent, DeliveryReason
from machtigen.context import Ctx, Origin
from machtigen.db import make_engine, scratch_database
from machtigen.identity.errors import InvalidBsn
from machtigen.identity.models import Person
from machtigen.mandates.check_pg import open_pool
from machtigen.mandates.models import MandateAction, MeasureKind
from machtigen.messages.deliver_pg import Delivered, Delivery, FastDeliveries
from machtigen.messages.errors import IdempotencyKeyReused, UnknownRecipient
from machtigen.messages.models import Message
from machtigen.messages.service import NewMessage, deliver
from machtigen.migrate import upgrade
from machtigen.notifications.models import Notification
from tests import factories
from tests.factories import T0

SERVER = os.environ.get("MACHTIGEN_TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not SERVER.startswith("postgresql"), reason="the fast path is PostgreSQL's"
)
ORIGIN = Origin("192.0.2.9", "pytest")


@dataclass
class World:
    engine: Engine
    url: str
    voluntary: AfnemerActor
    required: AfnemerActor
    cases: list[tuple[AfnemerActor, str, str, bool]] = field(default_factory=list)
    """(afnemer, service code, person's BSN, someone represents the person)"""
    emailed: str = ""
    """An activated, opted-in person with an address whom nobody represents."""


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with scratch_database(SERVER, "machtigen_deliver") as url:
        engine = make_engine(url)
        upgrade(engine)
        with Session(engine, expire_on_commit=False) as session:
            built = _fill(session, engine, url)
            session.commit()
        yield built
        engine.dispose()


def _fill(session: Session, engine: Engine, url: str) -> World:
    voluntary = factories.afnemer(session)
    required = factories.afnemer(session, legally_required=True)
    factories.service(session, voluntary, ServiceCategory.FINANCIAL, code="vol")
    factories.service(session, required, ServiceCategory.FINANCIAL, code="tax")
    other = factories.afnemer(session)
    factories.service(session, other, ServiceCategory.FINANCIAL, code="theirs")
    world = World(
        engine,
        url,
        AfnemerActor(voluntary.id, T0, name=voluntary.name),
        AfnemerActor(required.id, T0, name=required.name),
    )
    states: list[AccountState | None] = [None, *AccountState]
    consents = ["none", "ticked", "untick_pending", "unticked"]
    for n, (state, paper_only, consent, email, born, non_resident) in enumerate(
        itertools.product(
            states,
            [False, True],
            consents,
            [None, "iemand@example.org"],
            [date(1970, 1, 1), T0.date() - timedelta(days=365 * 10)],
            [False, True],
        )
    ):
        if state is None and (paper_only or email or consent != "none"):
            continue
        if (born.year > 2000 or non_resident) and (paper_only or consent in ("untick_pending",)):
            continue  # keeps the world small; every branch is still reached
        person = factories.person(session, state=state, born=born, non_resident=non_resident)
        if state is not None:
            account = session.get_one(Account, person.id)
            account.paper_only = paper_only
            account.email = email
            if n % 3 == 0 and email:
                person.preferred_language = "en"
                person.language_chosen_at = T0 - timedelta(days=5)
        _consent(session, person, voluntary, consent)
        for actor, code in ((world.voluntary, "vol"), (world.required, "tax")):
            world.cases.append((actor, code, person.bsn, False))
        if (
            state == AccountState.ACTIVATED
            and email
            and consent == "ticked"
            and not paper_only
            and born.year < 2000
            and not non_resident
        ):
            world.emailed = person.bsn
    # Represented people: a court measure (exempts them too) or a voluntary mandate.
    for represent in ("measure", "mandate"):
        person = factories.person(session)
        session.get_one(Account, person.id).email = "vertegenwoordigd@example.org"
        _consent(session, person, voluntary, "ticked")
        who = factories.person(session)
        session.get_one(Account, who.id).email = "helper@example.org"
        if represent == "measure":
            factories.measure(session, person, MeasureKind.MENTORSCHAP, person=who)
        else:
            service = service_by_code(_ctx(session, world.voluntary), voluntary.id, "vol")
            factories.mandate(
                session, person, person=who, scope=[(service, MandateAction.RECEIVE_NOTIFICATIONS)]
            )
        for actor, code in ((world.voluntary, "vol"), (world.required, "tax")):
            world.cases.append((actor, code, person.bsn, True))
    session.flush()
    return world


def _consent(session: Session, person: Person, afnemer: Afnemer, kind: str) -> None:
    if kind == "none":
        return
    ticked = kind == "ticked"
    pending = kind == "untick_pending"
    session.add(
        Consent(
            person_id=person.id,
            afnemer_id=afnemer.id,
            opted_in=ticked,
            previous_opted_in=not ticked,
            changed_at=T0 - timedelta(days=30),
            effective_at=T0 + timedelta(days=5) if pending else T0 - timedelta(days=8),
        )
    )


def _ctx(session: Session, actor: Any) -> Ctx:
    return Ctx(session, actor, FrozenClock(T0), get_authorizer(), ORIGIN)


def _request(bsn: str, n: int = 0) -> Delivery:
    return Delivery(bsn, f"Aanslag {n}", "De tekst.", "Betaal vóór de datum", date(2026, 12, 31))


def _sync(world: World, actor: AfnemerActor, code: str, new: Delivery, key: str) -> Delivered:
    with Session(world.engine) as session, session.begin():
        ctx = _ctx(session, actor)
        service = service_by_code(ctx, actor.afnemer_id, code)
        delivery = deliver(
            ctx,
            NewMessage(new.bsn, service.id, new.subject, new.body, new.action_text, new.deadline),
            idempotency_key=key,
        )
        message = delivery.message
        return Delivered(
            message.id,
            message.channel,
            message.channel_reason,
            message.received_at,
            delivery.replayed,
        )


async def _fast(world: World, call: Any, size: int = 2) -> Any:
    pool = open_pool(world.url, min_size=1, max_size=size, timeout=5, statement_timeout_ms=None)
    await pool.open()
    try:
        return await call(FastDeliveries(pool, get_authorizer(), FrozenClock(T0)))
    finally:
        await pool.close()


def _rows(world: World, message_id: Any) -> tuple[dict, list[dict], list[dict]]:
    """The message, its audit events and its outbox rows."""
    with world.engine.connect() as connection:
        message = (
            connection.execute(
                select(Message.__table__).where(col(Message.id) == message_id)  # type: ignore[attr-defined]
            )
            .mappings()
            .one()
        )
        events = connection.execute(
            select(AuditEvent.__table__).where(  # type: ignore[attr-defined]
                col(AuditEvent.object_id) == str(message_id)
            )
        ).mappings()
        outbox = connection.execute(
            select(Notification.__table__)  # type: ignore[attr-defined]
            .where(col(Notification.message_id) == message_id)
            .order_by(col(Notification.recipient_kind), col(Notification.email))
        ).mappings()
        return dict(message), [dict(row) for row in events], [dict(row) for row in outbox]


def _counts(world: World, key: str) -> tuple[int, int, int]:
    """Messages with this key, their outbox rows, and every delivery's audit event so far
    (all of them: an event written for a message that did not go in would count too)."""
    with world.engine.connect() as connection:
        ids = list(
            connection.execute(
                select(col(Message.id)).where(col(Message.idempotency_key) == key)
            ).scalars()
        )
        outbox = connection.execute(
            select(col(Notification.id)).where(col(Notification.message_id).in_(ids))
        ).all()
        events = connection.execute(
            select(func.count()).where(col(AuditEvent.action) == "message.delivered")
        ).scalar_one()
    return len(ids), len(outbox), events


def _written(world: World, key: str, before: tuple[int, int, int]) -> tuple[int, int, int]:
    """What was written for this key since ``before``: messages, outbox rows, audit events."""
    messages, outbox, events = _counts(world, key)
    return messages - before[0], outbox - before[1], events - before[2]


_UNIQUE = {"id", "idempotency_key", "message_id", "object_id", "event_id", "mac", "seq"}


def _same(one: dict, other: dict, *, also: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    keys = set(one) - _UNIQUE - also
    assert {k: one[k] for k in keys} == {k: other[k] for k in keys}


def test_both_paths_give_the_same_answers_and_rows(world):
    async def run(fast: FastDeliveries) -> list[Delivered | None]:
        return [
            await fast.deliver(actor, ORIGIN, code, _request(bsn, n), idempotency_key=f"fast-{n}")
            for n, (actor, code, bsn, _) in enumerate(world.cases)
        ]

    answers = asyncio.run(_fast(world, run))
    expected = [
        _sync(world, actor, code, _request(bsn, n), f"sync-{n}")
        for n, (actor, code, bsn, _) in enumerate(world.cases)
    ]
    macs = current()
    compared = set()
    notices = []
    for (_, _, _, represented), got, want in zip(world.cases, answers, expected, strict=True):
        if got is None:  # left to the ORM path: only mailbox post for a represented person
            assert represented and want.channel != Channel.PAPER
            continue
        assert (got.channel, got.reason, got.received_at, got.replayed) == (
            want.channel,
            want.reason,
            want.received_at,
            want.replayed,
        )
        compared.add((got.channel, got.reason))
        message, events, outbox = _rows(world, got.message_id)
        want_message, want_events, want_outbox = _rows(world, want.message_id)
        _same(message, want_message)
        assert len(events) == len(want_events) == 1
        assert [macs.check(event) for event in events] == [None]
        _same(events[0], want_events[0])
        assert events[0]["detail"] == want_events[0]["detail"]
        assert len(outbox) == len(want_outbox)
        notices += outbox
        for row, want_row in zip(outbox, want_outbox, strict=True):
            _same(row, want_row, also={"dedup_key"})
            assert row["dedup_key"].replace(str(got.message_id), "") == want_row[
                "dedup_key"
            ].replace(str(want.message_id), "")
    # Every channel and every reason was compared, and some outbox rows in English too.
    assert {reason for _, reason in compared} == set(DeliveryReason)
    assert {channel for channel, _ in compared} == set(Channel)
    assert any(answer is None for answer in answers)
    assert {row["recipient_kind"] for row in notices} == {"owner"}
    subjects = " ".join(row["subject"] for row in notices)
    assert "Nieuw bericht" in subjects and "New message" in subjects  # Dutch and English


def test_a_replay_gets_the_same_answer_and_another_body_is_refused(world):
    actor, bsn = world.voluntary, world.emailed
    before = _counts(world, "again")

    async def run(fast: FastDeliveries) -> tuple[Delivered | None, Delivered | None]:
        first = await fast.deliver(actor, ORIGIN, "vol", _request(bsn), idempotency_key="again")
        again = await fast.deliver(actor, ORIGIN, "vol", _request(bsn), idempotency_key="again")
        with pytest.raises(IdempotencyKeyReused):
            await fast.deliver(actor, ORIGIN, "vol", _request(bsn, 2), idempotency_key="again")
        return first, again

    first, again = asyncio.run(_fast(world, run))
    assert first is not None and again is not None
    assert not first.replayed and again.replayed
    assert (again.message_id, again.channel, again.reason) == (
        first.message_id,
        first.channel,
        first.reason,
    )
    assert _written(world, "again", before) == (1, 1, 1)
    # The ORM path answers a key of the fast path's the same, and refuses the same.
    replayed = _sync(world, actor, "vol", _request(bsn), "again")
    assert (replayed.message_id, replayed.replayed) == (first.message_id, True)
    with pytest.raises(IdempotencyKeyReused):
        _sync(world, actor, "vol", _request(bsn, 2), "again")


def test_unknown_person_and_another_afnemers_service_write_nothing(world):
    actor = world.voluntary
    before = _counts(world, "u")

    async def run(fast: FastDeliveries) -> None:
        with pytest.raises(UnknownRecipient):
            await fast.deliver(
                actor, ORIGIN, "vol", _request(factories.make_bsn(424_242)), idempotency_key="u"
            )
        with pytest.raises(ServiceNotFound):
            await fast.deliver(
                actor, ORIGIN, "theirs", _request(world.emailed), idempotency_key="t"
            )
        # In the ORM path's order: the service first, then the BSN's elfproef.
        with pytest.raises(ServiceNotFound):
            await fast.deliver(actor, ORIGIN, "theirs", _request("123456789"), idempotency_key="u")
        with pytest.raises(InvalidBsn):
            await fast.deliver(actor, ORIGIN, "vol", _request("123456789"), idempotency_key="u")

    asyncio.run(_fast(world, run))
    assert _written(world, "u", before) == (0, 0, 0)
    with pytest.raises(ServiceNotFound):
        _sync(world, actor, "theirs", _request("123456789"), "u")
    with pytest.raises(InvalidBsn):
        _sync(world, actor, "vol", _request("123456789"), "u")
    assert _counts(world, "t")[:2] == (0, 0)


def test_concurrent_deliveries_with_one_key_make_one_message(world):
    actor, bsn = world.voluntary, world.emailed
    before = _counts(world, "race")

    async def run(fast: FastDeliveries) -> list[Delivered | None]:
        fast.statement()
        return await asyncio.gather(
            *(
                fast.deliver(actor, ORIGIN, "vol", _request(bsn), idempotency_key="race")
                for _ in range(12)
            )
        )

    answers = asyncio.run(_fast(world, run, size=12))
    assert all(answer is not None for answer in answers)
    assert len({answer.message_id for answer in answers if answer}) == 1
    assert sum(1 for answer in answers if answer and not answer.replayed) == 1
    assert _written(world, "race", before) == (1, 1, 1)


def test_a_duplicate_only_the_insert_finds_is_answered_as_a_replay(world):
    """The SELECT saw no earlier message (the other was not committed yet); the INSERT
    waits for it and then conflicts: a replay, with no audit row or outbox row of its own."""
    actor, bsn = world.voluntary, world.emailed
    before = _counts(world, "late")

    async def run(fast: FastDeliveries) -> tuple[Delivered | None, Any]:
        fast.statement()
        with Session(world.engine) as session:
            ctx = _ctx(session, actor)
            service = service_by_code(ctx, actor.afnemer_id, "vol")
            request = _request(bsn)
            first = deliver(
                ctx,
                NewMessage(
                    bsn,
                    service.id,
                    request.subject,
                    request.body,
                    request.action_text,
                    request.deadline,
                ),
                idempotency_key="late",
            )
            session.flush()
            task = asyncio.ensure_future(
                fast.deliver(actor, ORIGIN, "vol", _request(bsn), idempotency_key="late")
            )
            await asyncio.sleep(0.5)
            assert not task.done()  # waiting on the uncommitted row's key
            first_id = first.message.id
            session.commit()
        return await task, first_id

    answer, first_id = asyncio.run(_fast(world, run))
    assert answer is not None and answer.replayed and answer.message_id == first_id
    assert _written(world, "late", before) == (1, 1, 1)


def test_a_delivery_cancelled_mid_request_writes_all_of_it_or_nothing(world):
    """A client going away cancels the request's task: the message, its audit event and its
    outbox row are still written together (the answer is then simply not sent)."""
    actor, bsn = world.voluntary, world.emailed
    before = _counts(world, "gone")

    async def run(fast: FastDeliveries) -> None:
        fast.statement()
        for n, delay in enumerate((0.0, 0.001, 0.003, 0.01)):
            task = asyncio.ensure_future(
                fast.deliver(actor, ORIGIN, "vol", _request(bsn), idempotency_key=f"gone-{n}")
            )
            await asyncio.sleep(delay)
            if task.cancel():  # False when it finished first (a slow machine): nothing to cut
                with pytest.raises(asyncio.CancelledError):
                    await task
        await asyncio.sleep(1.0)

    asyncio.run(_fast(world, run))
    written = [_counts(world, f"gone-{n}")[:2] for n in range(4)]
    assert all(counts in ((1, 1), (0, 0)) for counts in written)
    assert written[-1] == (1, 1)  # this one was surely under way when it was cancelled
    # One audit event for each message that went in, and none for one that did not.
    assert _counts(world, "gone")[2] - before[2] == sum(messages for messages, _ in written)
