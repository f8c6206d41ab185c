"""The settings page's consent list, the form that applies it, and the new-afnemer prompt."""

from datetime import timedelta
from uuid import uuid4

import pytest

from machtigen.accounts import service as accounts
from machtigen.accounts.models import Account
from machtigen.afnemers.models import ServiceCategory
from machtigen.authz.actors import PersonActor
from machtigen.consents import service as consents
from machtigen.consents.errors import ConsentFormMismatch
from machtigen.errors import NotFound
from machtigen.identity.loa import StepUpRequired
from machtigen.identity.service import staff_actor
from machtigen.mandates.models import MeasureKind
from tests import factories as f


@pytest.fixture
def afnemers(session, clock):
    tax = f.afnemer(session, name="A Belastingdienst", legally_required=True)
    rdw = f.afnemer(session, name="B RDW")
    town = f.afnemer(session, name="C Gemeente")
    late = f.afnemer(session, name="D CAK", joined_at=clock.now() - timedelta(days=14))
    f.service(session, town, ServiceCategory.FINANCIAL)
    f.service(session, rdw, ServiceCategory.OTHER)
    return tax, rdw, town, late


def by_name(choices):
    return {c.afnemer.name: c for c in choices}


def test_overview_shows_choice_effect_and_the_untick_date(session, ctx_for, clock, afnemers):
    _tax, _rdw, town, _late = afnemers
    person = f.person(session)
    ctx = ctx_for(PersonActor(person.id, clock.now(), loa="midden"))
    consents.set_opt_in(ctx, person.id, town.id, True)
    clock.advance(timedelta(days=1))
    ctx = ctx_for(PersonActor(person.id, clock.now(), loa="midden"))
    consents.set_opt_in(ctx, person.id, town.id, False)
    choices = by_name(consents.consent_overview(ctx, person.id))
    assert choices["A Belastingdienst"].chosen and choices["A Belastingdienst"].digital_now
    assert not choices["A Belastingdienst"].may_change
    assert not choices["B RDW"].chosen and not choices["B RDW"].digital_now
    assert choices["B RDW"].untick_effective_at is None
    gemeente = choices["C Gemeente"]
    assert (gemeente.chosen, gemeente.digital_now) == (False, True)
    assert gemeente.untick_effective_at == clock.now() + timedelta(days=21)
    assert choices["D CAK"].may_change and not choices["D CAK"].chosen


def test_applying_the_form_changes_only_what_differs(session, ctx_for, clock, afnemers):
    tax, rdw, town, _late = afnemers
    person = f.person(session)
    ctx = ctx_for(PersonActor(person.id, clock.now(), loa="midden"))
    consents.set_opt_in(ctx, person.id, rdw.id, True)
    every = {tax.id, rdw.id, town.id, _late.id}
    changed = consents.apply_consent_choices(ctx, person.id, every, {rdw.id, town.id, tax.id})
    assert [c.afnemer_id for c in changed] == [town.id]
    changed = consents.apply_consent_choices(ctx, person.id, every, set())
    assert {c.afnemer_id for c in changed} == {rdw.id, town.id}
    assert by_name(consents.consent_overview(ctx, person.id))["A Belastingdienst"].chosen


def test_a_bewindvoerder_changes_only_what_the_measure_covers(session, ctx_for, clock, afnemers):
    _tax, rdw, town, _late = afnemers
    client = f.person(session)
    office = f.office(session)
    staff = f.staff(session, office)
    f.measure(session, client, MeasureKind.BESCHERMINGSBEWIND, office=office)
    ctx = ctx_for(staff_actor(session, staff, clock.now(), loa="EH3"))
    choices = by_name(consents.consent_overview(ctx, client.id))
    assert choices["C Gemeente"].may_change  # a financial service
    assert not choices["B RDW"].may_change
    consents.apply_consent_choices(ctx, client.id, {town.id, rdw.id}, {town.id, rdw.id})
    after = by_name(consents.consent_overview(ctx, client.id))
    assert after["C Gemeente"].chosen and not after["B RDW"].chosen


def test_strangers_see_no_overview(session, ctx_for, clock, afnemers):
    person, stranger = f.person(session), f.person(session)
    with pytest.raises(NotFound):
        consents.consent_overview(
            ctx_for(PersonActor(stranger.id, clock.now(), loa="midden")), person.id
        )


def test_new_afnemers_are_asked_once_and_never_ticked_for_the_person(
    session, ctx_for, clock, afnemers
):
    _tax, _rdw, _town, late = afnemers
    person = f.person(session)
    ctx = ctx_for(PersonActor(person.id, clock.now(), loa="midden"))
    accounts.mark_afnemers_reviewed(ctx, person.id)
    assert accounts.afnemers_to_ask_about(ctx, person.id) == []
    account = accounts.get_account(ctx, person.id)
    account.afnemers_reviewed_at = clock.now() - timedelta(days=30)
    assert [a.id for a in accounts.afnemers_to_ask_about(ctx, person.id)] == [late.id]
    assert consents.answer_new_afnemers(ctx, person.id, {late.id}, set()) == []
    assert accounts.afnemers_to_ask_about(ctx, person.id) == []
    assert not by_name(consents.consent_overview(ctx, person.id))["D CAK"].chosen


