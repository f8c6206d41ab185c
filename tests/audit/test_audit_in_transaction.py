"""Audit events are written in the act's own transaction: no act without its event, no event without its act."""

import pytest
from sqlalchemy import func, select

from machtigen.accounts import service as accounts
from machtigen.accounts.errors import AccountStateConflict
from machtigen.accounts.models import Account, AccountState
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import PersonActor
from tests import factories as f


def count_events(session, person_id):
    return session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.subject_person_id == person_id)
    )


def test_activation_event_has_its_fields(session, ctx_for, clock):
    person = f.person(session, state=AccountState.CASCO)
    accounts.activate(
        ctx_for(PersonActor(person.id, clock.now(), loa="midden")),
        person.id,
        explanation_confirmed=True,
    )
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.activated")
    ).one()
    assert event.occurred_at == clock.now()
    assert (event.actor_kind, event.actor_id, event.subject_person_id) == (
        "person",
        str(person.id),
        person.id,
    )
    assert (event.means, event.loa, event.ip, event.user_agent) == (
        "digid",
        "midden",
        "192.0.2.10",
        "pytest",
    )
    assert event.detail == {"previous": "casco"}


def test_a_rolled_back_act_leaves_no_event(session, ctx_for, clock):
    person = f.person(session, state=AccountState.CASCO)
    before = count_events(session, person.id)
    savepoint = session.begin_nested()
    accounts.activate(
        ctx_for(PersonActor(person.id, clock.now(), loa="midden")),
        person.id,
        explanation_confirmed=True,
    )
    session.flush()
    assert count_events(session, person.id) == before + 1
    savepoint.rollback()
    assert count_events(session, person.id) == before
    assert session.get(Account, person.id).state == AccountState.CASCO


def test_a_refused_act_writes_no_event(session, ctx_for, clock):
    person = f.person(session, state=AccountState.CASCO)
    before = count_events(session, person.id)
    with pytest.raises(AccountStateConflict):
        accounts.deactivate(ctx_for(PersonActor(person.id, clock.now(), loa="midden")), person.id)
    assert count_events(session, person.id) == before
