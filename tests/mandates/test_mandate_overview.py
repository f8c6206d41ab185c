"""The portal's mandate overviews: phases, names, scope lines, and what each side may do."""

from datetime import date, timedelta

import pytest

from machtigen.afnemers.models import ServiceCategory
from machtigen.authz.actors import PersonActor
from machtigen.identity.errors import InvalidBsn, InvalidKvkNumber
from machtigen.identity.loa import StepUpRequired
from machtigen.identity.service import staff_actor
from machtigen.mandates import service as mandates
from machtigen.mandates.errors import InvalidMandate
from machtigen.mandates.models import Initiator, MandateAction, MandateStatus
from machtigen.mandates.service import MandatePhase
from tests import factories as f


@pytest.fixture
def tax(session):
    owner = f.afnemer(session, name="Belastingdienst")
    return f.service(session, owner, ServiceCategory.FINANCIAL)


def test_phases_from_status_and_validity(session, ctx_for, clock, tax):
    owner, rep = f.person(session), f.person(session)
    now = clock.now()
    scope = [(tax, MandateAction.READ)]
    cases = {
        "pending": f.mandate(
            session, owner, person=rep, scope=scope, status=MandateStatus.REQUESTED
        ),
        "active": f.mandate(session, owner, person=rep, scope=scope),
        "scheduled": f.mandate(
            session, owner, person=rep, scope=scope, valid_from=now + timedelta(days=2)
        ),
        "expired": f.mandate(
            session,
            owner,
            person=rep,
            scope=scope,
            valid_from=now - timedelta(days=60),
            valid_until=now - timedelta(days=1),
        ),
        "revoked": f.mandate(session, owner, person=rep, scope=scope, status=MandateStatus.REVOKED),
        "declined": f.mandate(
            session, owner, person=rep, scope=scope, status=MandateStatus.DECLINED
        ),
    }
    views = mandates.mandate_overview(ctx_for(PersonActor(owner.id, now)), as_represented=True)
    phases = {view.mandate.id: view.phase for view in views}
    assert phases == {m.id: MandatePhase(name) for name, m in cases.items()}
    assert (
        mandates.mandate_overview(ctx_for(PersonActor(owner.id, now)), as_represented=False) == []
    )


def test_each_side_sees_names_scope_and_its_own_buttons(session, ctx_for, clock, tax):
    owner, rep = f.person(session, name="Truus"), f.person(session, name="Henk")
    granted = f.mandate(
        session,
        owner,
        person=rep,
        scope=[(tax, MandateAction.READ), (None, MandateAction.READ_PERSONAL_DATA)],
        status=MandateStatus.REQUESTED,
    )
    [mine] = mandates.mandate_overview(
        ctx_for(PersonActor(owner.id, clock.now())), as_represented=True
    )
    assert (mine.represented.split()[0], mine.representative.split()[0]) == ("Truus", "Henk")
    assert [(line.afnemer, line.action) for line in mine.scope] == [
        ("Belastingdienst", MandateAction.READ),
        (None, MandateAction.READ_PERSONAL_DATA),
    ]
    assert (mine.may_accept, mine.may_decline, mine.may_revoke) == (False, False, True)
    [theirs] = mandates.mandate_overview(
        ctx_for(PersonActor(rep.id, clock.now())), as_represented=False
    )
    assert theirs.mandate.id == granted.id
    assert (theirs.may_accept, theirs.may_decline, theirs.may_revoke) == (True, True, True)


def test_an_office_request_waits_for_the_person(session, ctx_for, clock, tax):
    owner = f.person(session)
    office = f.office(session)
    staff = f.staff(session, office)
    request = f.mandate(
        session,
        owner,
        office=office,
        scope=[(tax, MandateAction.READ)],
        status=MandateStatus.REQUESTED,
        initiated_by=Initiator.REPRESENTATIVE,
    )
    staff_ctx = ctx_for(staff_actor(session, staff, clock.now()))
    [view] = mandates.mandate_overview(staff_ctx, as_represented=False)
    assert view.representative == office.name
    assert (view.may_accept, view.may_revoke) == (False, True)
    [asked] = mandates.mandate_overview(
        ctx_for(PersonActor(owner.id, clock.now())), as_represented=True
    )
    assert asked.mandate.id == request.id and asked.may_accept and asked.may_decline


def test_the_other_party_is_found_only_by_bsn_and_matching_birth_date(session, ctx_for, clock):
    someone = f.person(session, born=date(1960, 5, 17))
    ctx = ctx_for(PersonActor(f.person(session).id, clock.now(), loa="substantieel"))
    found = mandates.person_by_bsn_and_birth(ctx, someone.bsn, date(1960, 5, 17))
    assert found.person_id == someone.id
    with pytest.raises(mandates.PartyNotFound) as wrong_date:
        mandates.person_by_bsn_and_birth(ctx, someone.bsn, date(1960, 5, 18))
    unknown_bsn = f.make_bsn(424242)
    with pytest.raises(mandates.PartyNotFound) as unknown:
        mandates.person_by_bsn_and_birth(ctx, unknown_bsn, date(1960, 5, 17))
    assert wrong_date.value.detail == unknown.value.detail
    with pytest.raises(InvalidBsn):
        mandates.person_by_bsn_and_birth(ctx, "123456789", date(1960, 5, 17))


def test_an_office_is_found_by_kvk_number(session, ctx_for, clock):
    office = f.office(session)
    ctx = ctx_for(PersonActor(f.person(session).id, clock.now(), loa="substantieel"))
    assert mandates.office_by_kvk(ctx, office.kvk_number).office_id == office.id
    with pytest.raises(InvalidKvkNumber):
        mandates.office_by_kvk(ctx, "12ab")
    with pytest.raises(InvalidMandate):
        mandates.office_by_kvk(ctx, "99999999")


def test_a_login_too_weak_to_grant_finds_nobody(session, ctx_for, clock):
    """A BSN with its date of birth, or a KvK number, is looked up only at the level of granting
    or requesting a mandate: a weaker login learns nothing, not even that someone exists."""
    someone = f.person(session, born=date(1960, 5, 17))
    office = f.office(session)
    midden = ctx_for(PersonActor(f.person(session).id, clock.now(), loa="midden"))
    with pytest.raises(StepUpRequired) as by_bsn:
        mandates.person_by_bsn_and_birth(midden, someone.bsn, date(1960, 5, 17))
    with pytest.raises(StepUpRequired) as by_kvk:
        mandates.office_by_kvk(midden, office.kvk_number)
    assert {by_bsn.value.needed, by_kvk.value.needed} == {"substantieel"}
    staff = f.staff(session, f.office(session))
    eh2 = ctx_for(staff_actor(session, staff, clock.now(), loa="EH2+"))
    with pytest.raises(StepUpRequired):
        mandates.person_by_bsn_and_birth(eh2, someone.bsn, date(1960, 5, 17))
    eh3 = ctx_for(staff_actor(session, staff, clock.now(), loa="EH3"))
    assert mandates.person_by_bsn_and_birth(eh3, someone.bsn, date(1960, 5, 17)).person_id