def test_answering_yes_ticks_only_the_asked_ones(session, ctx_for, clock, afnemers):
    tax, _rdw, _town, late = afnemers
    person = f.person(session)
    session.get(Account, person.id).activated_at = clock.now() - timedelta(days=30)
    ctx = ctx_for(PersonActor(person.id, clock.now(), loa="midden"))
    asked = {a.id for a in accounts.afnemers_to_ask_about(ctx, person.id)}
    assert asked == {late.id}, "RDW and the town were there when the mailbox was switched on"
    with pytest.raises(ConsentFormMismatch):  # the tax office is never asked about
        consents.answer_new_afnemers(ctx, person.id, asked | {tax.id}, {late.id, tax.id})
    ticked = consents.answer_new_afnemers(ctx, person.id, asked, {late.id})
    assert [c.afnemer_id for c in ticked] == [late.id]
    assert by_name(consents.consent_overview(ctx, person.id))["D CAK"].digital_now


def test_only_the_afnemers_the_form_covers_change(session, ctx_for, clock, afnemers):
    _tax, rdw, town, late = afnemers
    person = f.person(session)
    ctx = ctx_for(PersonActor(person.id, clock.now(), loa="midden"))
    consents.set_opt_in(ctx, person.id, rdw.id, True)
    consents.set_opt_in(ctx, person.id, town.id, True)
    assert consents.apply_consent_choices(ctx, person.id, {late.id}, set()) == []
    choices = by_name(consents.consent_overview(ctx, person.id))
    assert choices["B RDW"].chosen and choices["C Gemeente"].chosen


@pytest.mark.parametrize("case", ["ticks what it does not cover", "covers no afnemer"])
def test_a_form_that_is_not_this_pages_changes_nothing(session, ctx_for, clock, afnemers, case):
    _tax, rdw, town, _late = afnemers
    person = f.person(session)
    ctx = ctx_for(PersonActor(person.id, clock.now(), loa="midden"))
    consents.set_opt_in(ctx, person.id, rdw.id, True)
    covered, ticked = {
        "ticks what it does not cover": ({rdw.id}, {rdw.id, town.id}),
        "covers no afnemer": ({rdw.id, uuid4()}, set()),
    }[case]
    with pytest.raises(ConsentFormMismatch):
        consents.apply_consent_choices(ctx, person.id, covered, ticked)
    assert by_name(consents.consent_overview(ctx, person.id))["B RDW"].chosen


def test_a_representative_ticks_an_organisation_only_when_all_its_services_are_in_scope(
    session, ctx_for, clock
):
    """Issue 15: Piet (beschermingsbewind, financial) may not decide about the municipality's
    post, which includes Wmo care; he sees the tick read-only, and why."""
    town = f.afnemer(session, name="Gemeente Utrecht")
    f.service(session, town, ServiceCategory.FINANCIAL)
    wmo = f.service(session, town, ServiceCategory.PERSONAL_CARE)
    water = f.afnemer(session, name="Waterschap")
    f.service(session, water, ServiceCategory.FINANCIAL)
    anna = f.person(session)
    office = f.office(session)
    f.measure(session, anna, MeasureKind.BESCHERMINGSBEWIND, office=office)
    piet = ctx_for(staff_actor(session, f.staff(session, office), clock.now(), loa="EH3"))
    choices = by_name(consents.consent_overview(piet, anna.id))
    assert not choices["Gemeente Utrecht"].may_change
    assert choices["Gemeente Utrecht"].outside_scope == (wmo.name,)
    assert choices["Waterschap"].may_change and choices["Waterschap"].outside_scope == ()
    consents.apply_consent_choices(piet, anna.id, {water.id}, {water.id})
    with pytest.raises(ConsentFormMismatch):  # the page covers only what he may change
        consents.apply_consent_choices(piet, anna.id, {water.id}, {town.id, water.id})
    after = by_name(consents.consent_overview(piet, anna.id))
    assert not after["Gemeente Utrecht"].chosen, "the form cannot tick what is read-only"
    assert after["Waterschap"].chosen
    with pytest.raises(NotFound):  # the policy lets him neither change nor see that choice
        consents.set_opt_in(piet, anna.id, town.id, True)
    curator = f.person(session)
    f.measure(session, anna, MeasureKind.CURATELE, person=curator)
    full = by_name(
        consents.consent_overview(
            ctx_for(PersonActor(curator.id, clock.now(), loa="midden")), anna.id
        )
    )
    assert full["Gemeente Utrecht"].may_change


def test_the_choices_change_only_at_the_level_for_managing_the_account(
    session, ctx_for, clock, afnemers
):
    """The service asks the policy's ``manage_account`` level itself, not only the portal."""
    _tax, rdw, _town, late = afnemers
    person = f.person(session)
    basis = ctx_for(PersonActor(person.id, clock.now(), loa="basis"))
    for change in (
        lambda ctx: consents.apply_consent_choices(ctx, person.id, {rdw.id}, {rdw.id}),
        lambda ctx: consents.answer_new_afnemers(ctx, person.id, {late.id}, {late.id}),
        lambda ctx: consents.set_share_read_state(ctx, person.id, rdw.id, False),
    ):
        with pytest.raises(StepUpRequired) as refused:
            change(basis)
        assert refused.value.purpose == "manage_account"
    assert consents.consent_for(basis, person.id, rdw.id) is None
    midden = ctx_for(PersonActor(person.id, clock.now(), loa="midden"))
    consents.apply_consent_choices(midden, person.id, {rdw.id}, {rdw.id})
    assert consents.consent_for(midden, person.id, rdw.id).opted_in
