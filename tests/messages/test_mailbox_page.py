"""The portal's mailbox page: unread first, search, archive, folders, counts, scope."""

from datetime import timedelta

import pytest

from machtigen.accounts import service as accounts
from machtigen.afnemers.models import ServiceCategory
from machtigen.authz.actors import PersonActor
from machtigen.consents.models import Channel
from machtigen.errors import NotFound
from machtigen.identity.loa import StepUpRequired
from machtigen.identity.service import staff_actor
from machtigen.mandates.models import MeasureKind
from machtigen.messages import service as messages
from machtigen.messages.service import MailboxQuery
from tests import factories as f


@pytest.fixture
def world(session, clock):
    owner = f.person(session)
    tax = f.afnemer(session, name="Belastingdienst", legally_required=True)
    town = f.afnemer(session, name="Gemeente 100% Utrecht")
    income = f.service(session, tax, ServiceCategory.FINANCIAL)
    care = f.service(session, town, ServiceCategory.PERSONAL_CARE)
    older = f.message(session, owner, income, received_at=clock.now() - timedelta(days=5))
    newer = f.message(session, owner, income, received_at=clock.now() - timedelta(days=1))
    care_post = f.message(session, owner, care, received_at=clock.now() - timedelta(days=3))
    older.subject, newer.subject, care_post.subject = "Aanslag 2025", "Aanslag 2026", "Besluit Wmo"
    f.message(session, owner, income, channel=Channel.PAPER)
    session.flush()
    return owner, older, newer, care_post


def test_unread_first_then_newest_with_sender_and_counts(session, ctx_for, clock, world):
    owner, older, newer, care_post = world
    ctx = ctx_for(PersonActor(owner.id, clock.now(), loa="midden"))
    messages.open_message(ctx, newer.id)
    page = messages.mailbox(ctx, MailboxQuery(person_id=owner.id))
    assert [e.message.id for e in page.entries] == [care_post.id, older.id, newer.id]
    assert [e.read for e in page.entries] == [False, False, True]
    assert page.entries[0].sender == "Gemeente 100% Utrecht"
    assert (page.total, page.unread, page.pages) == (3, 2, 1)
    assert messages.unread_count(ctx, owner.id) == 2


def test_search_matches_subject_or_sender_without_wildcards(session, ctx_for, clock, world):
    owner, older, newer, care_post = world
    ctx = ctx_for(PersonActor(owner.id, clock.now(), loa="midden"))

    def found(term):
        return {
            e.message.id for e in messages.mailbox(ctx, MailboxQuery(owner.id, search=term)).entries
        }

    assert found("aanslag") == {older.id, newer.id}
    assert found("GEMEENTE") == {care_post.id}
    assert found("100%") == {care_post.id}
    assert found("%") == {care_post.id}  # a literal percent sign, not a wildcard
    assert found("_") == set()
    assert found("  ") == {older.id, newer.id, care_post.id}


def test_archive_and_folders_are_separate_views(session, ctx_for, clock, world):
    owner, older, newer, care_post = world
    ctx = ctx_for(PersonActor(owner.id, clock.now(), loa="midden"))
    folder = accounts.create_folder(ctx, owner.id, "Belasting")
    messages.file_in_folder(ctx, older.id, folder.id)
    messages.set_archived(ctx, newer.id, True)
    inbox = messages.mailbox(ctx, MailboxQuery(owner.id))
    archive = messages.mailbox(ctx, MailboxQuery(owner.id, archived=True))
    filed = messages.mailbox(ctx, MailboxQuery(owner.id, folder_id=folder.id))
    assert {e.message.id for e in inbox.entries} == {older.id, care_post.id}
    assert [e.message.id for e in archive.entries] == [newer.id]
    assert [e.message.id for e in filed.entries] == [older.id]


def test_pages_are_bounded(session, ctx_for, clock, world):
    owner, *_ = world
    ctx = ctx_for(PersonActor(owner.id, clock.now(), loa="midden"))
    first = messages.mailbox(ctx, MailboxQuery(owner.id, page_size=2))
    second = messages.mailbox(ctx, MailboxQuery(owner.id, page=2, page_size=2))
    beyond = messages.mailbox(ctx, MailboxQuery(owner.id, page=9, page_size=2))
    assert (len(first.entries), len(second.entries), len(beyond.entries)) == (2, 1, 0)
    assert first.pages == 2
    ids = {e.message.id for e in first.entries} | {e.message.id for e in second.entries}
    assert len(ids) == 3


def test_a_bewindvoerder_sees_only_financial_post_and_reads_separately(
    session, ctx_for, clock, world
):
    owner, older, newer, care_post = world
    office = f.office(session)
    staff = f.staff(session, office)
    f.measure(session, owner, MeasureKind.BESCHERMINGSBEWIND, office=office)
    ctx = ctx_for(staff_actor(session, staff, clock.now(), loa="EH3"))
    page = messages.mailbox(ctx, MailboxQuery(owner.id))
    assert {e.message.id for e in page.entries} == {older.id, newer.id}
    detail = messages.read_message(ctx, older.id)
    assert (detail.sender, detail.first_time) == ("Belastingdienst", True)
    assert messages.read_message(ctx, older.id).first_time is False
    assert messages.unread_count(ctx, owner.id) == 1
    owner_ctx = ctx_for(PersonActor(owner.id, clock.now(), loa="midden"))
    assert messages.unread_count(owner_ctx, owner.id) == 3
    with pytest.raises(NotFound):
        messages.read_message(ctx, care_post.id)


def test_the_mailbox_opens_only_at_the_level_for_reading_it(session, ctx_for, clock, world):
    """The service asks the policy's ``read_mailbox`` level itself, not only the portal."""
    owner, older, _newer, _care = world
    basis = ctx_for(PersonActor(owner.id, clock.now(), loa="basis"))
    for look in (
        lambda: messages.mailbox(basis, MailboxQuery(owner.id)),
        lambda: messages.read_message(basis, older.id),
        lambda: messages.open_message(basis, older.id),
        lambda: messages.file_in_folder(basis, older.id, None),
        lambda: messages.set_archived(basis, older.id, True),
    ):
        with pytest.raises(StepUpRequired) as refused:
            look()
        assert (refused.value.purpose, refused.value.needed) == ("read_mailbox", "midden")
    session.refresh(older)
    assert older.archived_at is None
    midden = ctx_for(PersonActor(owner.id, clock.now(), loa="midden"))
    assert messages.read_message(midden, older.id).first_time
