"""An office employee sets and confirms their own e-mail address; rule 12's notifications for
the office's clients then reach them. Nobody else may change it; every change is audited."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from machtigen.accounts.errors import InvalidEmail
from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import PersonActor
from machtigen.errors import NotFound
from machtigen.identity.loa import StepUpRequired
from machtigen.identity.service import staff_actor
from machtigen.identity.staff_email import confirm_staff_email, own_staff, set_staff_email
from machtigen.mandates.models import MeasureKind
from machtigen.notifications.models import Notification, RecipientKind
from machtigen.notifications.outbox import on_message_delivered
from machtigen.notifications.prompts import Prompt, staff_prompts
from tests import factories as f


@pytest.fixture
def office(session):
    return f.office(session)


def _as(ctx_for, session, clock, member):
    return ctx_for(staff_actor(session, member, clock.now(), loa="EH3"))


def _events(session, action):
    return session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_an_employee_sets_confirms_and_removes_their_own_address(session, ctx_for, clock, office):
    member = f.staff(session, office)
    ctx = lambda: _as(ctx_for, session, clock, member)  # noqa: E731
    assert staff_prompts(ctx(), member.id) == [Prompt.ASK_EMAIL]

    with pytest.raises(InvalidEmail):
        set_staff_email(ctx(), member.id, "piet@")
    assert member.email is None

    set_staff_email(ctx(), member.id, "  Piet@Bewind.Example.NL ")
    assert member.email == "Piet@bewind.example.nl"  # the domain is normalised, as for persons
    assert member.email_confirmed_at == clock.now()
    assert staff_prompts(ctx(), member.id) == []
    [changed] = _events(session, "staff.email_changed")
    assert (changed.actor_kind, changed.actor_id, changed.object_id) == (
        "staff",
        str(member.id),
        str(member.id),
    )
    assert changed.detail["has_email"] is True and changed.detail["office_id"] == str(office.id)
    assert "bewind.example.nl" not in str(changed.detail)  # the address is not in the trail

    clock.set(f.T0.replace(year=2027, month=5, day=23))  # six calendar months later
    assert staff_prompts(ctx(), member.id) == [Prompt.CONFIRM_EMAIL]
    confirm_staff_email(ctx(), member.id)
    assert staff_prompts(ctx(), member.id) == []
    assert len(_events(session, "staff.email_confirmed")) == 1

    set_staff_email(ctx(), member.id, None)
    assert (member.email, member.email_confirmed_at) == (None, None)
    with pytest.raises(InvalidEmail):
        confirm_staff_email(ctx(), member.id)


def test_nobody_else_sets_an_employees_address(session, ctx_for, clock, office):
    member = f.staff(session, office)
    admin = f.staff(session, office, is_admin=True)
    stranger = f.person(session)
    for someone in (
        _as(ctx_for, session, clock, admin),
        _as(ctx_for, session, clock, f.staff(session, f.office(session), is_admin=True)),
        ctx_for(PersonActor(stranger.id, clock.now(), loa="substantieel")),
    ):
        with pytest.raises(NotFound):
            set_staff_email(someone, member.id, "elsewhere@example.nl")
    assert member.email is None
    assert _events(session, "staff.email_changed") == []


def test_with_an_address_the_employee_is_notified_for_the_offices_clients(
    session, ctx_for, clock, office
):
    member = f.staff(session, office)
    client = f.person(session)
    f.measure(session, client, MeasureKind.BESCHERMINGSBEWIND, office=office)
    tax = f.service(session, f.afnemer(session, name="Belastingdienst"), ServiceCategory.FINANCIAL)
    first = f.message(session, client, tax)
    ctx = _as(ctx_for, session, clock, member)
    assert on_message_delivered(ctx, first) == []  # no address: nobody at the office is told

    set_staff_email(ctx, member.id, "sara@bewind.example.nl")
    clock.advance(timedelta(minutes=1))
    second = f.message(session, client, tax)
    [notification] = on_message_delivered(ctx, second)
    assert notification.recipient_kind == RecipientKind.STAFF
    assert notification.email == "sara@bewind.example.nl"
    assert "voor uw cliënt" in notification.subject
    assert session.scalars(select(Notification)).all() == [notification]


def test_the_address_changes_only_at_the_level_for_managing_an_account(
    session, ctx_for, clock, office
):
    """The service asks the policy's ``manage_account`` level itself, not only the portal."""
    member = f.staff(session, office)
    eh2 = ctx_for(staff_actor(session, member, clock.now(), loa="EH2+"))
    with pytest.raises(StepUpRequired) as refused:
        set_staff_email(eh2, member.id, "piet@bewind.example.nl")
    assert (refused.value.purpose, refused.value.needed) == ("manage_account", "EH3")
    assert member.email is None
    set_staff_email(_as(ctx_for, session, clock, member), member.id, "piet@bewind.example.nl")
    with pytest.raises(StepUpRequired):
        confirm_staff_email(eh2, member.id)
    assert own_staff(eh2) == member
    assert own_staff(ctx_for(PersonActor(f.person(session).id, clock.now(), loa="hoog"))) is None
