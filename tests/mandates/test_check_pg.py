"""The PostgreSQL check (``check_pg``) answers exactly as the ORM check (``check``) does.

The same questions, covering every basis and every denial reason, go through both paths on
one committed world (the async path reads on its own connections, so this module fills a
scratch database of its own); the answers must be equal field for field, one by one and as
one batch, and every answer of the fast path must have its audit event with a valid MAC.
"""

import asyncio
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, get_args

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlmodel import col

from machtigen.afnemers.errors import ServiceNotFound
from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.mac import current
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import AfnemerActor, RegisterActor
from machtigen.authz.engine import get_authorizer
from machtigen.clock import FrozenClock
from machtigen.context import Ctx, Origin
from machtigen.db import make_engine, scratch_database
from machtigen.mandates import check_pg
from machtigen.mandates.check import (
    CheckAnswer,
    CheckQuestion,
    RepresentativeRef,
    check_many,
    check_representation,
)
from machtigen.mandates.check_pg import FastChecks, open_pool
from machtigen.mandates.models import SERVICE_ACTIONS, MandateAction, MandateStatus, MeasureKind
from machtigen.mandates.service import MeasureRecord, Representative, end_measure, record_measure
from machtigen.mandates.why_not import DenialReason
from machtigen.migrate import upgrade
from tests import factories
from tests.factories import T0

SERVER = os.environ.get("MACHTIGEN_TEST_DATABASE_URL", "")
pytestmark = pytest.mark.skipif(
    not SERVER.startswith("postgresql"), reason="the fast path is PostgreSQL's"
)
ORIGIN = Origin("192.0.2.7", "pytest")


@dataclass
class World:
    engine: Engine
    url: str
    actor: AfnemerActor
    questions: list[CheckQuestion] = field(default_factory=list)
    foreign_code: str = ""


def _ctx(session: Session, actor: Any, clock: FrozenClock) -> Ctx:
    return Ctx(session, actor, clock, get_authorizer(), ORIGIN)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with scratch_database(SERVER, "machtigen_fast") as url:
        engine = make_engine(url)
        upgrade(engine)
        clock = FrozenClock(T0)
        with Session(engine, expire_on_commit=False) as session:
            world = _fill(session, clock, engine, url)
            session.commit()
        yield world
        engine.dispose()


