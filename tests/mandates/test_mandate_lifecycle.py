"""Rules 10–13: grant, request, accept, decline, revoke, expiry; court measures and lapsing."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import PersonActor
from machtigen.errors import Forbidden, NotFound
from machtigen.identity.service import staff_actor
from machtigen.mandates import service as mandates
from machtigen.mandates.errors import InvalidMandate, InvalidMeasure, MeasureConflict
from machtigen.mandates.models import MandateAction, MandateScope, MandateStatus, MeasureKind
from machtigen.messages import service as messages
from tests import factories as f


@pytest.fixture
def services(session):
    tax = f.afnemer(session, legally_required=True)
    gemeente = f.afnemer(session)
    return {
        "tax": f.service(session, tax, ServiceCategory.FINANCIAL),
        "wmo": f.service(session, gemeente, ServiceCategory.PERSONAL_CARE),
    }


def request_for(owner, rep=None, office=None, scope=(), days=30, start=None):
    start = start or f.T0
    return mandates.MandateRequest(
        represented_person_id=owner.id,
        representative=mandates.Representative(
            person_id=rep.id if rep else None, office_id=office.id if office else None
        ),
        scope=tuple(
            mandates.ScopeItem(action, service.id if service else None) for service, action in scope
        ),
        valid_from=start,
        valid_until=start + timedelta(days=days),
    )


def reader(ctx_for, person, clock, loa="substantieel"):
    return ctx_for(PersonActor(person.id, clock.now(), loa=loa))


def test_grant_then_accept_gives_access_within_scope(session, ctx_for, clock, services):
    owner, rep = f.person(session), f.person(session)
    tax_message = f.message(session, owner, services["tax"])
    care_message = f.message(session, owner, services["wmo"])
    mandate = mandates.grant(
        reader(ctx_for, owner, clock),
        request_for(owner, rep, scope=[(services["tax"], MandateAction.READ)]),
    )
    assert mandate.status == MandateStatus.REQUESTED
    rep_ctx = reader(ctx_for, rep, clock)
    assert messages.readable_messages(rep_ctx) == []
    mandates.accept(rep_ctx, mandate.id)
    assert [m.id for m in messages.readable_messages(rep_ctx)] == [tax_message.id]
    with pytest.raises(NotFound):
        messages.open_message(rep_ctx, care_message.id)


def test_the_represented_person_cannot_accept_their_own_grant(session, ctx_for, clock, services):
    owner, rep = f.person(session), f.person(session)
    mandate = mandates.grant(
        reader(ctx_for, owner, clock),
        request_for(owner, rep, scope=[(services["tax"], MandateAction.READ)]),
    )
    with pytest.raises(Forbidden):
        mandates.accept(reader(ctx_for, owner, clock), mandate.id)


def test_a_request_by_an_office_is_accepted_by_the_person(session, ctx_for, clock, services):
    owner = f.person(session)
    office = f.office(session)
    staff = f.staff(session, office)
    staff_ctx = ctx_for(staff_actor(session, staff, clock.now(), loa="EH3"))
    mandate = mandates.request_mandate(
        staff_ctx, request_for(owner, office=office, scope=[(services["tax"], MandateAction.READ)])
    )
    with pytest.raises(Forbidden):
        mandates.accept(staff_ctx, mandate.id)
    mandates.accept(reader(ctx_for, owner, clock), mandate.id)
    assert [p.id for p in mandates.clients_of_actor(staff_ctx)] == [owner.id]


def test_nobody_requests_a_mandate_for_someone_else(session, ctx_for, clock, services):
    owner, asker, third = f.person(session), f.person(session), f.person(session)
    with pytest.raises(Forbidden):
        mandates.request_mandate(
            reader(ctx_for, asker, clock),
            request_for(owner, third, scope=[(services["tax"], MandateAction.READ)]),
        )
    with pytest.raises(Forbidden):
        mandates.grant(
            reader(ctx_for, asker, clock),
            request_for(owner, third, scope=[(services["tax"], MandateAction.READ)]),
        )


def test_either_side_revokes_and_access_stops_at_once(session, ctx_for, clock, services):
    owner, rep = f.person(session), f.person(session)
    f.message(session, owner, services["tax"])
    for revoker in ("owner", "rep"):
        mandate = f.mandate(
            session, owner, person=rep, scope=[(services["tax"], MandateAction.READ)]
        )
        assert messages.readable_messages(reader(ctx_for, rep, clock))
        who = owner if revoker == "owner" else rep
        revoked = mandates.revoke(reader(ctx_for, who, clock), mandate.id)
        assert revoked.status == MandateStatus.REVOKED
        assert revoked.end_reason == (
            "by_represented" if revoker == "owner" else "by_representative"
        )
        assert messages.readable_messages(reader(ctx_for, rep, clock)) == []


def test_decline(session, ctx_for, clock, services):
    owner, rep = f.person(session), f.person(session)
    mandate = mandates.grant(
        reader(ctx_for, owner, clock),
        request_for(owner, rep, scope=[(services["tax"], MandateAction.READ)]),
    )
    assert (
        mandates.decline(reader(ctx_for, rep, clock), mandate.id).status == MandateStatus.DECLINED
    )
    with pytest.raises(Forbidden):
        mandates.accept(reader(ctx_for, rep, clock), mandate.id)


def test_a_mandate_ends_exactly_at_valid_until_and_is_then_marked_expired(
    session, ctx_for, clock, services, operator_ctx
):
    owner, rep = f.person(session), f.person(session)
    f.message(session, owner, services["tax"])
    mandate = f.mandate(
        session,
        owner,
        person=rep,
        scope=[(services["tax"], MandateAction.READ)],
        valid_until=f.T0 + timedelta(days=7),
    )
    clock.advance(timedelta(days=7) - timedelta(microseconds=1))
    assert messages.readable_messages(reader(ctx_for, rep, clock))
    clock.advance(timedelta(microseconds=1))
    assert messages.readable_messages(reader(ctx_for, rep, clock)) == []
    job = operator_ctx.as_actor(operator_ctx.actor.__class__("jobs", clock.now()))
    assert mandates.expire_due(job) == 1
    assert mandate.status == MandateStatus.EXPIRED
    assert mandates.expire_due(job) == 0


def test_a_person_under_curatele_cannot_mandate_anyone(session, ctx_for, clock, services):
    owner, rep, curator = f.person(session), f.person(session), f.person(session)
    f.measure(session, owner, MeasureKind.CURATELE, person=curator)
    with pytest.raises(Forbidden, match="curatele"):
        mandates.grant(
            reader(ctx_for, owner, clock),
            request_for(owner, rep, scope=[(services["tax"], MandateAction.READ)]),
        )
    requested = mandates.request_mandate(
        reader(ctx_for, rep, clock),
        request_for(owner, rep, scope=[(services["tax"], MandateAction.READ)]),
    )
    with pytest.raises(Forbidden):
        mandates.accept(reader(ctx_for, owner, clock), requested.id)


@pytest.mark.parametrize(
    ("kind", "tax_lapses", "care_lapses"),
    [
        (MeasureKind.BESCHERMINGSBEWIND, True, False),
        (MeasureKind.MENTORSCHAP, False, True),
        (MeasureKind.CURATELE, True, True),
        (MeasureKind.WSNP, True, False),
    ],
)
def test_voluntary_scopes_lapse_when_a_measure_covers_them(
    session, ctx_for, clock, register_ctx, services, kind, tax_lapses, care_lapses
):
    owner, rep, legal_rep = f.person(session), f.person(session), f.person(session)
    mandate = f.mandate(
        session,
        owner,
        person=rep,
        scope=[(services["tax"], MandateAction.READ), (services["wmo"], MandateAction.READ)],
    )
    measure = mandates.record_measure(
        register_ctx,
        mandates.MeasureRecord(
            register_id="CCBR-1",
            subject_person_id=owner.id,
            kind=kind,
            representative=mandates.Representative(person_id=legal_rep.id),
            starts_at=clock.now(),
        ),
    )
    lapsed = {
        scope.service_id: scope.lapsed_by_measure_id == measure.id
        for scope in session.scalars(
            select(MandateScope).where(MandateScope.mandate_id == mandate.id)
        )
    }
    assert lapsed == {services["tax"].id: tax_lapses, services["wmo"].id: care_lapses}
    expected_status = MandateStatus.LAPSED if tax_lapses and care_lapses else MandateStatus.ACTIVE
    assert mandate.status == expected_status


def test_measures_are_idempotent_per_register_id_and_end_at_once(
    session, ctx_for, clock, register_ctx, services
):
    owner, bewindvoerder = f.person(session), f.person(session)
    f.message(session, owner, services["tax"])
    record = mandates.MeasureRecord(
        register_id="CCBR-7",
        subject_person_id=owner.id,
        kind=MeasureKind.BESCHERMINGSBEWIND,
        representative=mandates.Representative(person_id=bewindvoerder.id),
        starts_at=clock.now() - timedelta(days=1),
    )
    first = mandates.record_measure(register_ctx, record)
    again = mandates.record_measure(register_ctx, record)
    assert first.id == again.id
    assert messages.readable_messages(reader(ctx_for, bewindvoerder, clock))
    mandates.end_measure(register_ctx, "CCBR-7", clock.now())
    assert messages.readable_messages(reader(ctx_for, bewindvoerder, clock)) == []
    other = f.person(session)
    with pytest.raises(MeasureConflict):
        mandates.record_measure(
            register_ctx,
            mandates.MeasureRecord(
                register_id="CCBR-7",
                subject_person_id=other.id,
                kind=MeasureKind.WSNP,
                representative=mandates.Representative(person_id=bewindvoerder.id),
                starts_at=clock.now(),
            ),
        )


def test_only_the_register_feeds_measures(session, ctx_for, clock):
    person, someone = f.person(session), f.person(session)
    with pytest.raises(NotFound):
        mandates.record_measure(
            ctx_for(PersonActor(someone.id, clock.now())),
            mandates.MeasureRecord(
                register_id="X",
                subject_person_id=person.id,
                kind=MeasureKind.CURATELE,
                representative=mandates.Representative(person_id=someone.id),
                starts_at=clock.now(),
            ),
        )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scope": ()}, "at least one"),
        ({"days": -1}, "ends after it starts"),
        ({"start": f.T0 - timedelta(days=60), "days": 10}, "still be valid"),
        ({"scope": ((None, MandateAction.READ),)}, "needs an existing service"),
    ],
)
def test_invalid_mandates_are_refused_with_a_reason(
    session, ctx_for, clock, services, change, message
):
    owner, rep = f.person(session), f.person(session)
    arguments = {"scope": [(services["tax"], MandateAction.READ)], **change}
    with pytest.raises(InvalidMandate, match=message):
        mandates.grant(reader(ctx_for, owner, clock), request_for(owner, rep, **arguments))


def test_every_mandate_change_is_audited_for_the_represented_person(
    session, ctx_for, clock, services
):
    owner, rep = f.person(session), f.person(session)
    mandate = mandates.grant(
        reader(ctx_for, owner, clock),
        request_for(owner, rep, scope=[(services["tax"], MandateAction.READ)]),
    )
    mandates.accept(reader(ctx_for, rep, clock), mandate.id)
    mandates.revoke(reader(ctx_for, rep, clock), mandate.id)
    events = session.scalars(
        select(AuditEvent).where(AuditEvent.object_id == str(mandate.id)).order_by(AuditEvent.seq)
    ).all()
    assert [(e.action, e.actor_id, e.subject_person_id) for e in events] == [
        ("mandate.granted", str(owner.id), owner.id),
        ("mandate.accepted", str(rep.id), owner.id),
        ("mandate.revoked", str(rep.id), owner.id),
    ]


def test_invalid_measure_period_is_refused(session, register_ctx, clock):
    owner, rep = f.person(session), f.person(session)
    with pytest.raises(InvalidMeasure):
        mandates.record_measure(
            register_ctx,
            mandates.MeasureRecord(
                register_id="CCBR-9",
                subject_person_id=owner.id,
                kind=MeasureKind.WSNP,
                representative=mandates.Representative(person_id=rep.id),
                starts_at=clock.now(),
                ends_at=clock.now(),
            ),
        )


def test_granting_with_a_weaker_login_asks_to_step_up(session, ctx_for, clock, services):
    from machtigen.identity.loa import StepUpRequired

    owner, rep = f.person(session), f.person(session)
    with pytest.raises(StepUpRequired) as step_up:
        mandates.grant(
            reader(ctx_for, owner, clock, loa="midden"),
            request_for(owner, rep, scope=[(services["tax"], MandateAction.READ)]),
        )
    assert step_up.value.needed == "substantieel"
    assert step_up.value.status_code == 403
