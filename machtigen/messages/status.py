"""What an afnemer may learn about a message it delivered (DOMAIN.md rules 7 and 8)."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlmodel import col

from machtigen.audit.service import record_about
from machtigen.context import Ctx
from machtigen.messages.errors import MessageNotFound
from machtigen.messages.models import Message
from machtigen.messages.service import is_read_by_owner
from machtigen.notifications.models import (
    AttemptOutcome,
    MessageFollowUp,
    Notification,
    NotificationStatus,
    RecipientKind,
)


@dataclass(frozen=True)
class NotificationState:
    """The e-mail notification to the person about one message, and the paper fallback.

    ``status`` is the outcome of the last attempt: ``none`` (no e-mail notification: no
    address, or post on paper), ``pending`` (not tried yet, or the last attempt failed for a
    reason that may pass: it is tried again), ``sent`` (the person's mail server accepted
    it), ``bounced`` (the person's mail server refused the address; tried again until the
    maximum number of attempts unless a later attempt gets through) or ``failed`` (given up,
    never refused). ``last_attempt_at`` is when that last attempt was made (None before the
    first). ``person_not_reached`` is true once a paper letter went out about this message
    because the person was not reached digitally (rule 7: the address kept being refused, or
    the message stayed unread without a visit), false until then, and unknown (None) where
    the afnemer may not know the read state (rule 8).
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
        record_about(ctx, "message.read_state_disclosed", message, read=read)
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
        status=_status_of(notification),
        last_attempt_at=notification.last_attempt_at,
        person_not_reached=not_reached,
    )


def _status_of(notification: Notification) -> str:
    """The state after the last attempt; a notification waiting for a retry after a refusal
    of the address is ``bounced`` (it was refused), not ``pending``."""
    status = NotificationStatus(notification.status)
    if status in (NotificationStatus.PENDING, NotificationStatus.SENDING):
        refused = notification.last_outcome == AttemptOutcome.REFUSED
        return "bounced" if refused else "pending"
    return _NOTIFICATION_STATUS[status]


_NOTIFICATION_STATUS = {
    NotificationStatus.SENT: "sent",
    NotificationStatus.BOUNCED: "bounced",
    NotificationStatus.FAILED: "failed",
}