def _fill(session: Session, clock: FrozenClock, engine: Engine, url: str) -> World:
    mine = factories.afnemer(session)
    services = {
        category: factories.service(session, mine, category, code=f"own-{category}")
        for category in ServiceCategory
    }
    theirs = factories.afnemer(session)
    foreign = factories.service(session, theirs, ServiceCategory.FINANCIAL, code="theirs")
    fin, care = services[ServiceCategory.FINANCIAL], services[ServiceCategory.PERSONAL_CARE]
    p = factories.person(session)
    reps = []

    def rep(**kwargs: Any) -> Any:
        who = factories.person(session)
        kwargs.setdefault("scope", [(fin, MandateAction.READ)])
        factories.mandate(session, p, person=who, **kwargs)
        reps.append(who)
        return who

    rep()  # allowed, read only
    rep(scope=[(fin, MandateAction.MANAGE_FOLDERS), (care, MandateAction.READ)])
    rep(scope=[(foreign, MandateAction.READ)])  # another afnemer's service only
    rep(status=MandateStatus.REQUESTED)
    rep(status=MandateStatus.REVOKED)
    rep(status=MandateStatus.DECLINED)
    rep(status=MandateStatus.EXPIRED)
    rep(valid_from=T0 - timedelta(days=60), valid_until=T0 - timedelta(days=1))
    rep(valid_from=T0 + timedelta(days=1))
    for kind in MeasureKind:
        who = factories.person(session)
        factories.measure(session, p, kind, person=who)
        reps.append(who)
    later = factories.person(session)
    factories.measure(
        session, p, MeasureKind.CURATELE, person=later, starts_at=T0 + timedelta(days=3)
    )
    ended = factories.person(session)
    factories.measure(
        session,
        p,
        MeasureKind.MENTORSCHAP,
        person=ended,
        starts_at=T0 - timedelta(days=90),
        ends_at=T0 - timedelta(days=2),
    )
    reps += [later, ended]
    office = factories.office(session)
    factories.mandate(session, p, office=office, scope=[(care, MandateAction.READ)])
    court = factories.office(session)
    factories.measure(session, p, MeasureKind.BESCHERMINGSBEWIND, office=court)
    # A mandate superseded by a measure in force, and one lapsed after its measure ended.
    register = _ctx(session, RegisterActor("ccbr", clock.now()), clock)
    subjects = [p, factories.person(session)]  # the second: known, represented by nobody
    for subject_name, end in (("superseded", None), ("lapsed", T0 - timedelta(days=1))):
        subject = factories.person(session)
        holder = factories.person(session)
        factories.mandate(session, subject, person=holder, scope=[(fin, MandateAction.READ)])
        record_measure(
            register,
            MeasureRecord(
                register_id=f"CCBR-{subject_name}",
                subject_person_id=subject.id,
                kind=MeasureKind.BESCHERMINGSBEWIND,
                representative=Representative(person_id=factories.person(session).id),
                starts_at=T0 - timedelta(days=30),
            ),
        )
        if end is not None:
            end_measure(register, f"CCBR-{subject_name}", end)
        reps.append(holder)
        subjects.append(subject)
    session.flush()
    world = World(engine, url, AfnemerActor(mine.id, T0, name=mine.name), foreign_code="theirs")
    codes = [service.code for service in services.values()]
    for subject in subjects:
        for who in reps:
            for code in codes:
                for action in sorted(SERVICE_ACTIONS):
                    world.questions.append(
                        CheckQuestion(RepresentativeRef(bsn=who.bsn), subject.bsn, code, action)
                    )
    for kvk in (office.kvk_number, court.kvk_number, "99999999"):
        for code in codes:
            world.questions.append(CheckQuestion(RepresentativeRef(kvk_number=kvk), p.bsn, code))
    world.questions.append(
        CheckQuestion(RepresentativeRef(bsn=reps[0].bsn), factories.make_bsn(987_654), "own-other")
    )
    world.questions.append(
        CheckQuestion(
            RepresentativeRef(bsn=reps[0].bsn), p.bsn, "own-financial", at=T0 + timedelta(days=400)
        )
    )
    return world


def _sync_answers(world: World, questions: list[CheckQuestion]) -> list[CheckAnswer]:
    clock = FrozenClock(T0)
    with Session(world.engine) as session, session.begin():
        ctx = _ctx(session, world.actor, clock)
        answers = [check_representation(ctx, question) for question in questions]
        assert answers == check_many(ctx, questions, limit=len(questions))
        session.rollback()
    return answers


async def _fast(world: World, call: Any) -> Any:
    pool = open_pool(world.url, min_size=1, max_size=2, timeout=5, statement_timeout_ms=None)
    await pool.open()
    try:
        return await call(FastChecks(pool, get_authorizer(), FrozenClock(T0)))
    finally:
        await pool.close()


def _events(world: World) -> list[Any]:
    with world.engine.connect() as connection:
        return list(
            connection.execute(
                select(AuditEvent.__table__)
                .where(  # type: ignore[attr-defined]
                    col(AuditEvent.action) == "mandate.checked"
                )
                .order_by(col(AuditEvent.seq))
            ).mappings()
        )


