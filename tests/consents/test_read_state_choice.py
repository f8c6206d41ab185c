"""Rule 8 in the person's hands: sharing the read state with an afnemer, and withdrawing it.

The policy's ``share_read_state`` says who may choose (the person, or a curator); the afnemer
then sees whether its messages were read, and is told "not reached"; after a withdrawal it
sees nothing again. Every change is audited; a refusal changes nothing.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from machtigen.accounts import service as accounts
from machtigen.accounts.models import Account
from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import AfnemerActor, PersonActor
from machtigen.consents import service as consents
from machtigen.consents.errors import ReadStateNotApplicable
from machtigen.consents.models import Consent
from machtigen.errors import Forbidden, NotFound
from machtigen.identity.service import staff_actor
from machtigen.mandates.models import MandateAction, MeasureKind
from machtigen.messages.status import message_status
from tests import factories as f


@pytest.fixture
def world(session, ctx_for, clock):
    owner = f.person(session)
    town = f.afnemer(session, name="Gemeente Utrecht")
    service = f.service(session, town, ServiceCategory.FINANCIAL)
    consents.set_opt_in(ctx_for(PersonActor(owner.id, clock.now())), owner.id, town.id, True)
    message = f.message(session, owner, service)
    return owner, town, service, message


def _person(ctx_for, clock, person):
    return ctx_for(PersonActor(person.id, clock.now(), loa="substantieel"))


def _events(session, action):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_the_person_allows_and_withdraws_and_the_afnemer_sees_it_take_effect(
    session, ctx_for, clock, world
):
    owner, town, _service, message = world
    afnemer = lambda: ctx_for(AfnemerActor(town.id, clock.now()))  # noqa: E731
    assert message_status(afnemer(), message.id).read is None

    consents.set_share_read_state(_person(ctx_for, clock, owner), owner.id, town.id, True)
    consents.set_share_read_state(_person(ctx_for, clock, owner), owner.id, town.id, True)
    assert message_status(afnemer(), message.id).read is False
    [shared] = _events(session, "consent.read_state_shared")  # once: the second changed nothing
    assert (shared.subject_person_id, shared.actor_id) == (owner.id, str(owner.id))
    assert shared.detail["afnemer"] == "Gemeente Utrecht"

    clock.advance(timedelta(hours=1))
    consents.set_share_read_state(_person(ctx_for, clock, owner), owner.id, town.id, False)
    assert message_status(afnemer(), message.id).read is None
    assert len(_events(session, "consent.read_state_withheld")) == 1


def test_nothing_to_share_with_an_afnemer_whose_post_is_on_paper(session, ctx_for, clock, world):
    owner, _town, _service, _message = world
    rdw = f.afnemer(session, name="RDW")
    with pytest.raises(ReadStateNotApplicable):
        consents.set_share_read_state(_person(ctx_for, clock, owner), owner.id, rdw.id, True)
    assert session.scalars(select(Consent).where(Consent.afnemer_id == rdw.id)).all() == []
    assert _events(session, "consent.read_state_shared") == []
    # Withdrawing what was never given is no change at all.
    consents.set_share_read_state(_person(ctx_for, clock, owner), owner.id, rdw.id, False)
    assert _events(session, "consent.read_state_withheld") == []


def test_a_curator_may_choose_others_acting_for_the_person_may_not(session, ctx_for, clock, world):
    owner, town, service, _message = world
    curator, helper, bewindvoerder = f.person(session), f.person(session), f.person(session)
    f.measure(session, owner, MeasureKind.CURATELE, person=curator)
    f.mandate(session, owner, person=helper, scope=[(service, MandateAction.MANAGE_CONSENTS)])
    office = f.office(session)
    f.measure(session, owner, MeasureKind.BESCHERMINGSBEWIND, person=bewindvoerder)
    f.measure(session, owner, MeasureKind.BESCHERMINGSBEWIND, office=office)

    # Those who may change the opt-in see the consent; sharing the read state is not theirs.
    for refused in (
        _person(ctx_for, clock, helper),
        _person(ctx_for, clock, bewindvoerder),
        ctx_for(staff_actor(session, f.staff(session, office), clock.now(), loa="EH3")),
    ):
        with pytest.raises(Forbidden):
            consents.set_share_read_state(refused, owner.id, town.id, True)
    with pytest.raises(NotFound):
        consents.set_share_read_state(
            _person(ctx_for, clock, f.person(session)), owner.id, town.id, True
        )
    assert _events(session, "consent.read_state_shared") == []

    consents.set_share_read_state(_person(ctx_for, clock, curator), owner.id, town.id, True)
    [shared] = _events(session, "consent.read_state_shared")
    assert (shared.subject_person_id, shared.actor_id) == (owner.id, str(curator.id))


def test_the_overview_lists_the_afnemers_whose_post_reaches_the_mailbox(
    session, ctx_for, clock, world
):
    owner, town, _service, _message = world
    tax = f.afnemer(session, name="Belastingdienst", legally_required=True)
    svb = f.afnemer(session, name="SVB", read_state_legal_basis=True)
    rdw = f.afnemer(session, name="RDW")
    ctx = _person(ctx_for, clock, owner)
    consents.set_opt_in(ctx, owner.id, svb.id, True)
    consents.set_share_read_state(ctx, owner.id, town.id, True)
    choices = {c.afnemer.name: c for c in consents.read_state_overview(ctx, owner.id)}
    assert set(choices) == {"Belastingdienst", "Gemeente Utrecht", "SVB"}
    assert choices["Gemeente Utrecht"].shared and choices["Gemeente Utrecht"].may_change
    assert not choices["Belastingdienst"].shared and choices["Belastingdienst"].may_change
    assert choices["SVB"].by_law and not choices["SVB"].shared

    # Unticked later: still listed while shared, so that it can be withdrawn.
    consents.set_opt_in(ctx, owner.id, town.id, False)
    clock.advance(timedelta(days=22))
    ctx = _person(ctx_for, clock, owner)
    listed = {c.afnemer.name for c in consents.read_state_overview(ctx, owner.id)}
    assert "Gemeente Utrecht" in listed and rdw.name not in listed and tax.name in listed


def test_the_new_afnemer_prompt_is_not_answered_by_the_read_state_page(
    session, ctx_for, clock, world
):
    owner, _town, _service, _message = world
    cak = f.afnemer(session, name="CAK", joined_at=clock.now() - timedelta(days=14))
    account = session.get(Account, owner.id)
    account.afnemers_reviewed_at = clock.now() - timedelta(days=30)
    ctx = _person(ctx_for, clock, owner)
    with pytest.raises(ReadStateNotApplicable):
        consents.set_share_read_state(ctx, owner.id, cak.id, True)
    assert [a.name for a in accounts.afnemers_to_ask_about(ctx, owner.id)] == ["CAK"]
