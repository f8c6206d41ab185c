"""The outbox: a ``notification`` row per recipient, written in the caller's transaction.

A notification is written together with the message, reminder or mandate change it reports;
``machtigen.notifications.sender`` sends it later. The recipients come from
``machtigen.notifications.recipients``, the words from ``machtigen.notifications.texts``.
"""

from uuid import UUID

from sqlalchemy import select
from sqlmodel import col

from machtigen.afnemers.models import Afnemer, Service
from machtigen.audit.service import record
from machtigen.consents.models import Channel
from machtigen.context import Ctx
from machtigen.identity.models import Person
from machtigen.mandates.models import Mandate
from machtigen.messages.models import Message
from machtigen.notifications.follow_up import follow_up_of
from machtigen.notifications.models import (
    Notification,
    NotificationKind,
    NotificationStatus,
    RecipientKind,
)
from machtigen.notifications.recipients import Recipient, mandate_recipients, message_recipients
from machtigen.notifications.texts import render_mandate_change, render_message_notice


def on_message_delivered(ctx: Ctx, message: Message) -> list[Notification]:
    """Called by ``deliver`` in its transaction: tell the owner and the representatives."""
    if message.channel == Channel.PAPER:
        return []
    return _notify_of_message(ctx, message, NotificationKind.NEW_MESSAGE)


def remind(ctx: Ctx, message: Message) -> list[Notification]:
    """The one repeat notification after ``reminder_days`` unread (rule 6); never a second one."""
    follow_up = follow_up_of(ctx, message.id)
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