def test_both_paths_give_the_same_answers_one_by_one_and_as_a_batch(world):
    questions = world.questions
    expected = _sync_answers(world, questions)
    before = len(_events(world))

    async def ask(fast: FastChecks) -> tuple[list[CheckAnswer], list[CheckAnswer]]:
        one_by_one = [await fast.check(world.actor, ORIGIN, q) for q in questions]
        batch = await fast.check_many(world.actor, ORIGIN, questions, limit=len(questions))
        return one_by_one, batch

    one_by_one, batch = asyncio.run(_fast(world, ask))
    for question, want, got in zip(questions, expected, one_by_one, strict=True):
        assert got == want, question
    assert batch == expected
    # Every denial reason and both bases were asked about (the world is complete).
    reasons = {answer.reason for answer in expected if answer.reason}
    assert reasons == set(get_args(DenialReason))
    assert {answer.basis for answer in expected if answer.allowed} == {
        "voluntary_mandate",
        "legal_measure",
    }
    events = _events(world)[before:]
    assert len(events) == 2 * len(questions)
    macs = current()
    assert [macs.check(event) for event in events] == [None] * len(events)
    for event, answer in zip(events, one_by_one + batch, strict=True):
        assert event["detail"]["allowed"] == answer.allowed
        assert event["detail"]["reason"] == answer.reason


def test_checks_at_the_same_moment_share_an_insert_and_each_has_its_audit_event(world):
    """Group commit: checks answered together go in fewer INSERTs than there are checks,
    and every answer still has its own audit event, with its own decision and MAC."""
    questions = world.questions
    expected = _sync_answers(world, questions)
    before = len(_events(world))
    inserts: list[int] = []

    async def ask(fast: FastChecks) -> list[CheckAnswer]:
        send = check_pg._insert_events

        async def counted(connection: Any, events: list[dict[str, Any]]) -> None:
            inserts.append(len(events))
            await send(connection, events)

        check_pg._insert_events = counted  # type: ignore[assignment]
        try:
            return list(
                await asyncio.gather(*(fast.check(world.actor, ORIGIN, q) for q in questions))
            )
        finally:
            check_pg._insert_events = send  # type: ignore[assignment]

    answers = asyncio.run(_fast(world, ask))
    assert answers == expected
    assert sum(inserts) == len(questions)
    assert len(inserts) < len(questions)
    events = _events(world)[before:]
    assert len(events) == len(questions)
    macs = current()
    assert [macs.check(event) for event in events] == [None] * len(events)
    asked = sorted(
        (
            event["detail"]["asked_action"],
            event["detail"]["allowed"],
            str(event["detail"]["reason"]),
        )
        for event in events
    )
    answered = sorted(
        (str(question.action), answer.allowed, str(answer.reason))
        for question, answer in zip(questions, expected, strict=True)
    )
    assert asked == answered


def test_another_afnemers_service_is_not_found_and_nothing_is_written(world):
    question = CheckQuestion(
        RepresentativeRef(bsn=world.questions[0].representative.bsn),
        world.questions[0].person_bsn,
        world.foreign_code,
    )
    before = len(_events(world))

    async def ask(fast: FastChecks) -> None:
        with pytest.raises(ServiceNotFound):
            await fast.check(world.actor, ORIGIN, question)
        with pytest.raises(ServiceNotFound):
            await fast.check_many(world.actor, ORIGIN, [*world.questions[:3], question], limit=9)

    asyncio.run(_fast(world, ask))
    assert len(_events(world)) == before


def test_a_check_cancelled_mid_request_still_writes_its_audit_event(world):
    """A client going away cancels the request's task: the decision and its audit event
    are still written together (the answer is then simply not sent)."""
    question = world.questions[0]
    before = len(_events(world))

    async def ask(fast: FastChecks) -> None:
        fast.statement((str(question.action),), single=True)  # compiled beforehand: under way
        task = asyncio.ensure_future(fast.check(world.actor, ORIGIN, question))
        await asyncio.sleep(0.002)
        if task.cancel():  # False when it finished first (a slow machine): nothing to cut
            with pytest.raises(asyncio.CancelledError):
                await task
        # The shielded work runs on: wait for the pool to have its connection back.
        for _ in range(500):
            if len(_events(world)) > before:
                break
            await asyncio.sleep(0.01)

    asyncio.run(_fast(world, ask))
    assert len(_events(world)) == before + 1
