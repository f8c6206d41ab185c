"""Writing and reading audit events. ``record`` only adds to the act's own transaction.

``record`` is on the afnemer API's hot path (one event per mandate check): it stays a plain
INSERT. It never reads another event and locks nothing; it adds one HMAC over the event's
own values (``machtigen.audit.mac``, a few microseconds); the sealer
(``machtigen.audit.seal``) chains and signs committed events afterwards.

``act_values`` gives the columns of one event, MAC included, without touching the
database: a raw-SQL INSERT on a hot path inserts exactly these values.
"""

from datetime import datetime
from typing import Any, ClassVar, Protocol
from uuid import UUID

from sqlalchemy import insert

from machtigen.audit.mac import sign_event
from machtigen.audit.models import AuditEvent
from machtigen.audit.text import encode_detail, encode_free_text
from machtigen.authz.actors import Actor, StaffActor
from machtigen.context import Ctx, Origin

_INSERT_EVENT = insert(AuditEvent.__table__)  # type: ignore[attr-defined]
USER_AGENT_LIMIT = 300
IP_LIMIT = 45
NAME_LIMIT = 200


def record(
    ctx: Ctx,
    action: str,
    *,
    subject_person_id: UUID | None,
    object_type: str | None = None,
    object_id: object = None,
    **detail: Any,
) -> None:
    """Add an audit event to the current transaction: it commits or rolls back with the act."""
    values = act_values(
        ctx.actor,
        ctx.origin,
        ctx.clock.now(),
        action,
        subject_person_id=subject_person_id,
        object_type=object_type,
        object_id=object_id,
        **detail,
    )
    # One Core INSERT now, not an object for the unit of work nor an ORM bulk insert: the
    # cheapest on the hot path; the session's pending rows (the act) are flushed first.
    ctx.session.execute(_INSERT_EVENT, values)


class Audited(Protocol):
    """A stored record that audit events are about: a person's own record with its own id.

    ``audit_type`` is the ``object_type`` the audit log and the trail name it by.
    """

    audit_type: ClassVar[str]

    @property
    def id(self) -> object: ...

    @property
    def person_id(self) -> UUID: ...


def record_about(ctx: Ctx, action: str, about: Audited, **detail: Any) -> None:
    """``record`` an act on ``about``: its person is the subject, its type and id the object."""
    record(
        ctx,
        action,
        subject_person_id=about.person_id,
        object_type=about.audit_type,
        object_id=about.id,
        **detail,
    )


def act_values(
    actor: Actor,
    origin: Origin,
    occurred_at: datetime,
    action: str,
    *,
    subject_person_id: UUID | None,
    object_type: str | None = None,
    object_id: object = None,
    **detail: Any,
) -> dict[str, Any]:
    """The column values of one audit event (``seq`` aside), ``event_id``, ``mac_key_id`` and
    ``mac`` included: what ``record`` inserts, for a caller that writes its own INSERT (an
    async handler without a ``Ctx``)."""
    if isinstance(actor, StaffActor):
        detail["office_id"] = actor.office_id
    user_agent = origin.user_agent
    values = {
        "occurred_at": occurred_at,
        "action": action,
        "actor_kind": actor.kind,
        "actor_id": str(actor.key),
        "actor_name": encode_free_text(actor.name, NAME_LIMIT),
        "subject_person_id": subject_person_id,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "detail": {key: encode_detail(value) for key, value in detail.items()},
        "ip": None if origin.ip is None else encode_free_text(origin.ip, IP_LIMIT),
        "user_agent": None
        if user_agent is None
        else encode_free_text(user_agent, USER_AGENT_LIMIT),
        "means": actor.means,
        "loa": actor.loa,
    }
    return sign_event(values)
