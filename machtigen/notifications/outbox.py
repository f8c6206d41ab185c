"""The outbox: a ``notification`` row per recipient, written in the caller's transaction.

A notification is written together with the message, reminder or mandate change it reports;
``machtigen.notifications.sender`` sends it later. The recipients come from
``machtigen.notifications.recipients``, the words from ``machtigen.notifications.texts``.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlmodel import col

from machtigen.afnemers.models import Afnemer, Service
from machtigen.audit.service import record_about
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
    record_about(ctx, "message.reminder", message, recipients=len(notifications))
    return notifications


def on_mandate_changed(ctx: Ctx, mandate: Mandate, action: str) -> list[Notification]:
    """Called by the mandate service with each audited change: tell the other side."""
    change = action.removeprefix("mandate.")
    client = _initials(ctx.session.get_one(Person, mandate.represented_person_id))

    def words(recipient: Recipient) -> tuple[str, str]:
        return render_mandate_change(
            recipient.language,
            change=change,
            for_owner=recipient.kind == RecipientKind.OWNER,
            client=client,
            valid_until=mandate.valid_until,
        )

    return _enqueue_each(
        ctx,
        mandate_recipients(ctx, mandate),
        words,
        kind=NotificationKind.MANDATE_CHANGE,
        key=f"mandate:{mandate.id}:{change}:{ctx.now.isoformat()}",
        person_id=mandate.represented_person_id,
        mandate_id=mandate.id,
    )


def _notify_of_message(ctx: Ctx, message: Message, kind: NotificationKind) -> list[Notification]:
    afnemer = ctx.session.get_one(Afnemer, message.afnemer_id)
    service = ctx.session.get_one(Service, message.service_id)
    client = _initials(ctx.session.get_one(Person, message.person_id))

    def words(recipient: Recipient) -> tuple[str, str]:
        return render_message_notice(
            recipient.language,
            reminder=kind == NotificationKind.REMINDER,
            organisation=afnemer.name,
            kind_of_message=service.name,
            action_text=message.action_text,
            deadline=message.deadline,
            client=None if recipient.kind == RecipientKind.OWNER else client,
        )

    return _enqueue_each(
        ctx,
        message_recipients(ctx, message),
        words,
        kind=kind,
        key=f"{kind}:{message.id}",
        person_id=message.person_id,
        message_id=message.id,
    )


def _enqueue_each(
    ctx: Ctx,
    recipients: Iterable[Recipient],
    words: Callable[[Recipient], tuple[str, str]],
    *,
    kind: NotificationKind,
    key: str,
    person_id: UUID,
    message_id: UUID | None = None,
    mandate_id: UUID | None = None,
) -> list[Notification]:
    """A pending notification per recipient, with the subject and body ``words`` gives them.

    ``key`` names the occasion; with the recipient it is the row's ``dedup_key``, so writing
    the same occasion again adds nothing.
    """
    notifications = []
    for recipient in recipients:
        dedup_key = dedup_key_of(key, recipient.kind, recipient.id)
        written = select(col(Notification.id)).where(col(Notification.dedup_key) == dedup_key)
        if ctx.session.scalar(written) is not None:
            continue
        subject, body = words(recipient)
        notification = Notification(
            **notice_values(
                kind=kind,
                dedup_key=dedup_key,
                person_id=person_id,
                recipient_kind=recipient.kind,
                recipient_id=recipient.id,
                email=recipient.email,
                words=(subject, body),
                now=ctx.now,
                message_id=message_id,
                mandate_id=mandate_id,
            )
        )
        ctx.session.add(notification)
        notifications.append(notification)
    return notifications


def dedup_key_of(key: str, recipient_kind: RecipientKind, recipient_id: UUID) -> str:
    """The occasion ``key`` and the recipient: writing the same occasion again adds nothing."""
    return f"{key}:{recipient_kind}:{recipient_id}"[:200]


def notice_values(
    *,
    kind: NotificationKind,
    dedup_key: str,
    person_id: UUID,
    recipient_kind: RecipientKind,
    recipient_id: UUID,
    email: str,
    words: tuple[str, str],
    now: datetime,
    message_id: UUID | None = None,
    mandate_id: UUID | None = None,
) -> dict[str, Any]:
    """The column values of one pending notification, sendable at once; the ORM path and the
    async delivery (``messages/deliver_pg.py``) both write these."""
    subject, body = words
    return {
        "kind": kind,
        "dedup_key": dedup_key,
        "person_id": person_id,
        "message_id": message_id,
        "mandate_id": mandate_id,
        "recipient_kind": recipient_kind,
        "recipient_id": recipient_id,
        "email": email,
        "subject": subject[:300],
        "body": body,
        "status": NotificationStatus.PENDING,
        "available_at": now,
        "created_at": now,
    }


def _initials(person: Person) -> str:
    return f"{person.given_name[:1]}. {person.family_name}"
