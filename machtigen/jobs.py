"""``machtigen jobs``: the periodic tasks, safe from cron on several hosts at once.

Each job holds a lease on its own ``job_lease`` row (a conditional UPDATE: one host wins,
the others skip it while the lease runs) and keeps a watermark: the moment up to which
it has done its work. A run handles only what became due since the watermark, in
batches, each batch one transaction with its audit events. Every act is also guarded
per row (a message is reminded once, covered by one letter; a mandate expires once), so
a run cut short and run again, or two runs after each other, do nothing twice.

A shutdown (SIGTERM) is asked through ``should_stop``: the batch in hand commits, the job's
lease is released without moving its watermark, and the jobs not started are skipped.
"""

import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session
from sqlmodel import col

from machtigen import logs
from machtigen.accounts.models import Account, AccountState
from machtigen.audit.seal import Sealer
from machtigen.audit.service import record_about
from machtigen.authz.actors import SystemActor
from machtigen.authz.engine import Authorizer
from machtigen.clock import Clock
from machtigen.config import Settings
from machtigen.consents.models import Channel, Consent
from machtigen.context import Ctx
from machtigen.leases import JobLease, ensure_lease_row
from machtigen.mandates.models import LegalMeasure
from machtigen.mandates.service import apply_measure_to_mandates, expire_due
from machtigen.messages.models import Message
from machtigen.notifications.follow_up import read_by_owner
from machtigen.notifications.letters import (
    LetterSender,
    LettersNotConfigured,
    letter_sender,
    write_pending_letters,
)
from machtigen.notifications.models import LetterReason, MessageFollowUp
from machtigen.notifications.outbox import remind
from machtigen.notifications.paper import escalate
from machtigen.notifications.sender import UnitOfWork
from machtigen.retention import RetentionConfig, ensure_audit_partitions, purge_expired

log = logs.get_logger("machtigen.jobs")

JOB_NAMES = (
    "expire_mandates",
    "start_measures",
    "untick_transitions",
    "reminders",
    "escalate_unvisited",
    "write_letters",
    "purge_expired",
    "audit_partitions",
    "audit_seal",
)


class JobStopped(Exception):
    """A shutdown was asked for between two batches."""

    def __init__(self, done: int = 0) -> None:
        super().__init__("stopped on request")
        self.done = done


@dataclass(frozen=True)
class JobsConfig:
    reminder_days: int = 21
    escalate_unvisited_days: int = 60
    letters_dir: Path = Path("var/letters")
    letter_sender: LetterSender | None = None
    """Printed on every letter; None: ``write_letters`` refuses (``letters_refused`` says why)
    and the letters wait, pending, until it is configured."""
    letters_refused: str = "the sender of the letters is not configured"
    lease: timedelta = timedelta(minutes=15)
    batch_size: int = 500
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    partition_months_ahead: int = 3

    @classmethod
    def from_settings(cls, settings: Settings) -> "JobsConfig":
        sender: LetterSender | None = None
        refused = cls.letters_refused
        try:
            sender = letter_sender(settings)
        except LettersNotConfigured as missing:
            refused = str(missing)
        return cls(
            reminder_days=settings.reminder_days,
            escalate_unvisited_days=settings.escalate_unvisited_days,
            letters_dir=Path(settings.letters_dir),
            letter_sender=sender,
            letters_refused=refused,
            lease=timedelta(seconds=settings.job_lease_seconds),
            batch_size=settings.job_batch_size,
            retention=RetentionConfig.from_settings(settings),
            partition_months_ahead=settings.audit_partition_months_ahead,
        )


class JobRefused(Exception):
    """A job that cannot do its work as configured; the other jobs still run."""


@dataclass
class JobResult:
    name: str
    ran: bool
    done: int = 0
    """How many acts (expiries, reminders, letters, ...) this run did."""
    refused: str | None = None
    """Why the job did nothing although it held the lease (a missing setting)."""
    stopped: bool = False
    """Cut short by a shutdown: the watermark stayed; the next run goes on from there."""


