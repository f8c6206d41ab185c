"""Issue 12 §1: crafted input gets a 4xx problem that names the field, and nothing is stored."""

import pytest
from sqlalchemy import func, select

from machtigen.audit.models import AuditEvent
from machtigen.messages.models import Message
from tests import factories


def assert_refused(response, field, status=422):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    names = [param["name"] for param in response.json()["invalidParams"]]
    assert any(name.endswith(field) for name in names), names


def counts(session):
    return (
        session.scalar(select(func.count()).select_from(Message)),
        session.scalar(select(func.count()).select_from(AuditEvent)),
    )


@pytest.fixture
def afnemer(api, session, make_afnemer, login):
    client = make_afnemer()
    return {"headers": login(client), "person": factories.person(session)}


@pytest.mark.parametrize("field", ["serviceCode", "subject", "body", "actionText"])
def test_a_nul_in_a_delivered_text_is_refused_and_nothing_is_stored(api, session, afnemer, field):
    payload = {
        "bsn": afnemer["person"].bsn,
        "serviceCode": "financial",
        "subject": "Aanslag",
        "body": "Tekst",
        "actionText": "Betalen",
    }
    payload[field] = payload[field][:2] + "\u0000" + payload[field][2:]
    before = counts(session)
    response = api.post(
        "/api/v1/messages",
        json=payload,
        headers={**afnemer["headers"], "Idempotency-Key": f"nul-{field}"},
    )
    assert_refused(response, field)
    assert "NUL" in response.text
    assert counts(session) == before


def test_a_nul_in_a_mandate_checks_service_code_is_refused(api, session, afnemer):
    payload = {
        "representative": {"bsn": factories.person(session).bsn},
        "personBsn": afnemer["person"].bsn,
        "serviceCode": "fin\u0000ancial",
    }
    before = counts(session)
    response = api.post("/api/v1/mandate-checks", json=payload, headers=afnemer["headers"])
    assert_refused(response, "serviceCode")
    assert counts(session) == before


@pytest.mark.parametrize("after", ["9223372036854775808", "-1", "1" + "0" * 40])
def test_an_event_sequence_beyond_bigint_is_refused(api, afnemer, after):
    response = api.get(f"/api/v1/events?after={after}", headers=afnemer["headers"])
    assert_refused(response, "after")


def test_the_largest_bigint_is_a_valid_sequence(api, afnemer):
    response = api.get("/api/v1/events?after=9223372036854775807", headers=afnemer["headers"])
    assert response.status_code == 200, response.text
    assert response.json() == {"events": [], "lastSequence": 9223372036854775807}


@pytest.mark.parametrize(
    "at",
    [
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "1899-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
        "2026-01-01T00:00:00",
        0,
        1700000000,
    ],
)
def test_a_moment_outside_1900_2200_without_timezone_or_as_a_number_is_refused(
    api, session, afnemer, at
):
    payload = {
        "representative": {"bsn": factories.person(session).bsn},
        "personBsn": afnemer["person"].bsn,
        "serviceCode": "financial",
        "at": at,
    }
    before = counts(session)
    response = api.post("/api/v1/mandate-checks", json=payload, headers=afnemer["headers"])
    assert_refused(response, "at")
    assert counts(session) == before


@pytest.mark.parametrize("deadline", ["0001-01-01", "9999-12-31", 0])
def test_a_deadline_outside_1900_2200_or_as_a_number_is_refused(api, session, afnemer, deadline):
    payload = {
        "bsn": afnemer["person"].bsn,
        "serviceCode": "financial",
        "subject": "Aanslag",
        "body": "Tekst",
        "deadline": deadline,
    }
    response = api.post(
        "/api/v1/messages",
        json=payload,
        headers={**afnemer["headers"], "Idempotency-Key": f"deadline-{deadline}"},
    )
    assert_refused(response, "deadline")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"registerId": "r\u00001"}, "registerId"),
        ({"endsAt": 0}, "endsAt"),
        ({"startsAt": "0001-01-01T00:00:00+14:00"}, "startsAt"),
        ({"subjectBsn": 123456782}, "subjectBsn"),
    ],
)
def test_the_court_register_feed_refuses_crafted_values(
    api, session, make_register, login, changes, field
):
    headers = login(make_register())
    item = {"registerId": "r-1", "operation": "end", **changes}
    before = counts(session)
    response = api.post("/api/v1/court-measures/_batch", json={"measures": [item]}, headers=headers)
    assert_refused(response, field)
    assert counts(session) == before
