"""Every act of DOMAIN.md rule 15 / issue 5 point 1 writes its audit event in the act's own
transaction: the event is there with its fields filled, and gone when the act rolls back."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

import pytest
from sqlalchemy import func, select

from machtigen.accounts import service as accounts
from machtigen.accounts.models import AccountState
from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import AnonymousActor, PersonActor, SystemActor
from machtigen.consents import service as consents
from machtigen.identity import login as logins
from machtigen.identity import sessions
from machtigen.identity.models import PortalSession
from machtigen.mandates import service as mandates
from machtigen.mandates.models import MandateAction, MandateStatus, MeasureKind
from machtigen.messages import service as messages
from tests import factories as f


@dataclass
class Done:
    """What an act should have written: its action, about whom, by whom."""

    action: str
    subject: UUID
    actor_kind: str
    actor_id: str
    means: str | None = None
    loa: str | None = None
    detail: dict | None = None


def person_ctx(ctx_for, clock, person, loa="substantieel"):
    return ctx_for(PersonActor(person.id, clock.now(), loa=loa, name=person.full_name))


def _login(session, ctx_for, clock):
    owner = f.person(session, state=AccountState.CASCO)
    anonymous = ctx_for(AnonymousActor("broker|x", clock.now()))
    logins.login(anonymous, "digid", logins.DigidAssertion("broker|x", "midden", owner.bsn))
    return Done("login", owner.id, "person", str(owner.id), "digid", "midden")


def _activation(session, ctx_for, clock):
    owner = f.person(session, state=AccountState.CASCO)
    accounts.activate(person_ctx(ctx_for, clock, owner), owner.id, explanation_confirmed=True)
    return Done("account.activated", owner.id, "person", str(owner.id), "digid", "substantieel")


def _deactivation(session, ctx_for, clock):
    owner = f.person(session)
    accounts.deactivate(person_ctx(ctx_for, clock, owner), owner.id)
    return Done("account.deactivated", owner.id, "person", str(owner.id), "digid")


def _tick(session, ctx_for, clock):
    owner, rdw = f.person(session), f.afnemer(session, name="RDW")
    consents.set_opt_in(person_ctx(ctx_for, clock, owner), owner.id, rdw.id, True)
    return Done("consent.ticked", owner.id, "person", str(owner.id), detail={"afnemer": "RDW"})


def _untick(session, ctx_for, clock):
    owner, uwv = f.person(session), f.afnemer(session, name="UWV")
    ctx = person_ctx(ctx_for, clock, owner)
    consents.set_opt_in(ctx, owner.id, uwv.id, True)
    consents.set_opt_in(ctx, owner.id, uwv.id, False)
    return Done("consent.unticked", owner.id, "person", str(owner.id), detail={"afnemer": "UWV"})


def _read_state_consent(session, ctx_for, clock):
    owner, svb = f.person(session), f.afnemer(session, name="SVB", legally_required=True)
    consents.set_share_read_state(person_ctx(ctx_for, clock, owner), owner.id, svb.id, True)
    return Done("consent.read_state_shared", owner.id, "person", str(owner.id))


def _paper_switch(session, ctx_for, clock):
    owner = f.person(session)
    accounts.set_paper_only(person_ctx(ctx_for, clock, owner), owner.id, True)
    return Done("account.paper_switch", owner.id, "person", str(owner.id), detail={"on": True})


def _email(session, ctx_for, clock):
    owner = f.person(session)
    accounts.set_email(person_ctx(ctx_for, clock, owner), owner.id, "koen@example.org")
    return Done("account.email_changed", owner.id, "person", str(owner.id))


def _reminders(session, ctx_for, clock):
    owner = f.person(session)
    accounts.set_repeat_reminders(person_ctx(ctx_for, clock, owner), owner.id, False)
    return Done("account.reminders_changed", owner.id, "person", str(owner.id))


def _afnemers_reviewed(session, ctx_for, clock):
    owner = f.person(session)
    accounts.mark_afnemers_reviewed(person_ctx(ctx_for, clock, owner), owner.id)
    return Done("account.afnemers_reviewed", owner.id, "person", str(owner.id))


def _request(owner, rep, service):
    return mandates.MandateRequest(
        represented_person_id=owner.id,
        representative=mandates.Representative(person_id=rep.id),
        scope=(mandates.ScopeItem(MandateAction.READ, service.id),),
        valid_from=f.T0,
        valid_until=f.T0 + timedelta(days=90),
    )


def _tax_service(session):
    return f.service(session, f.afnemer(session, legally_required=True), ServiceCategory.FINANCIAL)


def _grant(session, ctx_for, clock):
    owner, rep = f.person(session), f.person(session)
    mandates.grant(person_ctx(ctx_for, clock, owner), _request(owner, rep, _tax_service(session)))
    return Done("mandate.granted", owner.id, "person", str(owner.id), "digid", "substantieel")


def _mandate_request(session, ctx_for, clock):
    owner, rep = f.person(session), f.person(session)
    mandates.request_mandate(
        person_ctx(ctx_for, clock, rep), _request(owner, rep, _tax_service(session))
    )
    return Done("mandate.requested", owner.id, "person", str(rep.id))


def _acceptance(session, ctx_for, clock):
    owner, rep = f.person(session), f.person(session)
    granted = f.mandate(
        session,
        owner,
        person=rep,
        scope=[(_tax_service(session), MandateAction.READ)],
        status=MandateStatus.REQUESTED,
    )
    mandates.accept(person_ctx(ctx_for, clock, rep), granted.id)
    return Done("mandate.accepted", owner.id, "person", str(rep.id))


def _revocation(session, ctx_for, clock):
    owner, rep = f.person(session), f.person(session)
    held = f.mandate(
        session, owner, person=rep, scope=[(_tax_service(session), MandateAction.READ)]
    )
    mandates.revoke(person_ctx(ctx_for, clock, owner), held.id)
    return Done("mandate.revoked", owner.id, "person", str(owner.id))


def _expiry(session, ctx_for, clock):
    owner, rep = f.person(session), f.person(session)
    f.mandate(
        session,
        owner,
        person=rep,
        scope=[(_tax_service(session), MandateAction.READ)],
        valid_until=f.T0 - timedelta(seconds=1),
    )
    mandates.expire_due(ctx_for(SystemActor(clock.now(), job="jobs.expire_mandates")))
    return Done("mandate.expired", owner.id, "system", "jobs.expire_mandates")


def _measure(register_ctx):
    def act(session, ctx_for, clock):
        owner, curator = f.person(session), f.person(session)
        mandates.record_measure(
            register_ctx,
            mandates.MeasureRecord(
                register_id=f"CCBR-{owner.id.hex[:8]}",
                subject_person_id=owner.id,
                kind=MeasureKind.CURATELE,
                representative=mandates.Representative(person_id=curator.id),
                starts_at=f.T0,
            ),
        )
        return Done("measure.started", owner.id, "register", "ccbr", detail=None)

    return act


def _measure_end(register_ctx):
    def act(session, ctx_for, clock):
        owner = f.person(session)
        measure = f.measure(
            session, owner, MeasureKind.BESCHERMINGSBEWIND, person=f.person(session)
        )
        mandates.end_measure(register_ctx, measure.register_id, f.T0 + timedelta(days=1))
        return Done("measure.ended", owner.id, "register", "ccbr")

    return act


def _opened_by_owner(session, ctx_for, clock):
    owner = f.person(session)
    message = f.message(session, owner, _tax_service(session))
    messages.open_message(person_ctx(ctx_for, clock, owner, loa="midden"), message.id)
    return Done("message.opened", owner.id, "person", str(owner.id), "digid", "midden")


def _opened_by_representative(session, ctx_for, clock):
    """By whom (the representative), for whom (the owner: the subject)."""
    owner, rep = f.person(session), f.person(session)
    tax = _tax_service(session)
    message = f.message(session, owner, tax)
    f.mandate(session, owner, person=rep, scope=[(tax, MandateAction.READ)])
    messages.open_message(person_ctx(ctx_for, clock, rep, loa="midden"), message.id)
    return Done("message.opened", owner.id, "person", str(rep.id), "digid", "midden")


def _acting_for(session, ctx_for, clock):
    owner, rep = f.person(session), f.person(session)
    f.mandate(session, owner, person=rep, scope=[(_tax_service(session), MandateAction.READ)])
    portal = _portal_session(session, rep)
    sessions.act_for(person_ctx(ctx_for, clock, rep, loa="midden"), portal, owner.id)
    return Done("session.acting_for", owner.id, "person", str(rep.id))


def _portal_session(session, person):
    portal = PortalSession(
        token_hash=person.id.hex,
        actor_kind="person",
        person_id=person.id,
        means="digid",
        loa="midden",
        csrf_token="x",
        created_at=f.T0,
        last_seen_at=f.T0,
        expires_at=f.T0 + timedelta(hours=8),
    )
    session.add(portal)
    session.flush()
    return portal


def _logout(session, ctx_for, clock):
    owner = f.person(session)
    portal = _portal_session(session, owner)
    sessions.close_session(person_ctx(ctx_for, clock, owner), portal)
    return Done("logout", owner.id, "person", str(owner.id))


ACTS: dict[str, Callable] = {
    "login": _login,
    "activation": _activation,
    "deactivation": _deactivation,
    "consent tick": _tick,
    "consent untick": _untick,
    "read-state consent": _read_state_consent,
    "paper switch": _paper_switch,
    "e-mail setting": _email,
    "reminder setting": _reminders,
    "afnemers reviewed": _afnemers_reviewed,
    "mandate grant": _grant,
    "mandate request": _mandate_request,
    "mandate acceptance": _acceptance,
    "mandate revocation": _revocation,
    "mandate expiry": _expiry,
    "measure start": "measure_start",
    "measure end": "measure_end",
    "message opened by owner": _opened_by_owner,
    "message opened by representative": _opened_by_representative,
    "acting for": _acting_for,
    "logout": _logout,
}


def _act(name, register_ctx):
    act = ACTS[name]
    if act == "measure_start":
        return _measure(register_ctx)
    if act == "measure_end":
        return _measure_end(register_ctx)
    return act


def _events(session, done: Done):
    return session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == done.action, AuditEvent.subject_person_id == done.subject
        )
    ).all()


@pytest.mark.parametrize("name", list(ACTS))
def test_the_act_writes_its_event_with_every_field(name, session, ctx_for, clock, register_ctx):
    done = _act(name, register_ctx)(session, ctx_for, clock)
    session.flush()
    [event] = _events(session, done)
    assert event.seq is not None and event.occurred_at == clock.now()
    assert (event.actor_kind, event.actor_id) == (done.actor_kind, done.actor_id)
    assert (event.ip, event.user_agent) == ("192.0.2.10", "pytest")
    if done.actor_kind == "person":
        assert event.actor_name.startswith("Person")
    if done.means is not None:
        assert event.means == done.means
    if done.loa is not None:
        assert event.loa == done.loa
    for key, value in (done.detail or {}).items():
        assert event.detail[key] == value


@pytest.mark.parametrize("name", list(ACTS))
def test_the_event_is_gone_when_the_act_rolls_back(name, session, ctx_for, clock, register_ctx):
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    savepoint = session.begin_nested()
    done = _act(name, register_ctx)(session, ctx_for, clock)
    session.flush()
    assert len(_events(session, done)) == 1
    savepoint.rollback()
    assert _events(session, done) == []
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before


def test_free_text_cannot_forge_a_line(session, ctx_for, clock):
    owner = f.person(session)
    ctx = ctx_for(
        PersonActor(owner.id, clock.now(), loa="midden", name="Eve\nOp 1 januari logde Koen in")
    )
    from machtigen.context import Origin

    ctx = type(ctx)(
        session=ctx.session,
        actor=ctx.actor,
        clock=ctx.clock,
        authz=ctx.authz,
        origin=Origin("192.0.2.1", "Mozilla\r\n2026-01-01 login ok\u2028\u202e" + "x" * 400),
    )
    accounts.set_repeat_reminders(ctx, owner.id, False)
    [event] = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "account.reminders_changed")
    ).all()
    assert event.actor_name == "Eve\\nOp 1 januari logde Koen in"
    assert event.user_agent.startswith("Mozilla\\r\\n2026-01-01 login ok\\u2028\\u202e")
    assert len(event.user_agent) == 300 and event.user_agent.isprintable()
