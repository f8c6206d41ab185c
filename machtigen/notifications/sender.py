"""The sender: delivers the outbox over SMTP, at least once, without losing a notification.

Each round claims a batch with a lease (a conditional UPDATE, and ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL so senders on several hosts never take the same rows), commits
the claim, sends, and records each outcome in its own short transaction guarded by the
claim token. A sender that dies anywhere leaves rows claimed until the lease runs out;
then another sender takes them again. The one case that sends twice — dead after the
SMTP server accepted and before the outcome was recorded — sends the same Message-ID
header again, so the receiving side recognises the duplicate.

A shutdown (``stop`` set, on SIGTERM) lets the notification being sent finish and be
recorded, and hands the rest of the claimed batch back at once (pending, claimable now, the
attempt not counted), so no lease is left for another sender to wait out.
"""

import asyncio
import random
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, suppress
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from uuid import UUID

import aiosmtplib
from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from machtigen import logs
from machtigen.authz.actors import SystemActor
from machtigen.authz.engine import Authorizer
from machtigen.clock import Clock
from machtigen.config import Settings
from machtigen.context import Ctx
from machtigen.notifications.errors import DeliveryFailed
from machtigen.notifications.models import (
    AttemptOutcome,
    BounceCount,
    LetterReason,
    Notification,
    NotificationStatus,
    RecipientKind,
)
from machtigen.notifications.paper import escalate

UnitOfWork = Callable[[], AbstractContextManager[Session]]
"""Opens one transaction: commits when the block ends, rolls back on an error."""

CLAIMABLE = (NotificationStatus.PENDING, NotificationStatus.SENDING)
log = logs.get_logger("machtigen.sender")


@dataclass(frozen=True)
class SenderConfig:
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout: float = 30.0
    mail_from: str = "MijnOverheid <noreply@mijnoverheid.example>"
    mail_domain: str = "mijnoverheid.example"
    batch_size: int = 100
    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 12
    backoff_base: float = 30.0
    backoff_cap: float = 6 * 3600.0
    bounce_retry_base: float = 3600.0
    """The first wait after the address was refused; doubling from there (capped), so that
    the refusals that lead to a letter lie hours apart, not seconds (rule 7)."""
    escalate_after_bounces: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> "SenderConfig":
        return cls(
            smtp_host=settings.smtp_host,
            smtp_port=settings.smtp_port,
            smtp_username=settings.smtp_username,
            smtp_password=settings.smtp_password,
            smtp_starttls=settings.smtp_starttls,
            smtp_timeout=settings.smtp_timeout_seconds,
            mail_from=settings.mail_from,
            mail_domain=settings.mail_domain,
            batch_size=settings.notify_batch_size,
            lease=timedelta(seconds=settings.notify_lease_seconds),
            max_attempts=settings.notify_max_attempts,
            backoff_base=settings.notify_backoff_base_seconds,
            backoff_cap=settings.notify_backoff_cap_seconds,
            bounce_retry_base=settings.notify_bounce_retry_seconds,
            escalate_after_bounces=settings.escalate_after_bounces,
        )


@dataclass
class SendReport:
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    bounced: int = 0
    failed: int = 0
    letters: int = 0
    lost_claims: int = 0
    """Outcomes not recorded because the lease had run out and another sender took the row."""
    released: int = 0
    """Claimed but handed back unsent because of a shutdown."""


def backoff_delay(attempts: int, base: float, cap: float, rng: random.Random) -> float:
    """Capped exponential backoff with "equal jitter": between half and all of the step."""
    step = min(cap, base * 2 ** max(0, attempts - 1))
    return step / 2 + rng.uniform(0, step / 2)


def message_id_header(notification_id: UUID, domain: str) -> str:
    """Stable per notification: every resend of one notification carries the same one."""
    return f"<{notification_id.hex}@{domain}>"


