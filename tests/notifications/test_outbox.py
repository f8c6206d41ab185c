"""A delivered message, or a mandate change, writes its notifications in the same transaction;
who gets one is the policy's ``receive_notifications`` (owner and representatives, rule 12)."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from machtigen.afnemers.models import ServiceCategory
from machtigen.authz.actors import AfnemerActor, PersonActor
from machtigen.identity.service import staff_actor
from machtigen.mandates.models import MandateAction, MeasureKind
from machtigen.mandates.service import MandateRequest, Representative, ScopeItem, grant
from machtigen.messages.models import Message
from machtigen.messages.service import NewMessage, deliver
from machtigen.notifications.models import Notification, NotificationKind, RecipientKind
from tests import factories as f
from tests.notifications.conftest import with_email


def _deliver(ctx_for, clock, svc, to, key="k1", **extra):
    afnemer_ctx = ctx_for(AfnemerActor(svc.afnemer_id, clock.now()))
    new = NewMessage(
        bsn=to.bsn, service_id=svc.id, subject="Uw aanslag 2026", body="GEHEIM", **extra
    )
    return deliver(afnemer_ctx, new, idempotency_key=key).message


def _outbox(session, message):
    return session.scalars(select(Notification).where(Notification.message_id == message.id)).all()


@pytest.fixture
def world(session):
    belasting = f.afnemer(session, name="Belastingdienst", legally_required=True)
    financial = f.service(session, belasting, ServiceCategory.FINANCIAL)
    zorg = f.afnemer(session, name="CAK", legally_required=True)
    care = f.service(session, zorg, ServiceCategory.PERSONAL_CARE)
    owner = with_email(session, f.person(session), "owner@example.nl")
    return belasting, financial, care, owner


def test_new_message_notifies_the_owner_without_revealing_content(session, ctx_for, clock, world):
    _belasting, financial, _care, owner = world
    message = _deliver(
        ctx_for,
        clock,
        financial,
        owner,
        action_text="Betaal de aanslag",
        deadline=date(2026, 12, 31),
    )
    [notification] = _outbox(session, message)
    assert notification.kind == NotificationKind.NEW_MESSAGE
    assert notification.recipient_kind == RecipientKind.OWNER
    assert notification.email == "owner@example.nl"
    assert "Belastingdienst" in notification.subject
    assert "Betaal de aanslag" in notification.body
    assert "31-12-2026" in notification.body
    assert financial.name in notification.body
    for secret in ("GEHEIM", "Uw aanslag 2026"):
        assert secret not in notification.subject + notification.body


def test_no_address_no_notification_and_replay_writes_nothing_twice(session, ctx_for, clock, world):
    _belasting, financial, _care, _owner = world
    nobody = f.person(session)
    message = _deliver(ctx_for, clock, financial, nobody)
    assert _outbox(session, message) == []
    owner = world[3]
    first = _deliver(ctx_for, clock, financial, owner, key="same")
    again = _deliver(ctx_for, clock, financial, owner, key="same")
    assert first.id == again.id
    assert len(_outbox(session, first)) == 1


def test_representatives_with_receive_notifications_get_their_clients_notifications(
    session, ctx_for, clock, authz, world
):
    _belasting, financial, care, owner = world
    notified = with_email(session, f.person(session), "gemachtigde@example.nl")
    reader_only = with_email(session, f.person(session), "lezer@example.nl")
    f.mandate(
        session,
        owner,
        person=notified,
        scope=[(financial, MandateAction.RECEIVE_NOTIFICATIONS), (financial, MandateAction.READ)],
    )
    f.mandate(session, owner, person=reader_only, scope=[(financial, MandateAction.READ)])
    office = f.office(session)
    with_address = f.staff(session, office)
    with_address.email = "bewind@example.nl"
    without_address = f.staff(session, office)
    f.measure(session, owner, MeasureKind.BESCHERMINGSBEWIND, office=office)
    expired = with_email(session, f.person(session), "oud@example.nl")
    f.mandate(
        session,
        owner,
        person=expired,
        scope=[(financial, MandateAction.RECEIVE_NOTIFICATIONS)],
        valid_until=clock.now() - timedelta(days=1),
    )

    money = _deliver(ctx_for, clock, financial, owner, key="money")
    health = _deliver(ctx_for, clock, care, owner, key="health")

    assert {n.email for n in _outbox(session, money)} == {
        "owner@example.nl",
        "gemachtigde@example.nl",
        "bewind@example.nl",
    }
    # Bewind is financial: the care message reaches only the owner.
    assert {n.email for n in _outbox(session, health)} == {"owner@example.nl"}

    # The outbox agrees with the policy's own SQL list for every candidate.
    now = clock.now()
    candidates = {
        "owner@example.nl": PersonActor(owner.id, now),
        "gemachtigde@example.nl": PersonActor(notified.id, now),
        "lezer@example.nl": PersonActor(reader_only.id, now),
        "oud@example.nl": PersonActor(expired.id, now),
        "bewind@example.nl": staff_actor(session, with_address, now),
    }
    for message in (money, health):
        notified_addresses = {n.email for n in _outbox(session, message)}
        for address, actor in candidates.items():
            allowed = session.scalars(
                authz.select(actor, "receive_notifications", Message).where(
                    Message.id == message.id
                )
            ).all()
            assert (address in notified_addresses) == bool(allowed), address
    assert without_address.email is None
    rep_mail = next(n for n in _outbox(session, money) if n.email == "gemachtigde@example.nl")
    assert rep_mail.recipient_kind == RecipientKind.PERSON
    assert f"{owner.given_name[0]}. {owner.family_name}" in rep_mail.subject


def test_paper_message_notifies_nobody(session, ctx_for, clock):
    rdw = f.afnemer(session, name="RDW")
    apk = f.service(session, rdw, ServiceCategory.OTHER)
    owner = with_email(session, f.person(session), "p@example.nl")  # not opted in: paper
    message = _deliver(ctx_for, clock, apk, owner)
    assert message.channel == "paper"
    assert _outbox(session, message) == []


def test_a_mandate_change_notifies_the_other_side(session, ctx_for, clock, world):
    _belasting, financial, _care, owner = world
    representative = with_email(session, f.person(session), "rep@example.nl", language="en")
    owner_ctx = ctx_for(PersonActor(owner.id, clock.now(), loa="substantieel"))
    mandate = grant(
        owner_ctx,
        MandateRequest(
            represented_person_id=owner.id,
            representative=Representative(person_id=representative.id),
            scope=(ScopeItem(MandateAction.READ, financial.id),),
            valid_from=clock.now(),
            valid_until=clock.now() + timedelta(days=365),
        ),
    )
    rows = session.scalars(select(Notification).where(Notification.mandate_id == mandate.id)).all()
    assert [(n.email, n.kind) for n in rows] == [
        ("rep@example.nl", NotificationKind.MANDATE_CHANGE)
    ]
    assert "mandate was granted" in rows[0].body
