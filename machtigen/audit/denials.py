"""Denied authorizations, written so that they survive the request's rollback.

A refused act usually ends its request with an error, and the request's transaction rolls
back: an event added to it would vanish. So a denial is written at once in its own short
transaction on a separate connection of the same engine. When that cannot be done at once
(SQLite has one writer, and the request may hold it; on PostgreSQL a lock wait is cut short
after two seconds), the event is kept on the session and written right after the request's
transaction ends, committed or rolled back. It holds no BSN: only ids, the asked action and
the outcome. Writing it never hides the original refusal: a failure is logged.
"""

import logging
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from machtigen.audit.mac import sign_event
from machtigen.audit.models import AUDIT_EVENT
from machtigen.audit.text import encode_free_text
from machtigen.authz.actors import Actor
from machtigen.clock import Clock

log = logging.getLogger(__name__)

DENIED = "authz.denied"
PENDING = "machtigen.pending_denials"
_SUBJECT_FIELDS = ("represented_person_id", "subject_person_id", "person_id")


@dataclass(frozen=True)
class Asked:
    """Who asked, when, and from where: what a denial records of the refused request
    (``Ctx.authorize`` and ``Ctx.deny`` fill it in)."""

    session: Session
    actor: Actor
    clock: Clock
    ip: str | None
    user_agent: str | None


def record_denial(asking: Asked, asked: str, resource: object, outcome: str) -> None:
    """Write one ``authz.denied`` event now, or as soon as the session's transaction ends."""
    try:
        values = denial_values(asking, asked, resource, outcome)
        engine = _engine_of(asking.session)
        if not _write(engine, values, wait=False):
            _defer(asking.session, engine, values)
    except SQLAlchemyError:
        log.exception("a denied authorization could not be audited")


def denial_values(asking: Asked, asked: str, resource: object, outcome: str) -> dict[str, Any]:
    actor = asking.actor
    detail: dict[str, Any] = {"asked": asked, "outcome": outcome}
    office = getattr(actor, "office_id", None)
    if office is not None:
        detail["office_id"] = str(office)
    object_id = getattr(resource, "id", None)
    user_agent = asking.user_agent
    return sign_event(
        {
            "occurred_at": asking.clock.now(),
            "action": DENIED,
            "actor_kind": actor.kind,
            "actor_id": str(actor.key),
            "actor_name": encode_free_text(actor.name, 200),
            "subject_person_id": subject_of(resource),
            "object_type": _object_type(resource),
            "object_id": None if object_id is None else str(object_id),
            "detail": detail,
            "ip": None if asking.ip is None else encode_free_text(asking.ip, 45),
            "user_agent": None if user_agent is None else encode_free_text(user_agent, 300),
            "means": actor.means,
            "loa": actor.loa,
        }
    )


def subject_of(resource: object) -> UUID | None:
    """Whose account the refused act concerned, when the resource says so."""
    if type(resource).__name__ == "Person":
        value = getattr(resource, "id", None)
        return value if isinstance(value, UUID) else None
    for name in _SUBJECT_FIELDS:
        value = getattr(resource, name, None)
        if isinstance(value, UUID):
            return value
    return None


def _object_type(resource: object) -> str:
    name = type(resource).__name__
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")[:32]


def _engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def _write(engine: Engine, values: dict[str, Any], *, wait: bool) -> bool:
    """Insert and commit on a connection of our own; False when it would have to wait."""
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        try:
            if sqlite and not wait:
                connection.exec_driver_sql("PRAGMA busy_timeout = 0")
            elif not sqlite:
                connection.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
            connection.execute(AUDIT_EVENT.insert().values(**values))
            connection.commit()
            return True
        except (OperationalError, IntegrityError):
            connection.rollback()
            if sqlite:
                _end_driver_transaction(connection)
            if wait:
                raise
            return False
        finally:
            if sqlite and not wait:
                connection.exec_driver_sql("PRAGMA busy_timeout = 5000")
                connection.rollback()


def _end_driver_transaction(connection: Connection) -> None:
    """A COMMIT that SQLite refuses as busy (another connection holds a read lock) leaves
    its transaction open, and SQLAlchemy's rollback after a failed commit does not reach it."""
    driver = connection.connection.dbapi_connection
    if driver is not None and getattr(driver, "in_transaction", False):
        driver.rollback()


def _defer(session: Session, engine: Engine, values: dict[str, Any]) -> None:
    pending: list[dict[str, Any]] = session.info.setdefault(PENDING, [])
    pending.append(values)
    if not event.contains(session, "after_commit", _flush_pending):
        event.listen(session, "after_commit", _flush_pending)
        event.listen(session, "after_rollback", _flush_pending)


def _flush_pending(session: Session) -> None:
    pending: list[dict[str, Any]] = session.info.pop(PENDING, [])
    if not pending:
        return
    engine = _engine_of(session)
    for values in pending:
        try:
            _write_after(engine, values)
        except SQLAlchemyError:
            log.exception("a denied authorization could not be audited after the transaction")


def _write_after(engine: Engine, values: dict[str, Any]) -> None:
    try:
        _write(engine, values, wait=True)
    except IntegrityError:
        # The person the act concerned was created in the rolled-back transaction itself.
        _write(engine, {**values, "subject_person_id": None}, wait=True)
