"""Failed logins in the audit log, without letting anyone fill it (issue 12 §5).

The first failure of a kind (same source address, means and reason) within a window is
audited at once, as ``login.failed``. Identical failures after it within the window are only
counted; when the window has passed, one ``login.failed`` event with ``repeated`` = their
count, the first and the last moment records them all. Windows that ended with repeats are
written out by the next failed or successful login from anywhere (``flush_ended``).

Every step is one conditional statement, so two workers never write the same event twice.
"""

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from machtigen.audit.service import record
from machtigen.authz.actors import AnonymousActor
from machtigen.context import Ctx, Origin
from machtigen.identity.models import LoginFailureTally

DEFAULT_WINDOW_SECONDS = 600
FLUSH_BATCH = 100


def record_failure(
    ctx: Ctx,
    means: str | None,
    loa: str | None,
    subject: str,
    reason: str,
    window_seconds: int = DEFAULT_WINDOW_SECONDS,
) -> bool:
    """Audit a failed login, or count it as a repeat; True when an event was written now."""
    window = timedelta(seconds=window_seconds)
    now, ip = ctx.now, ctx.origin.ip
    key = _key(ip, means, reason)
    flush_ended(ctx, window, exclude=key)
    for _attempt in range(3):
        if _count_repeat(ctx, key, now, window):
            return False
        if _start_window(ctx, key, means, reason, ip, now, window):
            _event(ctx, means, loa, subject, reason)
            return True
    return False  # another worker keeps winning the race: it wrote the event


def flush_ended(ctx: Ctx, window: timedelta, *, exclude: str | None = None) -> int:
    """Write the counted repeats of windows that have ended; forget windows without any."""
    now = ctx.now
    ended = ctx.session.scalars(
        select(LoginFailureTally)
        .where(col(LoginFailureTally.window_started_at) <= now - window)
        .order_by(col(LoginFailureTally.last_at))
        .limit(FLUSH_BATCH)
    ).all()
    written = 0
    for tally in ended:
        if tally.key == exclude:
            continue
        if tally.repeats and _claim_ended(ctx, tally):
            _repeats_event(ctx, tally)
            written += 1
    ctx.session.execute(
        delete(LoginFailureTally).where(
            col(LoginFailureTally.window_started_at) <= now - window,
            col(LoginFailureTally.repeats) == 0,
        )
    )
    return written


def _count_repeat(ctx: Ctx, key: str, now: datetime, window: timedelta) -> bool:
    counted = ctx.session.execute(
        update(LoginFailureTally)
        .where(
            col(LoginFailureTally.key) == key,
            col(LoginFailureTally.window_started_at) > now - window,
        )
        .values(repeats=LoginFailureTally.repeats + 1, last_at=now)
        .execution_options(synchronize_session=False)
    )
    return getattr(counted, "rowcount", 0) == 1


def _start_window(
    ctx: Ctx,
    key: str,
    means: str | None,
    reason: str,
    ip: str | None,
    now: datetime,
    window: timedelta,
) -> bool:
    """Open a new window for ``key``: a new row, or the ended one written out and reset."""
    tally = ctx.session.get(LoginFailureTally, key, populate_existing=True)
    if tally is None:
        try:
            with ctx.session.begin_nested():
                ctx.session.add(
                    LoginFailureTally(
                        key=key,
                        means=means or "",
                        reason=reason,
                        ip=ip,
                        window_started_at=now,
                        last_at=now,
                        repeats=0,
                    )
                )
        except IntegrityError:
            return False
        return True
    if tally.window_started_at > now - window:
        return False
    if not _claim_ended(ctx, tally, restart_at=now):
        return False
    if tally.repeats:
        _repeats_event(ctx, tally)
    return True


def _claim_ended(ctx: Ctx, tally: LoginFailureTally, restart_at: datetime | None = None) -> bool:
    """Take an ended window for writing out: only the worker whose UPDATE matches wins."""
    values: dict[str, object] = {"repeats": 0}
    if restart_at is not None:
        values.update(window_started_at=restart_at, last_at=restart_at)
    claimed = ctx.session.execute(
        update(LoginFailureTally)
        .where(
            col(LoginFailureTally.key) == tally.key,
            col(LoginFailureTally.window_started_at) == tally.window_started_at,
            col(LoginFailureTally.repeats) == tally.repeats,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return getattr(claimed, "rowcount", 0) == 1


def _event(ctx: Ctx, means: str | None, loa: str | None, subject: str, reason: str) -> None:
    actor = AnonymousActor(subject=subject[:64], at=ctx.now, means=means, loa=loa)
    record(ctx.as_actor(actor), "login.failed", subject_person_id=None, reason=reason)


def _repeats_event(ctx: Ctx, tally: LoginFailureTally) -> None:
    """One event for all repeats of a window, from the address they came from."""
    actor = AnonymousActor(subject="repeated", at=ctx.now, means=tally.means or None)
    source = Ctx(
        session=ctx.session,
        actor=actor,
        clock=ctx.clock,
        authz=ctx.authz,
        origin=Origin(ip=tally.ip, user_agent=None),
    )
    record(
        source,
        "login.failed",
        subject_person_id=None,
        reason=tally.reason,
        repeated=tally.repeats,
        first_at=tally.window_started_at.isoformat(),
        last_at=tally.last_at.isoformat(),
    )


def _key(ip: str | None, means: str | None, reason: str) -> str:
    return hashlib.sha256(f"{ip or '-'}|{means or '-'}|{reason}".encode()).hexdigest()
