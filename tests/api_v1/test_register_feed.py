"""The court-register feed: start, change, end in bulk; idempotent per register id; an end
ends access at once; only the register client may post."""

from datetime import timedelta

from sqlalchemy import select

from machtigen.mandates.models import LegalMeasure
from tests import factories
from tests.factories import T0

FEED = "/api/v1/court-measures/_batch"


def item(register_id, subject, rep, **extra):
    return {
        "registerId": register_id,
        "operation": "start",
        "subjectBsn": subject.bsn,
        "kind": "beschermingsbewind",
        "representative": {"bsn": rep.bsn},
        "startsAt": (T0 - timedelta(days=1)).isoformat(),
        **extra,
    }


def check(api, headers, rep, person):
    payload = {
        "representative": {"bsn": rep.bsn},
        "personBsn": person.bsn,
        "serviceCode": "financial",
    }
    return api.post("/api/v1/mandate-checks", json=payload, headers=headers).json()


def test_start_replay_change_and_end(api, session, make_register, make_afnemer, login, clock):
    register = login(make_register())
    afnemer = login(make_afnemer())
    person, rep, other_rep = (factories.person(session) for _ in range(3))
    started = api.post(FEED, json={"measures": [item("R-1", person, rep)]}, headers=register)
    assert started.status_code == 200, started.text
    assert started.json()["results"] == [
        {"registerId": "R-1", "outcome": "recorded", "detail": None}
    ]
    assert check(api, afnemer, rep, person)["allowed"] is True
    replay = api.post(FEED, json={"measures": [item("R-1", person, rep)]}, headers=register)
    assert replay.json()["results"][0]["outcome"] == "unchanged"
    assert (
        len(session.scalars(select(LegalMeasure).where(LegalMeasure.register_id == "R-1")).all())
        == 1
    )
    changed = api.post(
        FEED,
        json={"measures": [item("R-1", person, other_rep, operation="change")]},
        headers=register,
    )
    assert changed.json()["results"][0]["outcome"] == "recorded"
    assert check(api, afnemer, rep, person)["allowed"] is False
    assert check(api, afnemer, other_rep, person)["allowed"] is True
    ended = api.post(
        FEED, json={"measures": [{"registerId": "R-1", "operation": "end"}]}, headers=register
    )
    assert ended.json()["results"][0]["outcome"] == "ended"
    clock.advance(timedelta(seconds=1))
    assert check(api, afnemer, other_rep, person)["reason"] == "measure_ended"
    ended_at = session.scalars(
        select(LegalMeasure.ends_at).where(LegalMeasure.register_id == "R-1")
    ).one()
    again = api.post(
        FEED, json={"measures": [{"registerId": "R-1", "operation": "end"}]}, headers=register
    )
    assert again.json()["results"][0]["outcome"] == "unchanged"
    assert (
        session.scalars(select(LegalMeasure.ends_at).where(LegalMeasure.register_id == "R-1")).one()
        == ended_at
    )


def test_a_bad_item_is_rejected_and_the_others_count(api, session, make_register, login):
    register = login(make_register())
    person, rep = factories.person(session), factories.person(session)
    unknown = factories.Person(
        bsn=factories.make_bsn(55555), given_name="a", family_name="b", date_of_birth=T0.date()
    )
    response = api.post(
        FEED,
        json={
            "measures": [
                item("R-2", unknown, rep),
                item("R-3", person, rep),
                {"registerId": "R-9", "operation": "end"},
            ]
        },
        headers=register,
    )
    outcomes = [r["outcome"] for r in response.json()["results"]]
    assert outcomes == ["rejected", "recorded", "rejected"]
    twice = [item("R-4", person, rep), item("R-5", rep, person), item("R-4", person, rep)]
    duplicate = api.post(FEED, json={"measures": twice}, headers=register)
    assert duplicate.status_code == 200, duplicate.text
    results = duplicate.json()["results"]
    assert [r["outcome"] for r in results] == ["rejected", "recorded", "rejected"]
    assert "more than once" in results[0]["detail"]


def test_only_the_register_feeds_and_it_cannot_use_afnemer_endpoints(
    api, session, make_register, make_afnemer, login
):
    afnemer, register = login(make_afnemer()), login(make_register())
    person, rep = factories.person(session), factories.person(session)
    assert (
        api.post(FEED, json={"measures": [item("R-5", person, rep)]}, headers=afnemer).status_code
        == 403
    )
    assert check_status(api, register) == 403


def check_status(api, headers):
    payload = {"representative": {"bsn": "111222333"}, "personBsn": "111222333", "serviceCode": "x"}
    return api.post("/api/v1/mandate-checks", json=payload, headers=headers).status_code
