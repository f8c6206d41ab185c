"""The paper safety net (rule 7): a letter about the unread post, and "not reached" for afnemers.

``escalate`` records the letter in the caller's transaction (after repeated refusals of the
owner's address, or an unread message without a visit); ``machtigen.notifications.letters``
writes it as a PDF later.
"""

import uuid
from datetime import datetime
from uuid import UUID

from sqlmodel import col

from machtigen.audit.service import record_about
from machtigen.authz.actors import AfnemerActor
from machtigen.context import Ctx
from machtigen.identity.correspondence import correspondence_language
from machtigen.identity.models import Person
from machtigen.messages.models import Message
from machtigen.notifications.events import not_reached_event
from machtigen.notifications.follow_up import follow_up_of, unread_in_mailbox
from machtigen.notifications.models import Letter, LetterReason


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
        follow_up = follow_up_of(ctx, message.id)
        follow_up.letter_id = letter.id
        if _afnemer_may_know(ctx, message):
            follow_up.not_reached_at = ctx.now
            not_reached_event(ctx, message, letter)
            told += 1
    record_about(
        ctx,
        "letter.created",
        letter,
        reason=reason,
        unread=len(unread),
        afnemers_told=told,
    )
    return letter


def _afnemer_may_know(ctx: Ctx, message: Message) -> bool:
    """Rule 8: "not reached" reveals that it is unread, so only where read state may be shared."""
    afnemer = AfnemerActor(message.afnemer_id, ctx.now)
    return ctx.authz.is_allowed(ctx.session, afnemer, "view_read_state", message)
