"""Delivering through the API: every outcome, idempotent replays, 409 on a reused key."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from machtigen.accounts.models import Account, AccountState
from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.models import AuditEvent
from machtigen.consents.models import Consent
from machtigen.messages.models import Message
from tests import factories
from tests.factories import T0


def opt_in(session, person, afnemer):
    session.add(
        Consent(
            person_id=person.id,
            afnemer_id=afnemer.id,
            opted_in=True,
            changed_at=T0 - timedelta(days=30),
            effective_at=T0 - timedelta(days=30),
        )
    )
    session.flush()


def body(person, code="financial", **changes):
    return {
        "bsn": person.bsn,
        "serviceCode": code,
        "subject": "Aanslag",
        "body": "Tekst",
        **changes,
    }


@pytest.mark.parametrize(
    ("legally_required", "setup", "channel", "reason"),
    [
        (False, "opted_in", "digital", "opted_in"),
        (False, "nothing", "paper", "not_opted_in"),
        (False, "paper_switch", "paper", "paper_switch"),
        (False, "deactivated", "paper", "deactivated"),
        (False, "casco", "paper", "never_activated"),
        (False, "no_account", "paper", "no_account"),
        (True, "nothing", "digital", "legally_required"),
        (True, "casco", "both", "never_activated"),
        (True, "deactivated", "both", "deactivated"),
        (True, "paper_switch", "both", "paper_switch"),
        (True, "non_resident", "both", "exempted_group"),
        (True, "under_bewind", "both", "exempted_group"),
    ],
)
def test_each_delivery_outcome(
    api, session, make_afnemer, login, legally_required, setup, channel, reason
):
    client = make_afnemer(legally_required=legally_required)
    state = {
        "casco": AccountState.CASCO,
        "deactivated": AccountState.DEACTIVATED,
        "no_account": None,
    }.get(setup, AccountState.ACTIVATED)
    person = factories.person(session, state=state, non_resident=setup == "non_resident")
    if setup == "opted_in":
        opt_in(session, person, client.afnemer)
    if setup == "paper_switch":
        session.get(Account, person.id).paper_only = True
        session.flush()
    if setup == "under_bewind":
        factories.measure(
            session,
            person,
            factories.MeasureKind.BESCHERMINGSBEWIND,
            person=factories.person(session),
        )
    response = api.post(
        "/api/v1/messages", json=body(person), headers={**login(client), "Idempotency-Key": "k-1"}
    )
    assert response.status_code == 201, response.text
    answer = response.json()
    assert (answer["channel"], answer["reason"], answer["replayed"]) == (channel, reason, False)
    assert set(answer) == {"messageId", "channel", "reason", "deliveredAt", "replayed"}
    message = session.get(Message, factories.UUID(answer["messageId"]))
    assert message.afnemer_id == client.afnemer.id
    event = session.scalars(select(AuditEvent).where(AuditEvent.object_id == str(message.id))).one()
    assert event.action == "message.delivered" and event.actor_kind == "afnemer"


def test_a_retry_with_the_same_key_and_body_gets_the_same_answer_and_one_message(
    api, session, make_afnemer, login
):
    client = make_afnemer()
    person = factories.person(session)
    opt_in(session, person, client.afnemer)
    headers = {**login(client), "Idempotency-Key": "retry-me"}
    first = api.post("/api/v1/messages", json=body(person, deadline="2026-12-31"), headers=headers)
    again = api.post("/api/v1/messages", json=body(person, deadline="2026-12-31"), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "replayed": True}
    count = session.scalar(
        select(func.count()).select_from(Message).where(Message.afnemer_id == client.afnemer.id)
    )
    assert count == 1


def test_the_same_key_with_another_body_is_409(api, session, make_afnemer, login):
    client = make_afnemer()
    person = factories.person(session)
    headers = {**login(client), "Idempotency-Key": "once"}
    assert api.post("/api/v1/messages", json=body(person), headers=headers).status_code == 201
    other = api.post("/api/v1/messages", json=body(person, subject="Anders"), headers=headers)
    assert other.status_code == 409
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["title"] == "Conflict"


def test_keys_are_per_afnemer(api, session, make_afnemer, login):
    a, b = make_afnemer(), make_afnemer()
    person = factories.person(session)
    for client in (a, b):
        response = api.post(
            "/api/v1/messages", json=body(person), headers={**login(client), "Idempotency-Key": "k"}
        )
        assert response.status_code == 201


def test_delivery_needs_an_idempotency_key_and_a_known_person(api, session, make_afnemer, login):
    client = make_afnemer()
    person = factories.person(session)
    no_key = api.post("/api/v1/messages", json=body(person), headers=login(client))
    assert no_key.status_code == 422
    assert no_key.headers["content-type"] == "application/problem+json"
    unknown = api.post(
        "/api/v1/messages",
        json=body(person, bsn=factories.make_bsn(424242)),
        headers={**login(client), "Idempotency-Key": "u"},
    )
    assert unknown.status_code == 422
    invalid_bsn = api.post(
        "/api/v1/messages",
        json=body(person, bsn="123456789"),
        headers={**login(client), "Idempotency-Key": "v"},
    )
    assert invalid_bsn.status_code == 422


def test_an_afnemer_cannot_deliver_for_another_afnemers_service(api, session, make_afnemer, login):
    a, b = make_afnemer(), make_afnemer(categories=[ServiceCategory.OTHER])
    person = factories.person(session)
    response = api.post(
        "/api/v1/messages",
        json=body(person, code="other"),
        headers={**login(a), "Idempotency-Key": "x"},
    )
    assert response.status_code == 404
    assert b.services["other"].afnemer_id == b.afnemer.id


def test_unknown_fields_and_snake_case_are_refused(api, session, make_afnemer, login):
    client = make_afnemer()
    person = factories.person(session)
    payload = {"bsn": person.bsn, "service_code": "financial", "subject": "s", "body": "b"}
    response = api.post(
        "/api/v1/messages", json=payload, headers={**login(client), "Idempotency-Key": "s"}
    )
    assert response.status_code == 422
    assert date(2026, 1, 1)
