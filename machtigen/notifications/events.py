"""The afnemers' CloudEvents: "not reached" when a message went into a paper letter unread.

Written in the letter's transaction; an afnemer fetches them in sequence order
(``GET /api/v1/events``), and only about messages whose read state rule 8 lets it know.
"""

import uuid
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from machtigen.afnemers.models import Afnemer
from machtigen.audit.service import record_about
from machtigen.config import get_settings
from machtigen.context import Ctx
from machtigen.messages.models import Message
from machtigen.notifications.models import AfnemerEvent, Letter

NOT_REACHED_EVENT = "nl.mijnoverheid.berichtenbox.bericht-niet-bereikt"


def not_reached_event(ctx: Ctx, message: Message, letter: Letter) -> AfnemerEvent:
    """Tell the afnemer its message went into a paper letter unread; the caller checked rule 8."""
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
    record_about(ctx, "message.not_reached", message, afnemer=afnemer.name, letter=letter.id)
    return event


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
