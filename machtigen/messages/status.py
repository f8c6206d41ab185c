"""What an afnemer may learn about a message it delivered (DOMAIN.md rules 7 and 8)."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlmodel import col

from machtigen.audit.service import record
from machtigen.context import Ctx
from machtigen.messages.errors import MessageNotFound
from machtigen.messages.models import Message
from machtigen.messages.service import is_read_by_owner
from machtigen.notifications.models import (
    MessageFollowUp,
    Notification,
    NotificationStatus,
    RecipientKind,
)


@dataclass(frozen=True)
class NotificationState:
    """The e-mail notification and paper fallback of one message.

    ``status`` is ``none`` (no e-mail notification: no address, or not sent yet), ``pending``,
    ``sent``, ``bounced`` or ``failed``; ``person_not_reached`` is true once the person was not
    reached and got a letter (rule 7), and unknown (None) where the afnemer may not know the
    read state (rule 8).
    """

    status: str = "none"
    last_attempt_at: datetime | None = None
    person_not_reached: bool | None = None


@dataclass(frozen=True)
class MessageStatus:
    message_id: UUID
    channel: str
    channel_reason: str
    delivered_at: datetime
    notification: NotificationState
    read: bool | None
    """Only where the policy allows ``view_read_state``; otherwise unknown (None)."""


def message_status(ctx: Ctx, message_id: UUID) -> MessageStatus:
    message = ctx.session.get(Message, message_id)
    if message is None:
        raise MessageNotFound()
    ctx.authorize("view_status", message)
    read: bool | None = None
    if ctx.is_allowed("view_read_state", message):
        read = is_read_by_owner(ctx, message)
        record(
            ctx,
            "message.read_state_disclosed",
            subject_person_id=message.person_id,
            object_type="message",
            object_id=message.id,
            read=read,
        )
    return MessageStatus(
        message_id=message.id,
        channel=str(message.channel),
        channel_reason=str(message.channel_reason),
        delivered_at=message.received_at,
        notification=notification_state(ctx, message, may_know_read_state=read is not None),
        read=read,
    )


def notification_state(
    ctx: Ctx, message: Message, *, may_know_read_state: bool
) -> NotificationState:
    """The owner's e-mail notification of this message (machtigen.notifications), and whether
    the person was not reached: that reveals the message is unread, so only where the afnemer
    may know the read state (rule 8)."""
    notification = ctx.session.scalars(
        select(Notification)
        .where(
            col(Notification.message_id) == message.id,
            col(Notification.recipient_kind) == RecipientKind.OWNER,
        )
        .order_by(col(Notification.created_at).desc(), col(Notification.id))
        .limit(1)
    ).first()
    follow_up = ctx.session.get(MessageFollowUp, message.id) if may_know_read_state else None
    not_reached: bool | None = None
    if may_know_read_state:
        not_reached = follow_up is not None and follow_up.not_reached_at is not None
    if notification is None:
        return NotificationState(status="none", person_not_reached=not_reached)
    return NotificationState(
        status=_NOTIFICATION_STATUS[NotificationStatus(notification.status)],
        last_attempt_at=notification.sent_at or notification.created_at,
        person_not_reached=not_reached,
    )


_NOTIFICATION_STATUS = {
    NotificationStatus.PENDING: "pending",
    NotificationStatus.SENDING: "pending",
    NotificationStatus.SENT: "sent",
    NotificationStatus.BOUNCED: "bounced",
    NotificationStatus.FAILED: "failed",
}