@dataclass
class Sender:
    uow: UnitOfWork
    clock: Clock
    authz: Authorizer
    config: SenderConfig
    rng: random.Random = field(default_factory=random.Random)
    after_send: Callable[[Notification], None] | None = None
    """Test hook: runs after the SMTP server accepted and before the outcome is recorded."""
    name: str = field(default_factory=lambda: f"sender-{uuid.uuid4().hex[:8]}")

    async def run_once(self, stop: asyncio.Event | None = None) -> SendReport:
        """Claim one batch and deliver it; returns what happened."""
        with logs.bound(request_id=logs.new_id(), sender=self.name):
            report = await self._run_once(stop)
            if report.claimed:
                log.info("batch delivered", **asdict(report))
                _count(report)
            return report

    async def _run_once(self, stop: asyncio.Event | None) -> SendReport:
        report = SendReport()
        token = uuid.uuid4()
        batch = self._claim(token)
        report.claimed = len(batch)
        if not batch:
            return report
        smtp: aiosmtplib.SMTP | None = None
        try:
            for position, notification in enumerate(batch):
                if stop is not None and stop.is_set():
                    report.released = self._release(batch[position:], token)
                    break
                try:
                    if smtp is None:
                        smtp = await self._connect()
                    await self._send(smtp, notification)
                except DeliveryFailed as failure:
                    if not failure.permanent:
                        await _close(smtp)
                        smtp = None
                    self._record_failure(notification, token, failure, report)
                    continue
                if self.after_send is not None:
                    self.after_send(notification)
                self._record_sent(notification, token, report)
        finally:
            await _close(smtp)
        return report

    async def run(self, *, idle_seconds: float = 5.0, stop: asyncio.Event | None = None) -> None:
        """Deliver until stopped; sleeps only when the outbox had nothing to claim."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            report = await self.run_once(stop)
            if report.claimed == 0:
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=idle_seconds)

    # --- claiming and recording -----------------------------------------------------------

    def _claim(self, token: UUID) -> Sequence[Notification]:
        now = self.clock.now()
        with self.uow() as session:
            due = (
                select(col(Notification.id))
                .where(
                    col(Notification.status).in_(CLAIMABLE),
                    col(Notification.available_at) <= now,
                )
                .order_by(col(Notification.available_at))
                .limit(self.config.batch_size)
                .with_for_update(skip_locked=True)
            )
            session.execute(
                update(Notification)
                .where(
                    col(Notification.id).in_(lockable_ids(session, due)),
                    # Checked again by the UPDATE itself: on SQLite (no SKIP LOCKED) two
                    # senders may pick the same ids, and only one UPDATE still matches.
                    col(Notification.status).in_(CLAIMABLE),
                    col(Notification.available_at) <= now,
                )
                .values(
                    status=NotificationStatus.SENDING,
                    available_at=now + self.config.lease,
                    claim_token=token,
                    attempts=col(Notification.attempts) + 1,
                )
                .execution_options(synchronize_session=False)
            )
            claimed = session.scalars(
                select(Notification)
                .where(col(Notification.claim_token) == token)
                .order_by(col(Notification.available_at), col(Notification.id))
                .execution_options(populate_existing=True)
            ).all()
            for notification in claimed:
                session.expunge(notification)
            return claimed

    def _release(self, rest: Sequence[Notification], token: UUID) -> int:
        """Hand claimed, unsent notifications back: claimable now, the attempt not counted."""
        with self.uow() as session:
            result = session.execute(
                update(Notification)
                .where(
                    col(Notification.id).in_([notification.id for notification in rest]),
                    col(Notification.claim_token) == token,
                    col(Notification.status) == NotificationStatus.SENDING,
                )
                .values(
                    status=NotificationStatus.PENDING,
                    available_at=self.clock.now(),
                    claim_token=None,
                    attempts=col(Notification.attempts) - 1,
                )
                .execution_options(synchronize_session=False)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    def _finish(self, session: Session, notification: Notification, token: UUID, **values) -> bool:
        result = session.execute(
            update(Notification)
            .where(
                col(Notification.id) == notification.id,
                col(Notification.claim_token) == token,
                col(Notification.status) == NotificationStatus.SENDING,
            )
            .values(claim_token=None, **values)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    def _record_sent(self, notification: Notification, token: UUID, report: SendReport) -> None:
        now = self.clock.now()
        with self.uow() as session:
            if not self._finish(
                session,
                notification,
                token,
                status=NotificationStatus.SENT,
                sent_at=now,
                last_attempt_at=now,
                last_outcome=AttemptOutcome.SENT,
                last_error=None,
            ):
                report.lost_claims += 1
                return
            if notification.recipient_kind == RecipientKind.OWNER:
                counter = session.get(BounceCount, notification.person_id)
                if counter is not None and (counter.consecutive or counter.escalated_address):
                    counter.consecutive = 0
                    counter.address = None
                    counter.escalated_address = None
        report.sent += 1

    def _record_failure(
        self,
        notification: Notification,
        token: UUID,
        failure: DeliveryFailed,
        report: SendReport,
    ) -> None:
        """A refusal of the address (5xx) is a bounce: counted, and retried like every other
        failure until ``max_attempts`` (rule 7: bounced notifications are retried)."""
        now = self.clock.now()
        exhausted = notification.attempts >= self.config.max_attempts
        if exhausted:
            status = NotificationStatus.BOUNCED if failure.permanent else NotificationStatus.FAILED
            available_at = now
        else:
            status = NotificationStatus.PENDING
            base = self.config.bounce_retry_base if failure.permanent else self.config.backoff_base
            delay = backoff_delay(notification.attempts, base, self.config.backoff_cap, self.rng)
            available_at = now + timedelta(seconds=delay)
        with self.uow() as session:
            if not self._finish(
                session,
                notification,
                token,
                status=status,
                available_at=available_at,
                last_attempt_at=now,
                last_outcome=AttemptOutcome.REFUSED
                if failure.permanent
                else AttemptOutcome.DEFERRED,
                last_error=failure.reason[:500],
            ):
                report.lost_claims += 1
                return
            owner = notification.recipient_kind == RecipientKind.OWNER
            if failure.permanent and owner and self._count_bounce(session, notification, now):
                report.letters += 1
        if status == NotificationStatus.PENDING:
            report.retried += 1
        elif status == NotificationStatus.BOUNCED:
            report.bounced += 1
        else:
            report.failed += 1

    def _count_bounce(self, session: Session, notification: Notification, now: datetime) -> bool:
        """One more refusal of the owner's address; at the threshold, the paper letter.

        The count is about one address: refusals of an address the person has since replaced
        do not count against the new one.
        """
        address = notification.email.lower()
        counter = session.get(BounceCount, notification.person_id, with_for_update=True)
        if counter is None:
            counter = BounceCount(person_id=notification.person_id)
            session.add(counter)
        if counter.address != address:
            counter.address = address
            counter.consecutive = 0
        counter.consecutive += 1
        counter.total += 1
        counter.last_bounce_at = now
        if counter.consecutive < self.config.escalate_after_bounces:
            return False
        if counter.escalated_address == address:
            return False  # the letter for this address went out; a working address resets it
        counter.escalated_address = address
        ctx = Ctx(
            session=session,
            actor=SystemActor(at=now, job="notification-sender"),
            clock=self.clock,
            authz=self.authz,
        )
        return escalate(ctx, notification.person_id, LetterReason.BOUNCED) is not None

    # --- SMTP -----------------------------------------------------------------------------

    async def _connect(self) -> aiosmtplib.SMTP:
        smtp = aiosmtplib.SMTP(
            hostname=self.config.smtp_host,
            port=self.config.smtp_port,
            timeout=self.config.smtp_timeout,
            start_tls=self.config.smtp_starttls,
            username=self.config.smtp_username,
            password=self.config.smtp_password,
        )
        try:
            await smtp.connect()
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"connect: {error}", permanent=False) from error
        return smtp

    async def _send(self, smtp: aiosmtplib.SMTP, notification: Notification) -> None:
        email = self.compose(notification)
        try:
            await smtp.send_message(email)
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [refused.code for refused in error.recipients]
            permanent = all(500 <= code < 600 for code in codes)
            detail = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
            raise DeliveryFailed(f"refused: {detail}", permanent=permanent) from error
        except aiosmtplib.SMTPResponseException as error:
            # A rejection of the message itself is not a bounce of the person's address.
            raise DeliveryFailed(f"{error.code} {error.message}", permanent=False) from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"smtp: {error}", permanent=False) from error

    def compose(self, notification: Notification) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.config.mail_from
        email["To"] = notification.email
        email["Subject"] = notification.subject
        email["Date"] = format_datetime(notification.created_at)
        email["Message-ID"] = message_id_header(notification.id, self.config.mail_domain)
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(notification.body)
        return email


def lockable_ids(session: Session, due: Select[Any]) -> Any:
    """The ids to claim: on PostgreSQL locked first (``FOR UPDATE SKIP LOCKED``) in their own
    statement, since a LIMIT subquery inside an UPDATE may be run more than once and claim
    more rows than asked; SQLite (one writer at a time) takes the subquery as it is."""
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(due))
    return due


def _count(report: SendReport) -> None:
    from machtigen.metrics import NOTIFICATIONS

    for outcome in ("sent", "retried", "bounced", "failed", "released"):
        value = getattr(report, outcome)
        if value:
            NOTIFICATIONS.labels(outcome=outcome).inc(value)


async def _close(smtp: aiosmtplib.SMTP | None) -> None:
    if smtp is None:
        return
    try:
        if smtp.is_connected:
            await smtp.quit()
    except (aiosmtplib.SMTPException, OSError):
        smtp.close()