@dataclass
class Jobs:
    uow: UnitOfWork
    clock: Clock
    authz: Authorizer
    config: JobsConfig = field(default_factory=JobsConfig)
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}-{uuid.uuid4().hex[:8]}")
    sealer: Sealer | None = None
    """Seals the audit events the other jobs (and everyone else) wrote; last, on purpose."""
    should_stop: Callable[[], bool] = lambda: False
    """Asked between batches (SIGTERM): True ends the run after the batch in hand."""

    def run(self, only: tuple[str, ...] = JOB_NAMES) -> list[JobResult]:
        tasks: dict[str, Callable[[datetime | None, datetime], tuple[int, datetime]]] = {
            "expire_mandates": self._expire_mandates,
            "start_measures": self._start_measures,
            "untick_transitions": self._untick_transitions,
            "reminders": self._reminders,
            "escalate_unvisited": self._escalate_unvisited,
            "write_letters": self._write_letters,
            "purge_expired": self._purge_expired,
            "audit_partitions": self._audit_partitions,
            "audit_seal": self._audit_seal,
        }
        results = []
        for name in only:
            if self.should_stop():
                results.append(JobResult(name, ran=False, stopped=True))
                continue
            with logs.bound(request_id=logs.new_id(), job=name):
                started = time.monotonic()
                result = self._run_job(name, tasks[name])
                log.info(
                    "job finished" if result.ran else "job skipped: another host holds it",
                    done=result.done,
                    stopped=result.stopped,
                    duration_ms=round((time.monotonic() - started) * 1000, 1),
                )
            results.append(result)
        return results

    # --- the lease ------------------------------------------------------------------------

    def _run_job(
        self, name: str, task: Callable[[datetime | None, datetime], tuple[int, datetime]]
    ) -> JobResult:
        now = self.clock.now()
        with self.uow() as session:
            ensure_lease_row(session, name)
            claimed = session.execute(
                update(JobLease)
                .where(
                    col(JobLease.name) == name,
                    or_(col(JobLease.lease_until).is_(None), col(JobLease.lease_until) <= now),
                )
                .values(holder=self.holder, lease_until=now + self.config.lease)
                .execution_options(synchronize_session=False)
            )
            if not getattr(claimed, "rowcount", 0):
                return JobResult(name, ran=False)
            watermark = session.scalar(
                select(col(JobLease.watermark)).where(col(JobLease.name) == name)
            )
        finished: dict[str, Any] = {}
        try:
            done, new_watermark = task(watermark, now)
            finished = {"watermark": new_watermark, "last_run_at": now}
        except JobRefused as refused:
            return JobResult(name, ran=True, refused=str(refused))
        except JobStopped as stopped:
            return JobResult(name, ran=True, done=stopped.done, stopped=True)
        finally:
            # Released (and, after success, moved on) only by the holder: a run whose lease
            # ran out and was taken over leaves the newer holder's state alone.
            with self.uow() as session:
                session.execute(
                    update(JobLease)
                    .where(col(JobLease.name) == name, col(JobLease.holder) == self.holder)
                    .values(lease_until=None, **finished)
                    .execution_options(synchronize_session=False)
                )
        return JobResult(name, ran=True, done=done)

    def _ctx(self, session: Session, job: str) -> Ctx:
        return Ctx(
            session=session,
            actor=SystemActor(at=self.clock.now(), job=f"jobs.{job}"),
            clock=self.clock,
            authz=self.authz,
        )

    # --- the jobs -------------------------------------------------------------------------

    def _expire_mandates(self, _watermark: datetime | None, now: datetime) -> tuple[int, datetime]:
        with self.uow() as session:
            return expire_due(self._ctx(session, "expire_mandates")), now

    def _start_measures(self, watermark: datetime | None, now: datetime) -> tuple[int, datetime]:
        """Measures recorded before they started: their effect on mandates begins now."""
        statement = select(LegalMeasure).where(
            col(LegalMeasure.starts_at) <= now,
            col(LegalMeasure.recorded_at) < col(LegalMeasure.starts_at),
        )
        if watermark is not None:
            statement = statement.where(col(LegalMeasure.starts_at) > watermark)
        lapsed = 0
        with self.uow() as session:
            ctx = self._ctx(session, "start_measures")
            for measure in session.scalars(statement.order_by(col(LegalMeasure.starts_at))):
                lapsed += apply_measure_to_mandates(ctx, measure)
        return lapsed, now

    def _untick_transitions(
        self, watermark: datetime | None, now: datetime
    ) -> tuple[int, datetime]:
        """An untick counts for delivery from ``effective_at``: note it in the person's trail."""
        statement = select(Consent).where(
            col(Consent.effective_at) <= now,
            col(Consent.opted_in).is_(False),
            col(Consent.previous_opted_in).is_(True),
        )
        if watermark is not None:
            statement = statement.where(col(Consent.effective_at) > watermark)
        return self._in_batches(
            statement,
            (col(Consent.effective_at), col(Consent.id)),
            "untick_transitions",
            self._note_untick,
        ), now

    def _note_untick(self, ctx: Ctx, consent: Consent) -> int:
        record_about(
            ctx,
            "consent.untick_effective",
            consent,
            afnemer_id=consent.afnemer_id,
            effective_at=consent.effective_at.isoformat(),
        )
        return 1

    def _reminders(self, watermark: datetime | None, now: datetime) -> tuple[int, datetime]:
        """Messages that turned ``reminder_days`` old unread since the last run: one reminder."""
        cutoff = now - timedelta(days=self.config.reminder_days)
        if watermark is not None and cutoff <= watermark:
            return 0, watermark
        statement = _unread_and_due(cutoff, watermark).where(
            col(Account.repeat_reminders).is_(True),
            _no_follow_up_yet(col(MessageFollowUp.reminded_at)),
        )
        done = self._in_batches(
            statement,
            (col(Message.received_at), col(Message.id)),
            "reminders",
            self._remind,
        )
        return done, cutoff

    def _remind(self, ctx: Ctx, message: Message) -> int:
        remind(ctx, message)
        return 1

    def _escalate_unvisited(
        self, watermark: datetime | None, now: datetime
    ) -> tuple[int, datetime]:
        """Unread, and no visit since it arrived, for the configured time: a paper letter."""
        cutoff = now - timedelta(days=self.config.escalate_unvisited_days)
        if watermark is not None and cutoff <= watermark:
            return 0, watermark
        statement = _unread_and_due(cutoff, watermark).where(
            col(Account.state) == AccountState.ACTIVATED,
            or_(
                col(Account.last_visit_at).is_(None),
                col(Account.last_visit_at) < col(Message.received_at),
            ),
            _no_follow_up_yet(col(MessageFollowUp.letter_id)),
        )

        def letter_for(ctx: Ctx, message: Message) -> int:
            letter = escalate(ctx, message.person_id, LetterReason.UNVISITED, received_until=cutoff)
            return 0 if letter is None else 1

        done = self._in_batches(
            statement, (col(Message.received_at), col(Message.id)), "escalate_unvisited", letter_for
        )
        return done, cutoff

    def _write_letters(self, _watermark: datetime | None, now: datetime) -> tuple[int, datetime]:
        """Never a letter with a placeholder for the sender: without one, nothing is written."""
        sender = self.config.letter_sender
        if sender is None:
            raise JobRefused(self.config.letters_refused)
        written = write_pending_letters(
            self.uow,
            self.clock,
            self.authz,
            self.config.letters_dir,
            sender,
            lease=self.config.lease,
            should_stop=self.should_stop,
        )
        if self.should_stop():
            raise JobStopped(written)
        return written, now

    def _purge_expired(self, _watermark: datetime | None, now: datetime) -> tuple[int, datetime]:
        purged = purge_expired(self.uow, now, self.config.retention, self.should_stop)
        log.info(
            "purged",
            assertions=purged.assertions,
            sessions=purged.sessions,
            notifications=purged.notifications,
        )
        if self.should_stop():
            raise JobStopped(purged.total)
        return purged.total, now

    def _audit_partitions(self, _watermark: datetime | None, now: datetime) -> tuple[int, datetime]:
        made = ensure_audit_partitions(self.uow, now.date(), self.config.partition_months_ahead)
        return made, now

    def _audit_seal(self, _watermark: datetime | None, now: datetime) -> tuple[int, datetime]:
        if self.sealer is None:
            return 0, now
        report = self.sealer.run()
        if report.stopped:
            raise JobStopped(report.sealed)
        return report.sealed, now

    def _in_batches(
        self,
        statement: Any,
        order: tuple[Any, Any],
        job: str,
        act: Callable[[Ctx, Any], int],
    ) -> int:
        """Keyset pagination over ``statement``; each batch is one transaction.

        Rows an earlier batch changed so that they no longer match (reminded, in a letter)
        drop out by themselves; the keyset moves past the others.
        """
        done = 0
        last: tuple[Any, Any] | None = None
        first, second = order
        while True:
            if self.should_stop():
                raise JobStopped(done)
            page = statement
            if last is not None:
                page = page.where(or_(first > last[0], (first == last[0]) & (second > last[1])))
            with self.uow() as session:
                rows = session.scalars(
                    page.order_by(first, second).limit(self.config.batch_size)
                ).all()
                if not rows:
                    return done
                ctx = self._ctx(session, job)
                for row in rows:
                    done += act(ctx, row)
                last_row = rows[-1]
                last = (
                    getattr(last_row, first.key),
                    getattr(last_row, second.key),
                )


def _unread_and_due(cutoff: datetime, watermark: datetime | None) -> Any:
    """Mailbox messages the owner has not read, that arrived by ``cutoff`` (after ``watermark``)."""
    statement = (
        select(Message)
        .join(Account, col(Account.person_id) == col(Message.person_id))
        .where(
            col(Message.received_at) <= cutoff,
            col(Message.channel) != Channel.PAPER,
            col(Message.archived_at).is_(None),
            ~read_by_owner(),
        )
    )
    if watermark is not None:
        statement = statement.where(col(Message.received_at) > watermark)
    return statement


def _no_follow_up_yet(done: Any) -> Any:
    """The message has not had this follow-up yet: its ``MessageFollowUp`` column (a reminder's
    moment, a letter) is not set."""
    return ~exists().where(col(MessageFollowUp.message_id) == col(Message.id), done.is_not(None))
