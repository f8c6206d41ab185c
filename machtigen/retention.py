"""Keeping personal data no longer than needed; keeping the audit trail's storage in months.

``machtigen jobs`` runs these (``purge_expired``, ``audit_partitions``), each in batches of
one short transaction, so a purge never holds locks for long:

- used client-assertion ``jti`` values, once their assertion can no longer be used;
- portal sessions (an IP address, a user agent) ended or expired ``session_retention_days``
  ago;
- notifications (an e-mail address and a subject) in a final state — sent, bounced, failed —
  written ``notification_retention_days`` ago. The bounce counters stay.

The audit trail is never deleted by the service (docs/operations.md, "Retention"): on
PostgreSQL it is partitioned by month so that an operator can archive an old month as a
whole, after a verified export; ``audit_partitions`` makes the coming months' partitions
ahead of time.
"""

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, text
from sqlalchemy.orm import Session
from sqlmodel import col

from machtigen.clients.models import UsedAssertion
from machtigen.identity.models import PortalSession
from machtigen.notifications.models import Notification, NotificationStatus

UnitOfWork = Callable[[], AbstractContextManager[Session]]
ASSERTION_LEEWAY = timedelta(seconds=30)
FINAL = (NotificationStatus.SENT, NotificationStatus.BOUNCED, NotificationStatus.FAILED)


@dataclass(frozen=True)
class RetentionConfig:
    notification_days: int = 90
    session_days: int = 7
    batch_size: int = 5_000

    @classmethod
    def from_settings(cls, settings: Any) -> "RetentionConfig":
        return cls(
            notification_days=settings.notification_retention_days,
            session_days=settings.session_retention_days,
        )


@dataclass
class Purged:
    assertions: int = 0
    sessions: int = 0
    notifications: int = 0

    @property
    def total(self) -> int:
        return self.assertions + self.sessions + self.notifications


def purge_expired(
    uow: UnitOfWork,
    now: datetime,
    config: RetentionConfig,
    should_stop: Callable[[], bool] = lambda: False,
) -> Purged:
    purged = Purged()
    purged.assertions = _in_batches(
        uow,
        UsedAssertion,
        (col(UsedAssertion.client_id), col(UsedAssertion.jti)),
        col(UsedAssertion.expires_at) < now - ASSERTION_LEEWAY,
        config.batch_size,
        should_stop,
    )
    session_cutoff = now - timedelta(days=config.session_days)
    purged.sessions = _in_batches(
        uow,
        PortalSession,
        (col(PortalSession.id),),
        or_(
            col(PortalSession.expires_at) < session_cutoff,
            col(PortalSession.ended_at) < session_cutoff,
        ),
        config.batch_size,
        should_stop,
    )
    purged.notifications = _in_batches(
        uow,
        Notification,
        (col(Notification.id),),
        col(Notification.status).in_(FINAL)
        & (col(Notification.created_at) < now - timedelta(days=config.notification_days)),
        config.batch_size,
        should_stop,
    )
    return purged


def _in_batches(
    uow: UnitOfWork,
    model: Any,
    key: tuple[Any, ...],
    condition: Any,
    batch_size: int,
    should_stop: Callable[[], bool],
) -> int:
    """DELETE the matching rows, ``batch_size`` per transaction, until none is left."""
    deleted = 0
    while not should_stop():
        with uow() as session:
            rows = session.execute(select(*key).where(condition).limit(batch_size)).all()
            if not rows:
                return deleted
            if len(key) == 1:
                statement = delete(model).where(key[0].in_([row[0] for row in rows]))
            else:
                pairs = [(key[0] == row[0]) & (key[1] == row[1]) for row in rows]
                statement = delete(model).where(or_(*pairs))
            session.execute(statement.execution_options(synchronize_session=False))
            deleted += len(rows)
        if len(rows) < batch_size:
            return deleted
    return deleted


def months_ahead(today: date, ahead: int) -> list[date]:
    """The first day of this month and of the ``ahead`` months after it."""
    months = []
    month = today.replace(day=1)
    for _ in range(ahead + 1):
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def ensure_audit_partitions(uow: UnitOfWork, today: date, ahead: int) -> int:
    """PostgreSQL: make the monthly audit partitions up to ``ahead`` months from now (as the
    app role, through the SECURITY DEFINER function of migration 0007); 0 elsewhere."""
    made = 0
    for month in months_ahead(today, ahead):
        with uow() as session:
            if session.get_bind().dialect.name != "postgresql":
                return 0
            made += bool(
                session.scalar(text("SELECT audit_ensure_partition(:month)"), {"month": month})
            )
    return made
