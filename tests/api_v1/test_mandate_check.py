"""Mandate checks: each basis, each denial reason, the moment asked about, and the batch."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import PersonActor
from machtigen.authz.resources import RepresentationQuery
from machtigen.mandates.models import MandateAction, MandateStatus, MeasureKind
from tests import factories
from tests.factories import T0

URL = "/api/v1/mandate-checks"


def ask(api, headers, rep, person, code="financial", **extra):
    representative = {"bsn": rep.bsn} if hasattr(rep, "bsn") else {"kvkNumber": rep.kvk_number}
    payload = {
        "representative": representative,
        "personBsn": person.bsn,
        "serviceCode": code,
        **extra,
    }
    response = api.post(URL, json=payload, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def world(session, make_afnemer, login):
    client = make_afnemer()
    return {
        "client": client,
        "headers": login(client),
        "fin": client.services["financial"],
        "care": client.services["personal_care"],
        "p": factories.person(session),
        "r": factories.person(session),
    }


def test_a_voluntary_mandate_allows_with_its_id_and_end(api, session, world):
    m = factories.mandate(
        session, world["p"], person=world["r"], scope=[(world["fin"], MandateAction.READ)]
    )
    answer = ask(api, world["headers"], world["r"], world["p"])
    assert answer["allowed"] is True
    assert answer["basis"] == "voluntary_mandate"
    assert answer["mandateId"] == str(m.id)
    assert answer["validUntil"].startswith((T0 + timedelta(days=365)).date().isoformat())
    assert answer["reason"] is None


def test_an_office_mandate_is_checked_by_kvk_number(api, session, world):
    office = factories.office(session)
    factories.mandate(
        session, world["p"], office=office, scope=[(world["fin"], MandateAction.READ)]
    )
    assert ask(api, world["headers"], office, world["p"])["allowed"] is True
    assert ask(api, world["headers"], world["r"], world["p"])["reason"] == "no_representation"


@pytest.mark.parametrize(
    ("kind", "code", "allowed", "reason"),
    [
        (MeasureKind.BESCHERMINGSBEWIND, "financial", True, None),
        (MeasureKind.BESCHERMINGSBEWIND, "personal_care", False, "measure_does_not_cover_service"),
        (MeasureKind.WSNP, "financial", True, None),
        (MeasureKind.FAILLISSEMENT, "personal_care", False, "measure_does_not_cover_service"),
        (MeasureKind.MENTORSCHAP, "personal_care", True, None),
        (MeasureKind.MENTORSCHAP, "financial", False, "measure_does_not_cover_service"),
        (MeasureKind.CURATELE, "financial", True, None),
        (MeasureKind.CURATELE, "personal_care", True, None),
    ],
)
def test_a_legal_measure_allows_by_the_categories_it_covers(
    api, session, world, kind, code, allowed, reason
):
    m = factories.measure(session, world["p"], kind, person=world["r"])
    answer = ask(api, world["headers"], world["r"], world["p"], code=code)
    assert (answer["allowed"], answer["reason"]) == (allowed, reason)
    if allowed:
        assert answer["basis"] == "legal_measure"
        assert answer["measureKind"] == kind.value
        assert answer["measureRegisterId"] == m.register_id
        assert answer["validUntil"] is None


def test_an_office_appointed_by_the_court_is_checked_by_kvk_number(api, session, world):
    office = factories.office(session)
    factories.measure(session, world["p"], MeasureKind.BESCHERMINGSBEWIND, office=office)
    answer = ask(api, world["headers"], office, world["p"])
    assert (answer["allowed"], answer["basis"]) == (True, "legal_measure")


def test_denial_reasons_of_voluntary_mandates(api, session, world):
    p, fin, care = world["p"], world["fin"], world["care"]
    h = world["headers"]

    def rep_with(**kwargs):
        rep = factories.person(session)
        kwargs.setdefault("scope", [(fin, MandateAction.READ)])
        factories.mandate(session, p, person=rep, **kwargs)
        return rep

    cases = {
        "outside_scope": rep_with(scope=[(care, MandateAction.READ)]),
        "mandate_not_accepted": rep_with(status=MandateStatus.REQUESTED),
        "mandate_revoked": rep_with(status=MandateStatus.REVOKED),
        "mandate_expired": rep_with(
            valid_from=T0 - timedelta(days=60), valid_until=T0 - timedelta(days=1)
        ),
        "mandate_not_yet_valid": rep_with(valid_from=T0 + timedelta(days=1)),
    }
    for reason, rep in cases.items():
        answer = ask(api, h, rep, p)
        assert (answer["allowed"], answer["reason"]) == (False, reason), reason
        assert answer["basis"] is None
    other_action = rep_with(scope=[(fin, MandateAction.MANAGE_FOLDERS)])
    assert ask(api, h, other_action, p)["reason"] == "outside_scope"
    assert ask(api, h, other_action, p, action="manage_folders")["allowed"] is True


def test_a_scope_lapsed_by_a_measure_is_superseded(api, session, world):
    p, r, fin = world["p"], world["r"], world["fin"]
    m = factories.mandate(session, p, person=r, scope=[(fin, MandateAction.READ)])
    measure = factories.measure(session, p, MeasureKind.CURATELE, person=factories.person(session))
    for scope in session.scalars(
        select(factories.MandateScope).where(factories.MandateScope.mandate_id == m.id)
    ):
        scope.lapsed_by_measure_id = measure.id
    session.flush()
    answer = ask(api, world["headers"], r, p)
    assert (answer["allowed"], answer["reason"]) == (False, "superseded_by_legal_measure")


def test_denial_reasons_of_measures_and_unknowns(api, session, world):
    p, h = world["p"], world["headers"]
    ended = factories.person(session)
    factories.measure(
        session, p, MeasureKind.CURATELE, person=ended, ends_at=T0 - timedelta(days=1)
    )
    future = factories.person(session)
    factories.measure(
        session, p, MeasureKind.CURATELE, person=future, starts_at=T0 + timedelta(days=5)
    )
    assert ask(api, h, ended, p)["reason"] == "measure_ended"
    assert ask(api, h, future, p)["reason"] == "measure_not_yet_in_force"
    stranger = factories.Person(
        bsn=factories.make_bsn(987654), given_name="x", family_name="y", date_of_birth=T0.date()
    )
    assert ask(api, h, stranger, p)["reason"] == "representative_unknown"
    assert ask(api, h, world["r"], stranger)["reason"] == "person_unknown"
    assert ask(api, h, world["r"], p)["reason"] == "no_representation"


def test_the_moment_asked_about_decides(api, session, world):
    p, r, fin = world["p"], world["r"], world["fin"]
    factories.mandate(
        session, p, person=r, scope=[(fin, MandateAction.READ)], valid_until=T0 + timedelta(days=10)
    )
    h = world["headers"]
    assert ask(api, h, r, p, at=(T0 + timedelta(days=9)).isoformat())["allowed"] is True
    late = ask(api, h, r, p, at=(T0 + timedelta(days=10)).isoformat())
    assert (late["allowed"], late["reason"]) == (False, "mandate_expired")
    early = ask(api, h, r, p, at=(T0 - timedelta(days=31)).isoformat())
    assert early["reason"] == "mandate_not_yet_valid"
    naive = api.post(
        URL,
        json={
            "representative": {"bsn": r.bsn},
            "personBsn": p.bsn,
            "serviceCode": "financial",
            "at": "2026-11-23T10:00:00",
        },
        headers=h,
    )
    assert naive.status_code == 422


def test_each_check_is_in_the_persons_audit_trail(api, session, world):
    ask(api, world["headers"], world["r"], world["p"])
    events = session.scalars(
        select(AuditEvent).where(
            AuditEvent.subject_person_id == world["p"].id, AuditEvent.action == "mandate.checked"
        )
    ).all()
    assert len(events) == 1
    assert events[0].actor_kind == "afnemer"
    assert world["p"].bsn not in str(events[0].detail)


def test_read_personal_data_is_not_a_service_action(session, world, authz):
    p, r, care = world["p"], world["r"], world["care"]
    factories.measure(session, p, MeasureKind.MENTORSCHAP, person=r)
    actor = PersonActor(r.id, T0)
    query = RepresentationQuery(p.id, care.id, care.afnemer_id, "personal_care", "read")
    assert authz.is_allowed(session, actor, "act", query)
    personal = RepresentationQuery(
        p.id, care.id, care.afnemer_id, "personal_care", "read_personal_data"
    )
    assert not authz.is_allowed(session, actor, "act", personal)


def test_the_batch_answers_in_order_and_is_bounded(api, session, world):
    p, r, fin = world["p"], world["r"], world["fin"]
    factories.mandate(session, p, person=r, scope=[(fin, MandateAction.READ)])
    one = {"representative": {"bsn": r.bsn}, "personBsn": p.bsn, "serviceCode": "financial"}
    two = {**one, "serviceCode": "personal_care"}
    response = api.post(f"{URL}/_batch", json={"checks": [one, two, one]}, headers=world["headers"])
    assert response.status_code == 200, response.text
    assert [a["allowed"] for a in response.json()["results"]] == [True, False, True]
    too_many = api.post(f"{URL}/_batch", json={"checks": [one] * 101}, headers=world["headers"])
    assert too_many.status_code == 422
    assert too_many.headers["content-type"] == "application/problem+json"
    empty = api.post(f"{URL}/_batch", json={"checks": []}, headers=world["headers"])
    assert empty.status_code == 422


def test_a_representative_is_a_person_or_an_office_not_both(api, world):
    payload = {
        "representative": {"bsn": world["r"].bsn, "kvkNumber": "12345678"},
        "personBsn": world["p"].bsn,
        "serviceCode": "financial",
    }
    assert api.post(URL, json=payload, headers=world["headers"]).status_code == 422


def test_unknown_service_of_this_afnemer_is_404(api, session, world, make_afnemer):
    other = make_afnemer(categories=[ServiceCategory.OTHER])
    payload = {
        "representative": {"bsn": world["r"].bsn},
        "personBsn": world["p"].bsn,
        "serviceCode": "other",
    }
    response = api.post(URL, json=payload, headers=world["headers"])
    assert response.status_code == 404
    assert other.services["other"].code == "other"
