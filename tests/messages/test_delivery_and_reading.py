"""Delivering idempotently, the mailbox list, opening with per-reader read state, filing."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from machtigen.accounts import service as accounts
from machtigen.afnemers.models import ServiceCategory
from machtigen.audit.models import AuditEvent
from machtigen.authz.actors import AfnemerActor, PersonActor
from machtigen.consents.models import Channel
from machtigen.errors import NotFound
from machtigen.identity.service import staff_actor
from machtigen.mandates.models import MandateAction, MeasureKind
from machtigen.messages import service as messages
from machtigen.messages.errors import FolderMismatch, IdempotencyKeyReused, UnknownRecipient
from machtigen.messages.models import Message, MessageRead
from tests import factories as f


@pytest.fixture
def tax(session):
    return f.afnemer(session, legally_required=True)


@pytest.fixture
def income_tax(session, tax):
    return f.service(session, tax, ServiceCategory.FINANCIAL)


def new_message(person, service, subject="Aanslag 2026"):
    return messages.NewMessage(
        bsn=person.bsn,
        service_id=service.id,
        subject=subject,
        body="...",
        action_text="Betaal",
        deadline=date(2026, 12, 31),
    )


def test_a_retry_with_the_same_key_returns_the_same_message(
    session, ctx_for, clock, tax, income_tax
):
    person = f.person(session)
    ctx = ctx_for(AfnemerActor(tax.id, clock.now()))
    first = messages.deliver(ctx, new_message(person, income_tax), idempotency_key="k-1")
    again = messages.deliver(ctx, new_message(person, income_tax), idempotency_key="k-1")
    assert (first.replayed, again.replayed) == (False, True)
    assert first.message.id == again.message.id
    assert (
        session.scalar(
            select(func.count()).select_from(Message).where(Message.afnemer_id == tax.id)
        )
        == 1
    )
    with pytest.raises(IdempotencyKeyReused):
        messages.deliver(
            ctx, new_message(person, income_tax, subject="Other"), idempotency_key="k-1"
        )


def test_keys_belong_to_one_afnemer(session, ctx_for, clock, tax, income_tax):
    person = f.person(session)
    rdw = f.afnemer(session)
    apk = f.service(session, rdw, ServiceCategory.OTHER)
    messages.deliver(
        ctx_for(AfnemerActor(tax.id, clock.now())),
        new_message(person, income_tax),
        idempotency_key="same",
    )
    other = messages.deliver(
        ctx_for(AfnemerActor(rdw.id, clock.now())), new_message(person, apk), idempotency_key="same"
    )
    assert not other.replayed


def test_an_afnemer_delivers_only_for_its_own_services(session, ctx_for, clock, income_tax):
    person = f.person(session)
    intruder = f.afnemer(session)
    with pytest.raises(NotFound):
        messages.deliver(
            ctx_for(AfnemerActor(intruder.id, clock.now())),
            new_message(person, income_tax),
            idempotency_key="x",
        )


def test_an_unknown_bsn_is_a_clear_error(session, ctx_for, clock, tax, income_tax):
    ghost = messages.NewMessage(
        bsn=f.make_bsn(424242), service_id=income_tax.id, subject="s", body="b"
    )
    with pytest.raises(UnknownRecipient):
        messages.deliver(ctx_for(AfnemerActor(tax.id, clock.now())), ghost, idempotency_key="g")


def test_paper_only_messages_never_show_in_the_mailbox(session, ctx_for, clock, income_tax):
    person = f.person(session)
    f.message(session, person, income_tax, channel=Channel.PAPER)
    both = f.message(session, person, income_tax, channel=Channel.BOTH)
    listed = messages.readable_messages(ctx_for(PersonActor(person.id, clock.now(), loa="midden")))
    assert [m.id for m in listed] == [both.id]


def test_unread_first_and_read_state_per_reader(session, ctx_for, clock, income_tax):
    person, bewindvoerder = f.person(session), f.person(session)
    f.measure(session, person, MeasureKind.BESCHERMINGSBEWIND, person=bewindvoerder)
    older = f.message(session, person, income_tax, received_at=clock.now() - timedelta(days=3))
    newer = f.message(session, person, income_tax, received_at=clock.now() - timedelta(days=1))
    owner_ctx = ctx_for(PersonActor(person.id, clock.now(), loa="midden"))
    rep_ctx = ctx_for(PersonActor(bewindvoerder.id, clock.now(), loa="midden"))
    messages.open_message(owner_ctx, newer.id)
    assert [m.id for m in messages.readable_messages(owner_ctx)] == [older.id, newer.id]
    assert [m.id for m in messages.readable_messages(rep_ctx)] == [newer.id, older.id]
    assert messages.is_read_by_owner(owner_ctx, newer)
    messages.open_message(rep_ctx, older.id)
    assert not messages.is_read_by_owner(owner_ctx, older)
    readers = session.scalars(
        select(MessageRead.reader_id).where(MessageRead.message_id == older.id)
    ).all()
    assert readers == [bewindvoerder.id]


def test_opening_is_audited_with_who_read_for_whom(session, ctx_for, clock, income_tax):
    person = f.person(session)
    office = f.office(session)
    staff = f.staff(session, office)
    f.measure(session, person, MeasureKind.CURATELE, office=office)
    message = f.message(session, person, income_tax)
    messages.open_message(ctx_for(staff_actor(session, staff, clock.now(), loa="EH3")), message.id)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "message.opened")).one()
    assert (event.actor_kind, event.actor_id, event.subject_person_id) == (
        "staff",
        str(staff.id),
        person.id,
    )
    assert (event.means, event.loa, event.ip, event.object_id) == (
        "eherkenning",
        "EH3",
        "192.0.2.10",
        str(message.id),
    )


def test_filing_needs_a_folder_of_the_same_mailbox(session, ctx_for, clock, income_tax):
    person, other = f.person(session), f.person(session)
    message = f.message(session, person, income_tax)
    ctx = ctx_for(PersonActor(person.id, clock.now(), loa="midden"))
    folder = accounts.create_folder(ctx, person.id, "Belasting")
    foreign = accounts.create_folder(
        ctx_for(PersonActor(other.id, clock.now(), loa="midden")), other.id, "Belasting"
    )
    with pytest.raises(FolderMismatch):
        messages.file_in_folder(ctx, message.id, foreign.id)
    messages.file_in_folder(ctx, message.id, folder.id)
    assert [m.id for m in messages.readable_messages(ctx, folder_id=folder.id)] == [message.id]
    messages.set_archived(ctx, message.id, True)
    assert messages.readable_messages(ctx) == []
    assert [m.id for m in messages.readable_messages(ctx, archived=True)] == [message.id]


def test_a_reader_without_manage_folders_cannot_file(session, ctx_for, clock, income_tax):
    person, rep = f.person(session), f.person(session)
    f.mandate(session, person, person=rep, scope=[(income_tax, MandateAction.READ)])
    message = f.message(session, person, income_tax)
    with pytest.raises(Exception, match="may not manage folders"):
        messages.set_archived(
            ctx_for(PersonActor(rep.id, clock.now(), loa="midden")), message.id, True
        )
