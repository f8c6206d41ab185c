"""A voluntary mandate lapses where a court measure covers it (rule 11), says that it lapsed,
stays lapsed when the measure ends, and the person can grant it again in one act."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import PersonActor
from machtigen.errors import Forbidden
from machtigen.identity.loa import StepUpRequired
from machtigen.mandates import service as mandates
from machtigen.mandates.errors import NothingToGrantAgain
from machtigen.mandates.models import (
    LAPSED_BY_LEGAL_MEASURE,
    Mandate,
    MandateAction,
    MandateScope,
    MandateStatus,
    MeasureKind,
)
from machtigen.mandates.service import MandatePhase
from machtigen.messages import service as messages
from tests import factories as f


def person_ctx(ctx_for, person, clock, loa="substantieel"):
    return ctx_for(PersonActor(person.id, clock.now(), loa=loa))


@pytest.fixture
def story(session, register_ctx, clock):
    """Helper Lisa reads Koen's tax and care post; then a court places Koen under bewind."""
    koen, lisa = f.person(session), f.person(session)
    tax = f.service(session, f.afnemer(session, name="Belastingdienst"), ServiceCategory.FINANCIAL)
    care = f.service(session, f.afnemer(session, name="CAK"), ServiceCategory.PERSONAL_CARE)
    f.message(session, koen, tax)
    mandate = f.mandate(
        session,
        koen,
        person=lisa,
        scope=[(tax, MandateAction.READ), (tax, MandateAction.RECEIVE_NOTIFICATIONS)],
        valid_until=clock.now() + timedelta(days=200),
    )
    partial = f.mandate(
        session,
        koen,
        person=lisa,
        scope=[(tax, MandateAction.MANAGE_FOLDERS), (care, MandateAction.READ)],
        valid_until=clock.now() + timedelta(days=200),
    )
    mandates.record_measure(
        register_ctx,
        mandates.MeasureRecord(
            register_id="CCBR-bewind",
            subject_person_id=koen.id,
            kind=MeasureKind.BESCHERMINGSBEWIND,
            representative=mandates.Representative(person_id=f.person(session).id),
            starts_at=clock.now(),
        ),
    )
    return koen, lisa, mandate, partial, tax, care


def test_the_mandate_says_it_lapsed_and_stays_lapsed(session, ctx_for, clock, register_ctx, story):
    koen, lisa, mandate, partial, _tax, _care = story
    assert (mandate.status, mandate.end_reason) == (MandateStatus.LAPSED, LAPSED_BY_LEGAL_MEASURE)
    assert partial.status == MandateStatus.ACTIVE  # its care part is not covered by bewind
    lapsed = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "mandate.lapsed", AuditEvent.object_id == str(mandate.id)
        )
    ).all()
    assert len(lapsed) == 1
    views = {
        v.mandate.id: v
        for v in mandates.mandate_overview(person_ctx(ctx_for, koen, clock), as_represented=True)
    }
    assert views[mandate.id].phase == MandatePhase.LAPSED
    assert views[mandate.id].measure_in_force and not views[mandate.id].may_grant_again
    with pytest.raises(NothingToGrantAgain):
        mandates.grant_again(person_ctx(ctx_for, koen, clock), mandate.id)

    clock.advance(timedelta(days=30))
    mandates.end_measure(register_ctx, "CCBR-bewind", clock.now())
    clock.advance(timedelta(days=1))
    session.expire_all()
    assert session.get(Mandate, mandate.id).status == MandateStatus.LAPSED
    assert messages.readable_messages(person_ctx(ctx_for, lisa, clock)) == []


def test_one_act_grants_the_lapsed_part_again_as_a_normal_grant(
    session, ctx_for, clock, register_ctx, story
):
    koen, lisa, mandate, partial, tax, _care = story
    clock.advance(timedelta(days=30))
    mandates.end_measure(register_ctx, "CCBR-bewind", clock.now())
    views = {
        v.mandate.id: v
        for v in mandates.mandate_overview(person_ctx(ctx_for, koen, clock), as_represented=True)
    }
    assert views[mandate.id].may_grant_again and not views[mandate.id].measure_in_force
    assert views[partial.id].may_grant_again  # its tax part lapsed

    renewed = mandates.grant_again(person_ctx(ctx_for, koen, clock), mandate.id)
    assert renewed.status == MandateStatus.REQUESTED  # the representative still accepts (rule 10)
    assert (renewed.representative_person_id, renewed.valid_until) == (
        lisa.id,
        mandate.valid_until,
    )
    scope = session.scalars(select(MandateScope).where(MandateScope.mandate_id == renewed.id))
    assert {(s.service_id, s.action) for s in scope} == {
        (tax.id, MandateAction.READ),
        (tax.id, MandateAction.RECEIVE_NOTIFICATIONS),
    }
    [granted] = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "mandate.granted", AuditEvent.object_id == str(renewed.id)
        )
    ).all()
    assert granted.detail["renews"] == str(mandate.id) and granted.actor_id == str(koen.id)
    with pytest.raises(NothingToGrantAgain):  # offered once: no duplicate grants
        mandates.grant_again(person_ctx(ctx_for, koen, clock), mandate.id)

    mandates.accept(person_ctx(ctx_for, lisa, clock), renewed.id)
    assert messages.readable_messages(person_ctx(ctx_for, lisa, clock))

    # The partly lapsed mandate gives back only what lapsed: filing tax post.
    again = mandates.grant_again(person_ctx(ctx_for, koen, clock), partial.id)
    scope = session.scalars(select(MandateScope).where(MandateScope.mandate_id == again.id))
    assert {(s.service_id, s.action) for s in scope} == {(tax.id, MandateAction.MANAGE_FOLDERS)}


def test_only_the_person_and_only_with_a_strong_enough_login(
    session, ctx_for, clock, register_ctx, story
):
    koen, lisa, mandate, _partial, _tax, _care = story
    clock.advance(timedelta(days=30))
    mandates.end_measure(register_ctx, "CCBR-bewind", clock.now())
    with pytest.raises(Forbidden):
        mandates.grant_again(person_ctx(ctx_for, lisa, clock), mandate.id)
    with pytest.raises(StepUpRequired):
        mandates.grant_again(person_ctx(ctx_for, koen, clock, loa="midden"), mandate.id)
    assert not [
        v
        for v in mandates.mandate_overview(person_ctx(ctx_for, lisa, clock), as_represented=False)
        if v.may_grant_again
    ]


def test_nothing_to_grant_again_once_its_period_is_over(
    session, ctx_for, clock, register_ctx, story
):
    koen, _lisa, mandate, _partial, _tax, _care = story
    clock.advance(timedelta(days=30))
    mandates.end_measure(register_ctx, "CCBR-bewind", clock.now())
    clock.advance(timedelta(days=200))
    with pytest.raises(NothingToGrantAgain):
        mandates.grant_again(person_ctx(ctx_for, koen, clock), mandate.id)
