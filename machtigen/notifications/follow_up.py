"""What has been done about a message its owner has not read: one reminder, one letter.

``message_follow_up`` holds it per message (reminded, in which letter, when the afnemer was
told "not reached"); the SQL here says which mailbox messages are still unread by the owner
and not yet in a letter, for the reminders, the unvisited escalation and the letter itself.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, exists, select
from sqlmodel import col

from machtigen.consents.models import Channel
from machtigen.context import Ctx
from machtigen.messages.models import Message, MessageRead
from machtigen.notifications.models import MessageFollowUp


def follow_up_of(ctx: Ctx, message_id: UUID) -> MessageFollowUp:
    """The message's follow-up row, added to the session when there is none yet."""
    follow_up = ctx.session.get(MessageFollowUp, message_id)
    if follow_up is None:
        follow_up = MessageFollowUp(message_id=message_id)
        ctx.session.add(follow_up)
    return follow_up


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
