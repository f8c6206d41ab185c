"""Who is notified of what (the outbox), the portal's e-mail prompts, and the paper safety net.

Every function here only adds rows to the caller's transaction: a notification is
written together with the message, reminder or mandate change it reports, and a
letter together with the "not reached" statuses and events it causes.
Recipients are decided by the policy: the owner and every representative for whom
``receive_notifications`` on the message holds (rules 6 and 12).
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, select, union
from sqlmodel import col

from machtigen.accounts.models import Account
from machtigen.accounts.service import get_account, urges_digital
from machtigen.afnemers.models import Afnemer, Service
from machtigen.audit.service import record
from machtigen.authz.actors import Actor, AfnemerActor, PersonActor, StaffActor
from machtigen.config import get_settings
from machtigen.consents.models import Channel
from machtigen.context import Ctx
from machtigen.identity.correspondence import correspondence_language, correspondence_language_sql
from machtigen.identity.models import OfficeStaff, Person, StaffAssignment
from machtigen.identity.service import staff_actor
from machtigen.identity.staff_email import get_staff
from machtigen.mandates.models import LegalMeasure, Mandate
from machtigen.messages.errors import MessageNotFound
from machtigen.messages.models import Message, MessageRead
from machtigen.notifications.models import (
    AfnemerEvent,
    Letter,
    LetterReason,
    MessageFollowUp,
    Notification,
    NotificationKind,
    NotificationStatus,
    RecipientKind,
)
from machtigen.notifications.texts import render_mandate_change, render_message_notice

NOT_REACHED_EVENT = "nl.mijnoverheid.berichtenbox.bericht-niet-bereikt"


# --- recipients ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    kind: RecipientKind
    id: UUID
    email: str
    language: str
    actor: Actor


def message_recipients(ctx: Ctx, message: Message) -> list[Recipient]:
    """The owner and the representatives the policy lets receive notifications of it."""
    allowed = _allowed(ctx, _candidates(ctx, message.person_id), "receive_notifications", message)
    return _assigned_staff_first(ctx, message.person_id, allowed)


def _assigned_staff_first(
    ctx: Ctx, person_id: UUID, recipients: list[Recipient]
) -> list[Recipient]:
    """Of an office with an employee assigned to this client, only the assigned are told.

    The policy lets an office administrator act for every client of the office; the e-mail
    goes to the employees who handle the client, and to the administrators only for a client
    with nobody assigned (or nobody assigned with an address), so that nobody is left blind.
    """
    assigned = set(
        ctx.session.scalars(
            select(col(StaffAssignment.staff_id)).where(
                col(StaffAssignment.client_person_id) == person_id
            )
        )
    )
    if not assigned:
        return recipients
    handled = {
        r.actor.office_id
        for r in recipients
        if isinstance(r.actor, StaffActor) and r.actor.staff_id in assigned
    }
    return [
        r
        for r in recipients
        if not (
            isinstance(r.actor, StaffActor)
            and r.actor.office_id in handled
            and r.actor.staff_id not in assigned
        )
    ]


def mandate_recipients(ctx: Ctx, mandate: Mandate) -> list[Recipient]:
    """Both parties of a mandate (whoever may read it), except the one who made the change."""
    candidates = _candidates(ctx, mandate.represented_person_id, mandate=mandate)
    acting = (ctx.actor.kind, ctx.actor.key)
    others = [r for r in candidates if (r.actor.kind, r.actor.key) != acting]
    return _allowed(ctx, others, "read", mandate)


def _allowed(
    ctx: Ctx, candidates: Iterable[Recipient], action: str, resource: Any
) -> list[Recipient]:
    chosen: dict[str, Recipient] = {}
    for candidate in candidates:
        address = candidate.email.lower()
        if address in chosen:
            continue
        if ctx.authz.is_allowed(ctx.session, candidate.actor, action, resource):
            chosen[address] = candidate
    return list(chosen.values())


def _candidates(ctx: Ctx, person_id: UUID, *, mandate: Mandate | None = None) -> list[Recipient]:
    """Everyone with an address who is named as a representative of this person.

    Only an address book: whether they are told anything is the policy's decision.
    """
    at = ctx.now
    people = select(
        col(Person.id), col(Account.email), correspondence_language_sql().label("language")
    ).join(Account, col(Account.person_id) == col(Person.id))
    owner = ctx.session.execute(people.where(col(Person.id) == person_id)).first()
    found: list[Recipient] = []
    if owner is not None and owner.email:
        found.append(
            Recipient(
                RecipientKind.OWNER,
                owner.id,
                owner.email,
                owner.language,
                PersonActor(owner.id, at),
            )
        )
    if mandate is not None:
        person_ids: Any = [mandate.representative_person_id]
        office_ids: Any = [mandate.representative_office_id]
    else:
        person_ids = union(
            select(col(Mandate.representative_person_id)).where(
                col(Mandate.represented_person_id) == person_id
            ),
            select(col(LegalMeasure.representative_person_id)).where(
                col(LegalMeasure.subject_person_id) == person_id
            ),
        )
        office_ids = union(
            select(col(Mandate.representative_office_id)).where(
                col(Mandate.represented_person_id) == person_id
            ),
            select(col(LegalMeasure.representative_office_id)).where(
                col(LegalMeasure.subject_person_id) == person_id
            ),
        )
    for row in ctx.session.execute(
        people.where(col(Person.id).in_(person_ids), col(Account.email).is_not(None))
    ):
        found.append(
            Recipient(
                RecipientKind.PERSON,
                row.id,
                row.email,
                row.language,
                PersonActor(row.id, at),
            )
        )
    staff = select(OfficeStaff).where(
        col(OfficeStaff.office_id).in_(office_ids),
        col(OfficeStaff.active).is_(True),
        col(OfficeStaff.email).is_not(None),
    )
    for member in ctx.session.scalars(staff.order_by(col(OfficeStaff.id))):
        assert member.email is not None
        found.append(
            Recipient(
                RecipientKind.STAFF,
                member.id,
                member.email,
                "nl",
                staff_actor(ctx.session, member, at),
            )
        )
    return found


# --- the outbox ---------------------------------------------------------------------------


def on_message_delivered(ctx: Ctx, message: Message) -> list[Notification]:
    """Called by ``deliver`` in its transaction: tell the owner and the representatives."""
    if message.channel == Channel.PAPER:
        return []
    return _notify_of_message(ctx, message, NotificationKind.NEW_MESSAGE)


def remind(ctx: Ctx, message: Message) -> list[Notification]:
    """The one repeat notification after ``reminder_days`` unread (rule 6); never a second one."""
    follow_up = _follow_up(ctx, message.id)
    if follow_up.reminded_at is not None:
        return []
    follow_up.reminded_at = ctx.now
    notifications = _notify_of_message(ctx, message, NotificationKind.REMINDER)
    record(
        ctx,
        "message.reminder",
        subject_person_id=message.person_id,
        object_type="message",
        object_id=message.id,
        recipients=len(notifications),
    )
    return notifications


def on_mandate_changed(ctx: Ctx, mandate: Mandate, action: str) -> list[Notification]:
    """Called by the mandate service with each audited change: tell the other side."""
    change = action.removeprefix("mandate.")
    represented = ctx.session.get_one(Person, mandate.represented_person_id)
    notifications = []
    for recipient in mandate_recipients(ctx, mandate):
        subject, body = render_mandate_change(
            recipient.language,
            change=change,
            for_owner=recipient.kind == RecipientKind.OWNER,
            client=_initials(represented),
            valid_until=mandate.valid_until,
        )
        key = f"mandate:{mandate.id}:{change}:{ctx.now.isoformat()}:{recipient.kind}:{recipient.id}"
        notifications += _enqueue(
            ctx,
            kind=NotificationKind.MANDATE_CHANGE,
            key=key,
            person_id=mandate.represented_person_id,
            recipient=recipient,
            subject=subject,
            body=body,
            mandate_id=mandate.id,
        )
    return notifications


def _notify_of_message(ctx: Ctx, message: Message, kind: NotificationKind) -> list[Notification]:
    afnemer = ctx.session.get_one(Afnemer, message.afnemer_id)
    service = ctx.session.get_one(Service, message.service_id)
    owner = ctx.session.get_one(Person, message.person_id)
    notifications = []
    for recipient in message_recipients(ctx, message):
        subject, body = render_message_notice(
            recipient.language,
            reminder=kind == NotificationKind.REMINDER,
            organisation=afnemer.name,
            kind_of_message=service.name,
            action_text=message.action_text,
            deadline=message.deadline,
            client=None if recipient.kind == RecipientKind.OWNER else _initials(owner),
        )
        notifications += _enqueue(
            ctx,
            kind=kind,
            key=f"{kind}:{message.id}:{recipient.kind}:{recipient.id}",
            person_id=message.person_id,
            recipient=recipient,
            subject=subject,
            body=body,
            message_id=message.id,
        )
    return notifications


def _enqueue(
    ctx: Ctx,
    *,
    kind: NotificationKind,
    key: str,
    person_id: UUID,
    recipient: Recipient,
    subject: str,
    body: str,
    message_id: UUID | None = None,
    mandate_id: UUID | None = None,
) -> list[Notification]:
    key = key[:200]
    existing = ctx.session.scalar(
        select(col(Notification.id)).where(col(Notification.dedup_key) == key)
    )
    if existing is not None:
        return []
    notification = Notification(
        kind=kind,
        dedup_key=key,
        person_id=person_id,
        message_id=message_id,
        mandate_id=mandate_id,
        recipient_kind=recipient.kind,
        recipient_id=recipient.id,
        email=recipient.email,
        subject=subject[:300],
        body=body,
        status=NotificationStatus.PENDING,
        available_at=ctx.now,
        created_at=ctx.now,
    )
    ctx.session.add(notification)
    return [notification]


def _initials(person: Person) -> str:
    return f"{person.given_name[:1]}. {person.family_name}"


# --- prompts at a visit (rule 6) --------------------------------------------------------


class Prompt(StrEnum):
    ASK_EMAIL = "ask_email"
    """No address: ask for one at every visit."""
    CONFIRM_EMAIL = "confirm_email"
    """The address was last confirmed six months ago or longer: is it still current?"""


def portal_prompts(ctx: Ctx, person_id: UUID) -> list[Prompt]:
    """What the portal should ask the account holder at this visit; pure, writes nothing.

    Nothing while the mailbox is off or everything goes on paper: nobody is urged towards
    digital post (their post reaches them on paper).
    """
    account = get_account(ctx, person_id, "manage_settings")
    if not urges_digital(account):
        return []
    return email_prompts(account.email, account.email_confirmed_at, ctx.now)


def staff_prompts(ctx: Ctx, staff_id: UUID) -> list[Prompt]:
    """The same questions for an office employee about their own address (rule 12)."""
    staff = get_staff(ctx, staff_id, "manage_contact")
    return email_prompts(staff.email, staff.email_confirmed_at, ctx.now)


def email_prompts(email: str | None, confirmed_at: datetime | None, now: datetime) -> list[Prompt]:
    """No address: ask for one at every visit; confirmed six months ago or longer: ask again."""
    if email is None:
        return [Prompt.ASK_EMAIL]
    months = get_settings().email_recheck_months
    if confirmed_at is None or add_months(confirmed_at, months) <= now:
        return [Prompt.CONFIRM_EMAIL]
    return []


def add_months(moment: datetime, months: int) -> datetime:
    """The same day ``months`` later; the last day of the month where that day does not exist."""
    import calendar

    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


# --- read state, follow-up, and the paper letter (rule 7) ---------------------------------


def read_by_owner() -> Any:
    """SQL: the owner opened the message (representatives' reads are their own)."""
    return exists().where(
        and_(
            col(MessageRead.message_id) == col(Message.id),
            col(MessageRead.reader_kind) == "person",
            col(MessageRead.reader_id) == col(Message.person_id),
        )
    )


def in_letter() -> Any:
    return exists().where(
        and_(
            col(MessageFollowUp.message_id) == col(Message.id),
            col(MessageFollowUp.letter_id).is_not(None),
        )
    )


def unread_in_mailbox(person_id: UUID, *, received_until: datetime) -> Any:
    """The person's unread, unarchived mailbox messages not yet covered by a letter."""
    return select(Message).where(
        col(Message.person_id) == person_id,
        col(Message.channel) != Channel.PAPER,
        col(Message.archived_at).is_(None),
        col(Message.received_at) <= received_until,
        ~read_by_owner(),
        ~in_letter(),
    )


def escalate(
    ctx: Ctx, person_id: UUID, reason: LetterReason, *, received_until: datetime | None = None
) -> Letter | None:
    """A paper letter to the postal address, and "not reached" for the afnemers allowed to know.

    A read message is never part of it. Without unread messages a letter goes out only
    for a refused address (to say that the address fails); otherwise there is nothing to say.
    """
    person = ctx.session.get_one(Person, person_id)
    until = received_until or ctx.now
    unread = ctx.session.scalars(
        unread_in_mailbox(person_id, received_until=until).order_by(
            col(Message.received_at), col(Message.id)
        )
    ).all()
    if not unread and reason != LetterReason.BOUNCED:
        return None
    letter = Letter(
        id=uuid.uuid4(),
        person_id=person.id,
        reason=reason,
        addressee=person.full_name,
        postal_address=person.postal_address,
        language=correspondence_language(ctx.session, person),
        unread_count=len(unread),
        created_at=ctx.now,
        available_at=ctx.now,
    )
    ctx.session.add(letter)
    ctx.session.flush()
    told = 0
    for message in unread:
        follow_up = _follow_up(ctx, message.id)
        follow_up.letter_id = letter.id
        if _afnemer_may_know(ctx, message):
            follow_up.not_reached_at = ctx.now
            _not_reached_event(ctx, message, letter)
            told += 1
    record(
        ctx,
        "letter.created",
        subject_person_id=person.id,
        object_type="letter",
        object_id=letter.id,
        reason=reason,
        unread=len(unread),
        afnemers_told=told,
    )
    return letter


def _afnemer_may_know(ctx: Ctx, message: Message) -> bool:
    """Rule 8: "not reached" reveals that it is unread, so only where read state may be shared."""
    afnemer = AfnemerActor(message.afnemer_id, ctx.now)
    return ctx.authz.is_allowed(ctx.session, afnemer, "view_read_state", message)


def _not_reached_event(ctx: Ctx, message: Message, letter: Letter) -> AfnemerEvent:
    afnemer = ctx.session.get_one(Afnemer, message.afnemer_id)
    event = AfnemerEvent(
        id=uuid.uuid4(),
        afnemer_id=message.afnemer_id,
        message_id=message.id,
        type=NOT_REACHED_EVENT,
        source=get_settings().event_source,
        subject=str(message.id),
        time=ctx.now,
        data={
            "berichtId": str(message.id),
            "afnemerOin": afnemer.oin,
            "idempotencyKey": message.idempotency_key,
            "reden": str(letter.reason),
            "briefVerstuurd": True,
            "nietBereiktOp": ctx.now.isoformat(),
        },
    )
    ctx.session.add(event)
    record(
        ctx,
        "message.not_reached",
        subject_person_id=message.person_id,
        object_type="message",
        object_id=message.id,
        afnemer=afnemer.name,
        letter=letter.id,
    )
    return event


def _follow_up(ctx: Ctx, message_id: UUID) -> MessageFollowUp:
    follow_up = ctx.session.get(MessageFollowUp, message_id)
    if follow_up is None:
        follow_up = MessageFollowUp(message_id=message_id)
        ctx.session.add(follow_up)
    return follow_up


# --- what the afnemer may fetch -----------------------------------------------------------


@dataclass(frozen=True)
class DeliveryStatus:
    message_id: UUID
    channel: str
    reason: str
    received_at: datetime
    not_reached: bool | None
    """None when rule 8 does not let this afnemer know (it would reveal the read state)."""
    not_reached_at: datetime | None


def delivery_status(ctx: Ctx, message_id: UUID) -> DeliveryStatus:
    message = ctx.session.get(Message, message_id)
    if message is None:
        raise MessageNotFound()
    ctx.authorize("view_status", message)
    follow_up = ctx.session.get(MessageFollowUp, message.id)
    may_know = ctx.is_allowed("view_read_state", message)
    not_reached_at = follow_up.not_reached_at if follow_up is not None and may_know else None
    return DeliveryStatus(
        message_id=message.id,
        channel=str(message.channel),
        reason=str(message.channel_reason),
        received_at=message.received_at,
        not_reached=(not_reached_at is not None) if may_know else None,
        not_reached_at=not_reached_at,
    )


def events_for_afnemer(ctx: Ctx, *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """The afnemer's CloudEvents after sequence number ``after``, oldest first.

    Only events about messages whose read state the policy lets this actor see now.
    """
    allowed = ctx.authz.select(ctx.actor, "view_read_state", Message).with_only_columns(
        col(Message.id)
    )
    statement = (
        select(AfnemerEvent)
        .where(col(AfnemerEvent.seq) > after, col(AfnemerEvent.message_id).in_(allowed))
        .order_by(col(AfnemerEvent.seq))
        .limit(min(limit, 1000))
    )
    return [cloud_event(event) for event in ctx.session.scalars(statement)]


def cloud_event(event: AfnemerEvent) -> dict[str, Any]:
    """CloudEvents 1.0 JSON, NL GOV profile: URN source, reverse-DNS type, no personal data."""
    return {
        "specversion": "1.0",
        "type": event.type,
        "source": event.source,
        "subject": event.subject,
        "id": str(event.id),
        "time": event.time.isoformat().replace("+00:00", "Z"),
        "datacontenttype": "application/json",
        "sequence": str(event.seq),
        "sequencetype": "Integer",
        "data": event.data,
    }


def notifications_of(ctx: Ctx, person_id: UUID) -> Sequence[Notification]:
    """The outbox rows about one person's account (for the person's own overview and tests)."""
    get_account(ctx, person_id, "read")
    return ctx.session.scalars(
        select(Notification)
        .where(col(Notification.person_id) == person_id)
        .order_by(col(Notification.created_at), col(Notification.id))
    ).all()


def reminder_cutoff(now: datetime) -> datetime:
    return now - timedelta(days=get_settings().reminder_days)
