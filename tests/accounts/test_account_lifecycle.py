"""Rules 1, 2, 4 and 3 (prompting): activation only by an explicit act, deactivation, paper switch."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from machtigen.accounts import service as accounts
from machtigen.accounts.errors import AccountStateConflict, ActivationNotConfirmed, InvalidEmail
from machtigen.accounts.models import Account, AccountState, Folder
from machtigen.afnemers import service as afnemers
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import PersonActor
from machtigen.consents import service as consents
from machtigen.errors import NotFound
from machtigen.identity.loa import StepUpRequired
from machtigen.mandates.models import MeasureKind
from tests import factories as f


def test_logging_in_never_activates(session, ctx_for, clock):
    person = f.person(session, state=AccountState.CASCO)
    accounts.record_visit(ctx_for(PersonActor(person.id, clock.now(), loa="midden")), person.id)
    account = session.get(Account, person.id)
    assert account.state == AccountState.CASCO
    assert account.last_visit_at == clock.now()


def test_activation_needs_the_explicit_confirmation(session, ctx_for, clock):
    person = f.person(session, state=AccountState.CASCO)
    ctx = ctx_for(PersonActor(person.id, clock.now(), loa="midden"))
    with pytest.raises(ActivationNotConfirmed):
        accounts.activate(ctx, person.id, explanation_confirmed=False)
    assert session.get(Account, person.id).state == AccountState.CASCO
    account = accounts.activate(ctx, person.id, explanation_confirmed=True)
    assert account.state == AccountState.ACTIVATED
    assert account.activated_at == clock.now()


def test_nobody_else_activates_a_stranger_account(session, ctx_for, clock):
    person = f.person(session, state=AccountState.CASCO)
    stranger = f.person(session)
    with pytest.raises(NotFound):
        accounts.activate(
            ctx_for(PersonActor(stranger.id, clock.now(), loa="midden")),
            person.id,
            explanation_confirmed=True,
        )


def test_a_bewindvoerder_may_see_but_not_activate(session, ctx_for, clock):
    person = f.person(session, state=AccountState.CASCO)
    bewindvoerder = f.person(session)
    f.measure(session, person, MeasureKind.BESCHERMINGSBEWIND, person=bewindvoerder)
    ctx = ctx_for(PersonActor(bewindvoerder.id, clock.now(), loa="midden"))
    assert accounts.get_account(ctx, person.id).state == AccountState.CASCO
    with pytest.raises(Exception, match="may not activate"):
        accounts.activate(ctx, person.id, explanation_confirmed=True)


def test_deactivate_and_activate_again(session, ctx_for, clock):
    person = f.person(session)
    ctx = ctx_for(PersonActor(person.id, clock.now(), loa="midden"))
    assert accounts.deactivate(ctx, person.id).state == AccountState.DEACTIVATED
    with pytest.raises(AccountStateConflict):
        accounts.deactivate(ctx, person.id)
    assert (
        accounts.activate(ctx, person.id, explanation_confirmed=True).state
        == AccountState.ACTIVATED
    )


def test_the_paper_switch_is_recorded(session, ctx_for, clock):
    person = f.person(session)
    accounts.set_paper_only(
        ctx_for(PersonActor(person.id, clock.now(), loa="midden")), person.id, True
    )
    assert session.get(Account, person.id).paper_only
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_person_id == person.id)
    ).all()
    assert "account.paper_switch" in actions


def test_email_is_validated_and_normalised(session, ctx_for, clock):
    person = f.person(session)
    ctx = ctx_for(PersonActor(person.id, clock.now(), loa="midden"))
    with pytest.raises(InvalidEmail):
        accounts.set_email(ctx, person.id, "not an address")
    assert session.get(Account, person.id).email is None
    account = accounts.set_email(ctx, person.id, "  Koen@Example.ORG ")
    assert account.email == "Koen@example.org"


def test_an_afnemer_that_joins_later_is_asked_about_never_ticked(
    session, ctx_for, operator_ctx, clock
):
    person = f.person(session)
    ctx = ctx_for(PersonActor(person.id, clock.now(), loa="midden"))
    accounts.mark_afnemers_reviewed(ctx, person.id)
    clock.advance(timedelta(days=2))
    operator = operator_ctx.as_actor(operator_ctx.actor.__class__("op", clock.now()))
    newcomer = afnemers.register_afnemer(
        operator, oin="00000009999999999999", name="Nieuw Waterschap"
    )
    later = ctx_for(PersonActor(person.id, clock.now(), loa="midden"))
    assert [a.id for a in accounts.afnemers_to_ask_about(later, person.id)] == [newcomer.id]
    assert consents.consent_for(later, person.id, newcomer.id) is None
    consents.set_opt_in(later, person.id, newcomer.id, False)
    assert accounts.afnemers_to_ask_about(later, person.id) == []


CHANGES = {
    "activate": lambda ctx, who: accounts.activate(ctx, who, explanation_confirmed=True),
    "deactivate": lambda ctx, who: accounts.deactivate(ctx, who),
    "paper": lambda ctx, who: accounts.set_paper_only(ctx, who, True),
    "email": lambda ctx, who: accounts.set_email(ctx, who, "koen@example.org"),
    "confirm_email": lambda ctx, who: accounts.confirm_email_current(ctx, who),
    "reminders": lambda ctx, who: accounts.set_repeat_reminders(ctx, who, False),
    "reviewed": lambda ctx, who: accounts.mark_afnemers_reviewed(ctx, who),
    "folder": lambda ctx, who: accounts.create_folder(ctx, who, "Belasting"),
}


def _settings(account: Account) -> tuple[object, ...]:
    return (
        account.state,
        account.paper_only,
        account.email,
        account.email_confirmed_at,
        account.repeat_reminders,
        account.afnemers_reviewed_at,
    )


@pytest.mark.parametrize("change", sorted(CHANGES))
def test_the_account_changes_only_at_the_level_for_managing_it(session, ctx_for, clock, change):
    """The service asks the policy's ``manage_account`` level itself, not only the portal."""
    state = AccountState.CASCO if change == "activate" else AccountState.ACTIVATED
    person = f.person(session, state=state)
    session.get(Account, person.id).email = "koen@example.org"
    session.flush()
    before = _settings(session.get(Account, person.id))
    basis = ctx_for(PersonActor(person.id, clock.now(), loa="basis"))
    with pytest.raises(StepUpRequired) as refused:
        CHANGES[change](basis, person.id)
    assert (refused.value.purpose, refused.value.needed) == ("manage_account", "midden")
    assert _settings(session.get(Account, person.id)) == before
    assert not session.scalars(select(Folder).where(Folder.person_id == person.id)).all()
    CHANGES[change](ctx_for(PersonActor(person.id, clock.now(), loa="midden")), person.id)
