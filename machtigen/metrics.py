"""Prometheus metrics (prometheus-client), served apart from the public app.

**Several workers.** ``machtigen serve`` sets ``PROMETHEUS_MULTIPROC_DIR`` (the setting
``metrics_dir``, emptied at start) before any worker imports prometheus-client, so every
worker writes its counters, histograms and gauges to files there, and one endpoint in the
supervising process (``metrics_host``:``metrics_port``, never the public port) adds them up
(``MultiProcessCollector``). A worker that died is dropped from the live gauges when the
endpoint is scraped. Without the variable (tests, one-off commands) the metrics stay in
the process's own registry.

**The database's state** (the outbox, letters waiting, the sealer's lag) is read when the
endpoint is scraped, by ``DatabaseCollector``, with a time limit and a cache: it is the same
whichever process asks, and it needs no job to be running.
"""

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

HTTP_REQUESTS = Counter(
    "machtigen_http_requests",
    "Requests answered, by route template, method, status and client",
    ["route", "method", "status", "client"],
)
HTTP_LATENCY = Histogram(
    "machtigen_http_request_duration_seconds",
    "Time from the request's arrival to the end of its response, by route template",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
LIMITER_REJECTIONS = Counter(
    "machtigen_limiter_rejections",
    "Requests refused by a rate limit or admission control, by reason and client",
    ["reason", "client"],
)
POOL_IN_USE = Gauge(
    "machtigen_db_pool_connections_in_use",
    "Database connections checked out of the pool",
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    "machtigen_db_pool_waiting",
    "Threads waiting for a database connection from the pool",
    multiprocess_mode="livesum",
)
POOL_CHECKOUT = Histogram(
    "machtigen_db_pool_checkout_seconds",
    "Time to get a connection from the pool (waiting included)",
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
NOTIFICATIONS = Counter(
    "machtigen_notifications",
    "Notification outcomes in this sender: sent, retried, bounced, failed",
    ["outcome"],
)


def record_rejection(reason: str, client: str | None) -> None:
    """One request refused by a limit (``client_rate``, ``token_ip``, admission …)."""
    LIMITER_REJECTIONS.labels(reason=reason, client=client or "-").inc()


def instrument_pool(engine: Any) -> None:
    """Count connections in use and threads waiting for one, for this engine's pool."""
    from sqlalchemy import event

    pool = engine.pool
    if getattr(pool, "_machtigen_instrumented", False):
        return
    pool._machtigen_instrumented = True
    get = pool._do_get

    def timed_get() -> Any:
        POOL_WAITING.inc()
        started = time.perf_counter()
        try:
            return get()
        finally:
            POOL_WAITING.dec()
            POOL_CHECKOUT.observe(time.perf_counter() - started)

    pool._do_get = timed_get
    event.listen(pool, "checkout", lambda *_: POOL_IN_USE.inc())
    event.listen(pool, "checkin", lambda *_: POOL_IN_USE.dec())


# --- the endpoint ------------------------------------------------------------------------


def prepare_multiprocess(directory: str) -> None:
    """Before the workers start: an empty directory, named in the environment they inherit."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for old in path.glob("*.db"):
        old.unlink()
    os.environ[MULTIPROC_VARIABLE] = str(path.resolve())


class DeadWorkerSweeper(Collector):
    """Drops the live gauges of workers that died (uvicorn starts new ones)."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def collect(self) -> Iterator[Any]:
        from prometheus_client import multiprocess

        for file in self.directory.glob("gauge_live*_*.db"):
            pid = file.stem.rsplit("_", 1)[-1]
            if pid.isdigit() and not _alive(int(pid)):
                multiprocess.mark_process_dead(int(pid), str(self.directory))
        return iter(())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time (cached ``ttl`` seconds)."""

    def __init__(self, database_url: str, ttl: float = 10.0) -> None:
        self.database_url = database_url
        self.ttl = ttl
        self._engine: Any = None
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[str, float]] = (0.0, {})

    def collect(self) -> Iterator[Any]:
        values = self._values()
        descriptions = {
            "machtigen_notifications_outbox": "Notifications not yet delivered (pending, sending)",
            "machtigen_letters_waiting": "Paper letters recorded but not yet written",
            "machtigen_audit_unsealed_events": "Audit events after the last checkpoint",
            "machtigen_audit_seal_lag_seconds": "Age of the oldest audit event not yet sealed",
            "machtigen_metrics_database_up": "1 when the database answered the last scrape",
        }
        for name, description in descriptions.items():
            if name in values:
                yield GaugeMetricFamily(name, description, value=values[name])

    def _values(self) -> dict[str, float]:
        with self._lock:
            at, cached = self._cached
            if time.monotonic() - at < self.ttl:
                return cached
            try:
                values = {**database_state(self._connect()), "machtigen_metrics_database_up": 1.0}
            except Exception:  # a scrape must answer even when the database does not
                values = {"machtigen_metrics_database_up": 0.0}
            self._cached = (time.monotonic(), values)
            return values

    def _connect(self) -> Any:
        if self._engine is None:
            from machtigen.db import make_engine

            options: dict[str, Any] = {"pool_size": 1, "max_overflow": 0}
            if self.database_url.startswith("postgresql"):
                options["connect_args"] = {"options": "-c statement_timeout=2000"}
            else:
                options = {}
            self._engine = make_engine(self.database_url, **options)
        return self._engine


CAP = 1_000_000
"""Counts stop at this many rows: a scrape never scans a backlog to its end."""


def database_state(bind: Any) -> dict[str, float]:
    """The gauges' values, read through an engine (or an open connection)."""
    from contextlib import nullcontext
    from datetime import UTC, datetime

    from sqlalchemy import Connection, text

    opened = nullcontext(bind) if isinstance(bind, Connection) else bind.connect()
    with opened as connection:
        last = connection.scalar(
            text("SELECT last_seq FROM audit_checkpoint ORDER BY tree_size DESC LIMIT 1")
        )
        last = int(last or 0)
        unsealed = connection.scalar(
            text("SELECT count(*) FROM (SELECT 1 FROM audit_event WHERE seq > :last LIMIT :cap) t"),
            {"last": last, "cap": CAP},
        )
        oldest = connection.execute(
            text("SELECT occurred_at FROM audit_event WHERE seq > :last ORDER BY seq LIMIT 1"),
            {"last": last},
        ).scalar()
        outbox = connection.scalar(
            text(
                "SELECT count(*) FROM (SELECT 1 FROM notification"
                " WHERE status IN ('pending', 'sending') LIMIT :cap) t"
            ),
            {"cap": CAP},
        )
        letters = connection.scalar(
            text(
                "SELECT count(*) FROM (SELECT 1 FROM letter WHERE status = 'pending' LIMIT :cap) t"
            ),
            {"cap": CAP},
        )
    lag = 0.0
    if oldest is not None:
        if isinstance(oldest, str):
            oldest = datetime.fromisoformat(oldest)
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        lag = max(0.0, (datetime.now(UTC) - oldest).total_seconds())
    return {
        "machtigen_notifications_outbox": float(outbox or 0),
        "machtigen_letters_waiting": float(letters or 0),
        "machtigen_audit_unsealed_events": float(unsealed or 0),
        "machtigen_audit_seal_lag_seconds": lag,
    }


def endpoint_registry(database_url: str | None) -> CollectorRegistry:
    """What the metrics endpoint serves: every worker's metrics (multiprocess mode) or this
    process's, and the database's state."""
    from prometheus_client import REGISTRY, multiprocess

    directory = os.environ.get(MULTIPROC_VARIABLE)
    if directory:
        registry = CollectorRegistry()
        registry.register(DeadWorkerSweeper(directory))
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry = REGISTRY
    if database_url:
        registry.register(DatabaseCollector(database_url))
    return registry


def serve_metrics(host: str, port: int, database_url: str | None) -> Any:
    """Start the endpoint in a thread of this process; returns the server (``shutdown()``)."""
    from prometheus_client import start_http_server

    server, _thread = start_http_server(port, addr=host, registry=endpoint_registry(database_url))
    return server
