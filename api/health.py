"""Liveness and readiness, answered even while every pooled connection is taken.

- ``/health/live``: the process answers; no I/O at all.
- ``/health/ready``: the database answers within 200 ms, its migrations are at the code's
  head, and Redis is up or the limits are degraded to in-process counters (still limiting).
- ``/health``: 200 when the database is reachable, 503 problem+json when not (as before).

The database is asked on a connection of its own (never the request pool) from a thread of
its own (never the request thread pool), so a probe never queues behind requests; at most
one probe runs at a time, and its answer is reused for ``PROBE_REUSE_SECONDS``. Admission
control lets these paths through untouched.
"""

import asyncio
import logging
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from api.problems import problem
from api.v1.ratelimit import StoreState
from machtigen.db import make_engine

log = logging.getLogger(__name__)

PROBE_DEADLINE_SECONDS = 0.2
PROBE_REUSE_SECONDS = 1.0
HEALTH_PATHS = frozenset({"/health", "/health/live", "/health/ready"})


@dataclass(frozen=True)
class ProbeResult:
    database: str
    """``reachable``, ``unreachable`` or ``slow`` (no answer within the deadline)."""
    revisions: tuple[str, ...] = ()
    at: float = 0.0

    @property
    def reachable(self) -> bool:
        return self.database == "reachable"


class DatabaseProbe:
    """``SELECT version_num FROM alembic_version`` on a one-connection engine of its own."""

    def __init__(self, url: str, heads: Sequence[str]) -> None:
        self.heads = frozenset(heads)
        self._engine: Engine = make_engine(
            url,
            statement_timeout_ms=int(PROBE_DEADLINE_SECONDS * 1000),
            pool_size=1,
            max_overflow=0,
            pool_timeout=PROBE_DEADLINE_SECONDS,
        )
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="health-probe")
        self._running: Future[ProbeResult] | None = None
        self._last: ProbeResult | None = None

    async def result(self) -> ProbeResult:
        """The latest answer when fresh; else a new one within the deadline, or ``slow``."""
        now = time.monotonic()
        if self._last is not None and now - self._last.at < PROBE_REUSE_SECONDS:
            return self._last
        if self._running is None or self._running.done():
            self._running = self._thread.submit(self._probe)
        try:
            return await asyncio.wait_for(
                asyncio.shield(asyncio.wrap_future(self._running)), PROBE_DEADLINE_SECONDS
            )
        except TimeoutError:
            return ProbeResult("slow", at=now)

    def at_head(self, result: ProbeResult) -> bool:
        return result.reachable and frozenset(result.revisions) == self.heads

    def _probe(self) -> ProbeResult:
        try:
            with self._engine.connect() as connection:
                rows = connection.execute(text("SELECT version_num FROM alembic_version"))
                revisions = tuple(sorted(str(row[0]) for row in rows))
            result = ProbeResult("reachable", revisions, time.monotonic())
        except SQLAlchemyError as error:
            log.warning("readiness: the database did not answer: %s", type(error).__name__)
            result = ProbeResult("unreachable", at=time.monotonic())
        self._last = result
        return result

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)
        self._engine.dispose()


def migration_heads() -> tuple[str, ...]:
    """The newest migration(s) this code ships."""
    from alembic.script import ScriptDirectory

    from machtigen.migrate import alembic_config

    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


router = APIRouter(tags=["operations"])


@router.get("/health/live", summary="The process answers (no I/O)")
async def live() -> JSONResponse:
    return JSONResponse({"status": "alive"})


@router.get("/health/ready", summary="Ready for traffic: database, migrations, Redis")
async def ready(request: Request) -> JSONResponse:
    probe: DatabaseProbe = request.app.state.database_probe
    result = await probe.result()
    redis = _REDIS_STATES[request.app.state.rate_limiter.state]
    checks: dict[str, Any] = {
        "database": result.database,
        "migrations": _migrations(probe, result),
        "redis": redis,
    }
    if checks["database"] != "reachable" or checks["migrations"] != "at head":
        return problem(
            503, "Not ready", "The database is not reachable or not migrated.", checks=checks
        )
    status = "degraded" if redis == _REDIS_STATES[StoreState.DEGRADED] else "ready"
    return JSONResponse({"status": status, **checks})


_REDIS_STATES = {
    StoreState.UP: "up",
    StoreState.DEGRADED: "degraded: rate limits counted in this process",
    StoreState.IN_PROCESS: "not configured",
}


def _migrations(probe: DatabaseProbe, result: ProbeResult) -> str:
    if not result.reachable:
        return "unknown"
    return "at head" if probe.at_head(result) else "not at head"


@router.get("/health", summary="The database is reachable")
async def health(request: Request) -> JSONResponse:
    result = await request.app.state.database_probe.result()
    if not result.reachable:
        return problem(503, "Service unavailable", "The database is not reachable.")
    return JSONResponse({"status": "ok", "database": "reachable"})
