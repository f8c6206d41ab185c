"""Who is asked about new organisations, and about which (issue 15, DOMAIN.md rules 2-4).

"New" is what joined since the person last reviewed the list (or switched the mailbox on);
nobody whose mailbox is off or who chose everything on paper is urged towards digital post;
an organisation with a local task is offered only to the people who live in its area.
"""

from datetime import timedelta

import pytest

from machtigen.accounts import service as accounts
from machtigen.accounts.models import Account, AccountState
from machtigen.afnemers import service as afnemers
from machtigen.afnemers.errors import InvalidMunicipality
from machtigen.authz.actors import PersonActor
from machtigen.consents import service as consents
from machtigen.notifications.prompts import Prompt, portal_prompts
from tests import factories as f

UTRECHT, AMSTERDAM = "0344", "0363"


@pytest.fixture
def world(session, clock, operator_ctx):
    """RDW (national) and Gemeente Utrecht joined long ago; CAK and a Utrecht water board
    joined two weeks ago."""
    old = operator_ctx.as_actor(
        operator_ctx.actor.__class__("op", clock.now() - timedelta(days=900))
    )
    recent = operator_ctx.as_actor(
        operator_ctx.actor.__class__("op", clock.now() - timedelta(days=14))
    )
    return {
        "rdw": afnemers.register_afnemer(old, oin="00000001000000000001", name="RDW"),
        "utrecht": afnemers.register_afnemer(
            old, oin="00000001000000000002", name="Gemeente Utrecht", municipalities=[UTRECHT]
        ),
        "cak": afnemers.register_afnemer(recent, oin="00000001000000000003", name="CAK"),
        "water": afnemers.register_afnemer(
            recent,
            oin="00000001000000000004",
            name="Waterschap",
            municipalities=[UTRECHT, "0353"],
        ),
    }


def resident(session, clock, municipality=UTRECHT, **extra):
    person = f.person(session, **extra)
    person.municipality_code = municipality
    account = session.get(Account, person.id)
    if account.state == AccountState.ACTIVATED:
        account.activated_at = clock.now() - timedelta(days=400)
    session.flush()
    return person


def asked(ctx_for, clock, person):
    ctx = ctx_for(PersonActor(person.id, clock.now(), loa="midden"))
    return sorted(a.name for a in accounts.afnemers_to_ask_about(ctx, person.id))


def test_new_means_joined_since_the_mailbox_was_switched_on_or_the_list_reviewed(
    session, clock, ctx_for, world
):
    koen = resident(session, clock)
    assert asked(ctx_for, clock, koen) == ["CAK", "Waterschap"], "not RDW or the municipality"
    ctx = ctx_for(PersonActor(koen.id, clock.now(), loa="midden"))
    shown = {c.afnemer.id for c in consents.consent_overview(ctx, koen.id) if c.may_change}
    consents.apply_consent_choices(ctx, koen.id, shown, set())
    assert asked(ctx_for, clock, koen) == [], "saving the list is reviewing it"
    assert not consents.consent_for(ctx, koen.id, world["cak"].id), "and ticks nothing"


def test_a_municipality_is_not_pushed_to_someone_who_lives_elsewhere_or_abroad(
    session, clock, ctx_for, world
):
    amsterdammer = resident(session, clock, AMSTERDAM)
    assert asked(ctx_for, clock, amsterdammer) == ["CAK"]
    abroad = resident(session, clock, None, non_resident=True)
    assert asked(ctx_for, clock, abroad) == ["CAK"]
    ctx = ctx_for(PersonActor(abroad.id, clock.now(), loa="midden"))
    offered = [c.afnemer.name for c in consents.consent_overview(ctx, abroad.id)]
    assert offered == ["CAK", "RDW"], "no municipality or water board in her settings"


def test_a_choice_made_before_moving_stays_visible_so_it_can_be_undone(
    session, clock, ctx_for, world
):
    moved = resident(session, clock, UTRECHT)
    ctx = ctx_for(PersonActor(moved.id, clock.now(), loa="midden"))
    consents.set_opt_in(ctx, moved.id, world["utrecht"].id, True)
    moved.municipality_code = AMSTERDAM
    session.flush()
    offered = [c.afnemer.name for c in consents.consent_overview(ctx, moved.id)]
    assert "Gemeente Utrecht" in offered and "Waterschap" not in offered


@pytest.mark.parametrize("how", ["casco", "deactivated", "paper_only"])
def test_nobody_with_the_mailbox_off_or_on_paper_is_urged_towards_digital(
    session, clock, ctx_for, world, how
):
    person = resident(session, clock)
    account = session.get(Account, person.id)
    if how == "paper_only":
        account.paper_only = True
    else:
        account.state = AccountState(how)
    session.flush()
    assert asked(ctx_for, clock, person) == []
    assert (
        portal_prompts(ctx_for(PersonActor(person.id, clock.now(), loa="midden")), person.id) == []
    )
    account.paper_only, account.state = False, AccountState.ACTIVATED
    assert portal_prompts(
        ctx_for(PersonActor(person.id, clock.now(), loa="midden")), person.id
    ) == [Prompt.ASK_EMAIL]


def test_an_area_is_made_of_municipality_codes(clock, operator_ctx):
    with pytest.raises(InvalidMunicipality):
        afnemers.register_afnemer(
            operator_ctx, oin="00000001000000000009", name="X", municipalities=["Utrecht"]
        )
