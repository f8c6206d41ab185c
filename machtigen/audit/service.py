"""Writing and reading audit events. ``record`` only adds to the act's own transaction."""

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlmodel import col

from machtigen.audit.models import AuditEvent
from machtigen.context import Ctx


def record(
    ctx: Ctx,
    action: str,
    *,
    subject_person_id: UUID | None,
    object_type: str | None = None,
    object_id: object = None,
    **detail: Any,
) -> AuditEvent:
    """Add an audit event to the current transaction: it commits or rolls back with the act."""
    actor = ctx.actor
    event = AuditEvent(
        occurred_at=ctx.clock.now(),
        action=action,
        actor_kind=actor.kind,
        actor_id=str(actor.key),
        actor_name=actor.name,
        subject_person_id=subject_person_id,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        detail={key: _jsonable(value) for key, value in detail.items()},
        ip=ctx.origin.ip,
        user_agent=ctx.origin.user_agent,
        means=actor.means,
        loa=actor.loa,
    )
    ctx.session.add(event)
    return event


def events_of_person(ctx: Ctx, person_id: UUID, *, limit: int = 100) -> Sequence[AuditEvent]:
    statement = (
        select(AuditEvent)
        .where(col(AuditEvent.subject_person_id) == person_id)
        .order_by(col(AuditEvent.seq).desc())
        .limit(limit)
    )
    return ctx.session.scalars(statement).all()


def _jsonable(value: Any) -> Any:
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
