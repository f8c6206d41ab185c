"""Rules 2–5: the exact delivery answer, the three-week untick transition, the paper switch."""

from datetime import date, timedelta

import pytest

from machtigen.accounts.models import Account, AccountState
from machtigen.afnemers.models import ServiceCategory
from machtigen.authz.actors import PersonActor
from machtigen.consents import service as consents
from machtigen.consents.errors import OptInNotApplicable
from machtigen.consents.models import Channel, DeliveryReason
from machtigen.mandates.models import MeasureKind
from tests import factories as f


@pytest.fixture
def tax(session):
    return f.afnemer(session, legally_required=True)


@pytest.fixture
def rdw(session):
    return f.afnemer(session)


def decide(ctx_for, person, afnemer, at):
    return consents.decide_delivery(ctx_for(PersonActor(person.id, at)), person, afnemer, at)


def opt_in(ctx_for, person, afnemer, at, value=True):
    return consents.set_opt_in(ctx_for(PersonActor(person.id, at)), person.id, afnemer.id, value)


def test_opt_in_afnemer_without_a_tick_goes_on_paper(session, ctx_for, clock, rdw):
    person = f.person(session)
    assert decide(ctx_for, person, rdw, clock.now()) == consents.DeliveryDecision(
        Channel.PAPER, DeliveryReason.NOT_OPTED_IN
    )


def test_a_tick_counts_at_once(session, ctx_for, clock, rdw):
    person = f.person(session)
    opt_in(ctx_for, person, rdw, clock.now())
    assert decide(ctx_for, person, rdw, clock.now()).channel == Channel.DIGITAL


def test_an_untick_takes_effect_after_three_weeks(session, ctx_for, clock, rdw):
    person = f.person(session)
    opt_in(ctx_for, person, rdw, clock.now())
    clock.advance(timedelta(days=5))
    untick_moment = clock.now()
    consent = opt_in(ctx_for, person, rdw, untick_moment, value=False)
    assert consent.effective_at == untick_moment + timedelta(days=21)
    assert (
        decide(ctx_for, person, rdw, untick_moment + timedelta(days=20)).channel == Channel.DIGITAL
    )
    later = decide(ctx_for, person, rdw, untick_moment + timedelta(days=21))
    assert (later.channel, later.reason) == (Channel.PAPER, DeliveryReason.NOT_OPTED_IN)


def test_ticking_again_during_the_transition_keeps_digital(session, ctx_for, clock, rdw):
    person = f.person(session)
    opt_in(ctx_for, person, rdw, clock.now())
    opt_in(ctx_for, person, rdw, clock.now() + timedelta(days=1), value=False)
    opt_in(ctx_for, person, rdw, clock.now() + timedelta(days=2), value=True)
    assert decide(ctx_for, person, rdw, clock.now() + timedelta(days=40)).channel == Channel.DIGITAL


def test_legally_required_afnemers_need_no_opt_in(session, ctx_for, clock, tax):
    person = f.person(session)
    with pytest.raises(OptInNotApplicable):
        opt_in(ctx_for, person, tax, clock.now())
    assert decide(ctx_for, person, tax, clock.now()) == consents.DeliveryDecision(
        Channel.DIGITAL, DeliveryReason.LEGALLY_REQUIRED
    )


@pytest.mark.parametrize(
    ("state", "paper_only", "opt_in_answer", "legal_answer"),
    [
        (
            AccountState.CASCO,
            False,
            (Channel.PAPER, DeliveryReason.NEVER_ACTIVATED),
            (Channel.BOTH, DeliveryReason.NEVER_ACTIVATED),
        ),
        (
            AccountState.DEACTIVATED,
            False,
            (Channel.PAPER, DeliveryReason.DEACTIVATED),
            (Channel.BOTH, DeliveryReason.DEACTIVATED),
        ),
        (
            AccountState.ACTIVATED,
            True,
            (Channel.PAPER, DeliveryReason.PAPER_SWITCH),
            (Channel.BOTH, DeliveryReason.PAPER_SWITCH),
        ),
        (
            AccountState.CLOSED,
            False,
            (Channel.PAPER, DeliveryReason.NO_ACCOUNT),
            (Channel.PAPER, DeliveryReason.NO_ACCOUNT),
        ),
    ],
)
def test_account_state_and_paper_switch(
    session, ctx_for, clock, tax, rdw, state, paper_only, opt_in_answer, legal_answer
):
    person = f.person(session)
    opt_in(ctx_for, person, rdw, clock.now())
    account = session.get(Account, person.id)
    account.state, account.paper_only = state, paper_only
    session.flush()
    opted = decide(ctx_for, person, rdw, clock.now())
    legal = decide(ctx_for, person, tax, clock.now())
    assert (opted.channel, opted.reason) == opt_in_answer
    assert (legal.channel, legal.reason) == legal_answer


def test_a_person_without_an_account_gets_paper(session, ctx_for, clock, tax):
    child = f.person(session, born=date(2016, 1, 1), state=None)
    assert decide(ctx_for, child, tax, clock.now()).reason == DeliveryReason.NO_ACCOUNT


@pytest.mark.parametrize("kind", list(MeasureKind))
def test_people_under_a_measure_get_legally_required_post_on_paper_too(
    session, ctx_for, clock, tax, kind
):
    person = f.person(session)
    f.measure(session, person, kind, person=f.person(session))
    decision = decide(ctx_for, person, tax, clock.now())
    assert (decision.channel, decision.reason) == (Channel.BOTH, DeliveryReason.EXEMPTED_GROUP)


def test_an_ended_measure_no_longer_exempts(session, ctx_for, clock, tax):
    person = f.person(session)
    f.measure(session, person, MeasureKind.WSNP, person=f.person(session), ends_at=clock.now())
    assert decide(ctx_for, person, tax, clock.now()).channel == Channel.DIGITAL


def test_non_residents_are_an_exempted_group(session, ctx_for, clock, tax):
    person = f.person(session, non_resident=True)
    assert decide(ctx_for, person, tax, clock.now()).reason == DeliveryReason.EXEMPTED_GROUP


def test_a_representative_with_manage_consents_may_tick_only_that_afnemer(
    session, ctx_for, clock, rdw
):
    from machtigen.mandates.models import MandateAction

    person, rep = f.person(session), f.person(session)
    other = f.afnemer(session)
    f.service(session, other, ServiceCategory.OTHER)
    apk = f.service(session, rdw, ServiceCategory.OTHER)
    f.mandate(session, person, person=rep, scope=[(apk, MandateAction.MANAGE_CONSENTS)])
    ctx = ctx_for(PersonActor(rep.id, clock.now()))
    assert consents.set_opt_in(ctx, person.id, rdw.id, True).opted_in
    with pytest.raises(Exception, match="Not found"):
        consents.set_opt_in(ctx, person.id, other.id, True)
