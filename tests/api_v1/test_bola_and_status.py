"""Message status and the representatives list, and BOLA: afnemer A never sees B's
messages, statuses or mandates, whatever ids or BSNs it sends."""

from datetime import timedelta
from uuid import uuid4

from sqlalchemy import select

from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import PersonActor
from machtigen.consents.models import Consent
from machtigen.mandates.models import MandateAction, MeasureKind
from machtigen.messages.models import MessageRead
from tests import factories
from tests.factories import T0
from tests.responses import comparable


def deliver(api, headers, person, key="k"):
    payload = {"bsn": person.bsn, "serviceCode": "financial", "subject": "s", "body": "b"}
    response = api.post(
        "/api/v1/messages", json=payload, headers={**headers, "Idempotency-Key": key}
    )
    assert response.status_code == 201, response.text
    return response.json()["messageId"]


def status(api, headers, message_id):
    return api.get(f"/api/v1/messages/{message_id}/status", headers=headers)


def test_status_of_a_delivered_message_without_read_state(api, session, make_afnemer, login):
    client = make_afnemer()
    h = login(client)
    person = factories.person(session)
    message_id = deliver(api, h, person)
    response = status(api, h, message_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["messageId"] == message_id
    assert (body["channel"], body["channelReason"]) == ("paper", "not_opted_in")
    assert body["read"] is None
    assert body["notification"] == {
        "status": "none",
        "lastAttemptAt": None,
        "personNotReached": None,
    }


def _read_by_owner(session, message_id, person):
    session.add(
        MessageRead(message_id=message_id, reader_kind="person", reader_id=person.id, read_at=T0)
    )
    session.flush()


def test_read_state_only_with_a_legal_basis_or_consent(api, session, make_afnemer, login):
    from uuid import UUID

    person = factories.person(session)
    plain, legal, consented = (
        make_afnemer(),
        make_afnemer(read_state_legal_basis=True),
        make_afnemer(),
    )
    for client in (plain, legal, consented):
        session.add(
            Consent(
                person_id=person.id,
                afnemer_id=client.afnemer.id,
                opted_in=True,
                share_read_state=client is consented,
                changed_at=T0 - timedelta(days=30),
                effective_at=T0 - timedelta(days=30),
            )
        )
    session.flush()
    reads = {}
    for client in (plain, legal, consented):
        h = login(client)
        message_id = deliver(api, h, person)
        assert status(api, h, message_id).json()["read"] in (None, False)
        _read_by_owner(session, UUID(message_id), person)
        reads[client.client_id] = status(api, h, message_id).json()["read"]
    assert reads == {plain.client_id: None, legal.client_id: True, consented.client_id: True}
    disclosed = session.scalars(
        select(AuditEvent).where(
            AuditEvent.subject_person_id == person.id,
            AuditEvent.action == "message.read_state_disclosed",
        )
    ).all()
    assert len(disclosed) == 4


def test_bola_statuses_and_messages_of_another_afnemer(api, session, make_afnemer, login):
    a, b = make_afnemer(read_state_legal_basis=True), make_afnemer(read_state_legal_basis=True)
    ha, hb = login(a), login(b)
    person = factories.person(session)
    a_message = deliver(api, ha, person, key="same")
    b_message = deliver(api, hb, person, key="same")
    assert status(api, ha, a_message).status_code == 200
    for message_id in (b_message, str(uuid4()), "00000000-0000-0000-0000-000000000000"):
        response = status(api, ha, message_id)
        assert response.status_code == 404, message_id
        assert comparable(response) == comparable(status(api, ha, str(uuid4())))
    assert status(api, ha, "not-a-uuid").status_code == 422
    # A replay of B's key by A is A's own delivery, never B's message.
    replay = api.post(
        "/api/v1/messages",
        json={"bsn": person.bsn, "serviceCode": "financial", "subject": "s", "body": "b"},
        headers={**ha, "Idempotency-Key": "same"},
    )
    assert replay.json()["messageId"] == a_message


def test_bola_mandates_of_another_afnemer(api, session, make_afnemer, login):
    a, b = make_afnemer(), make_afnemer()
    ha = login(a)
    person, rep = factories.person(session), factories.person(session)
    factories.mandate(
        session,
        person,
        person=rep,
        scope=[
            (b.services["financial"], MandateAction.READ),
            (a.services["personal_care"], MandateAction.MANAGE_FOLDERS),
        ],
    )
    only_b = factories.person(session)
    factories.mandate(
        session, person, person=only_b, scope=[(b.services["financial"], MandateAction.READ)]
    )
    listing = api.post(
        "/api/v1/representatives/_search", json={"personBsn": person.bsn}, headers=ha
    )
    assert listing.status_code == 200, listing.text
    items = listing.json()["items"]
    assert [i["representativeBsn"] for i in items] == [rep.bsn]
    assert items[0]["serviceCodes"] == ["personal_care"]
    assert items[0]["actions"] == ["manage_folders"]
    # A cannot ask about B's services by code: B's codes are not A's services.
    check = api.post(
        "/api/v1/mandate-checks",
        json={
            "representative": {"bsn": only_b.bsn},
            "personBsn": person.bsn,
            "serviceCode": "financial",
        },
        headers=ha,
    )
    assert check.json()["allowed"] is False
    assert check.json()["mandateId"] is None


def test_representatives_include_measures_covering_own_services_and_page(
    api, session, make_afnemer, login
):
    from machtigen.afnemers.models import ServiceCategory

    care_only = make_afnemer(categories=[ServiceCategory.PERSONAL_CARE])
    h = login(care_only)
    person = factories.person(session)
    bewind = factories.person(session)
    mentor = factories.person(session)
    factories.measure(session, person, MeasureKind.BESCHERMINGSBEWIND, person=bewind)
    m = factories.measure(session, person, MeasureKind.MENTORSCHAP, person=mentor)
    factories.measure(
        session,
        person,
        MeasureKind.CURATELE,
        person=factories.person(session),
        ends_at=T0 - timedelta(days=1),
    )
    page = api.post(
        "/api/v1/representatives/_search", json={"personBsn": person.bsn, "pageSize": 1}, headers=h
    ).json()
    assert [i["measureRegisterId"] for i in page["items"]] == [m.register_id]
    assert page["items"][0]["representativeBsn"] == mentor.bsn
    assert page["hasNext"] is False
    too_big = api.post(
        "/api/v1/representatives/_search",
        json={"personBsn": person.bsn, "pageSize": 1000},
        headers=h,
    )
    assert too_big.status_code == 422


def test_the_policy_never_lets_an_afnemer_act_for_a_person(session, make_afnemer, authz):
    # The representative actor is built from the registered person, never from the afnemer.
    client = make_afnemer()
    person = factories.person(session)
    assert not authz.is_allowed(session, PersonActor(uuid4(), T0), "read", person)
    assert client.afnemer is not None


def test_notification_state_and_not_reached_only_where_read_state_may_be_known(
    api, session, make_afnemer, login
):
    from uuid import UUID

    from machtigen.notifications.models import (
        MessageFollowUp,
        Notification,
        NotificationKind,
        NotificationStatus,
        RecipientKind,
    )

    person = factories.person(session)
    plain, legal = make_afnemer(), make_afnemer(read_state_legal_basis=True)
    answers = {}
    for client in (plain, legal):
        h = login(client)
        message_id = UUID(deliver(api, h, person, key=f"n-{client.client_id}"))
        session.add(
            Notification(
                kind=NotificationKind.NEW_MESSAGE,
                dedup_key=f"test-{message_id}",
                person_id=person.id,
                message_id=message_id,
                recipient_kind=RecipientKind.OWNER,
                recipient_id=person.id,
                email="owner@example.org",
                subject="s",
                body="b",
                status=NotificationStatus.BOUNCED,
                available_at=T0,
                attempts=3,
                created_at=T0,
            )
        )
        session.add(MessageFollowUp(message_id=message_id, not_reached_at=T0 + timedelta(days=1)))
        session.flush()
        answers[client.client_id] = status(api, h, message_id).json()["notification"]
    assert answers[plain.client_id]["status"] == "bounced"
    assert answers[plain.client_id]["personNotReached"] is None
    assert answers[legal.client_id]["status"] == "bounced"
    assert answers[legal.client_id]["personNotReached"] is True
