"""Requests-per-second limits: the second line behind admission control (``api/admission.py``).

Counters live in Redis when ``MACHTIGEN_REDIS_URL`` is set (shared by every worker), in
memory otherwise (per process). A client over its rate gets 429 with Retry-After; the others
are not affected (DOMAIN.md rule 16, the DigiD outage of 1 March 2023).

A failing Redis degrades the limits but never switches them off: every call has a short
connect and socket timeout and no retries, so a slow Redis adds at most that timeout; after a
few consecutive failures a circuit breaker opens and the limits are counted in this process
(each worker then limits on its own) until a trial call finds Redis back.

Every request is also counted in this process. The count of one worker can only be lower
than the shared one, so a client already over its rate here is over it everywhere:
admission control asks ``over_rate_here`` and refuses such a client at once, without I/O
(a flood's refusals then cost no Redis call and no thread).
"""

import logging
import math
import threading
import time
from collections.abc import Callable
from enum import StrEnum
from functools import lru_cache
from typing import Any

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from api.overload import Refusal
from machtigen.errors import MachtigenError

log = logging.getLogger(__name__)

KEY_PREFIX = "machtigen-limits"


class RateLimited(MachtigenError):
    status_code = 429
    title = "Too many requests"
    refusal = Refusal.RATE_LIMITED

    def __init__(self, reset_in_seconds: int) -> None:
        super().__init__(
            f"This client's rate is used up; retry after the Retry-After header's seconds"
            f" (the window resets in about {reset_in_seconds} s)."
        )
        self.reset_in_seconds = reset_in_seconds
        self.client_id: str | None = None
        """The machine client over its rate, when the limit is a client's (for the metrics)."""


class StoreState(StrEnum):
    UP = "up"
    """Redis answers: the counters are shared by every worker and host."""
    DEGRADED = "degraded"
    """Redis failed: counted in this process until it is back (each worker limits alone)."""
    IN_PROCESS = "in-process"
    """No Redis configured: counted in each process."""


class CircuitBreaker:
    """Closed while calls succeed; open after ``failures`` in a row; after ``reset_seconds``
    one trial call (half-open) decides whether it closes again or stays open."""

    def __init__(
        self,
        failures: int,
        reset_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failures = failures
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._consecutive = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    def allow(self) -> bool:
        """May this call go to the protected store? (At most one trial while open.)"""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._trial_running or self._clock() - self._opened_at < self.reset_seconds:
                return False
            self._trial_running = True
            return True

    def succeeded(self) -> None:
        with self._lock:
            was_open = self._opened_at is not None
            self._consecutive = 0
            self._opened_at = None
            self._trial_running = False
        if was_open:
            log.warning("rate-limit store answers again; shared limits restored")

    def failed(self) -> None:
        with self._lock:
            self._consecutive += 1
            opening = self._opened_at is None and self._consecutive >= self.failures
            if opening or self._trial_running:
                self._opened_at = self._clock()
            self._trial_running = False
        if opening:
            log.warning(
                "rate-limit store failed %d times; limiting in process for at least %.0f s",
                self.failures,
                self.reset_seconds,
            )


class LocalWindows(MemoryStorage):
    """This process's counters for the sliding-window-counter strategy of ``limits``: the
    same windows and arithmetic as its ``MemoryStorage`` (windows aligned on multiples of
    the period, the previous window weighted by the part of it still in view), held in one
    dict under one lock. ``MemoryStorage`` expires its keys from a timer thread that it
    starts anew every few milliseconds while requests come in, which cost more than the
    count itself; here a window two periods old is dropped in a sweep at most once a
    second. (A ``MemoryStorage`` only for the strategy's type check: its own counters stay
    unused.)"""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self._clock = clock
        self._counts: dict[tuple[str, int, int], int] = {}
        self._guard = threading.Lock()
        self._next_sweep = 0.0

    def _window(self, key: str, expiry: int, now: float) -> tuple[int, float, int, float]:
        window = int(now // expiry)
        previous = self._counts.get((key, expiry, window - 1), 0)
        current = self._counts.get((key, expiry, window), 0)
        previous_ttl = 0.0 if previous == 0 else (1 - (((now - expiry) / expiry) % 1)) * expiry
        current_ttl = (1 - ((now / expiry) % 1)) * expiry + expiry
        return previous, previous_ttl, current, current_ttl

    def get_sliding_window(self, key: str, expiry: int) -> tuple[int, float, int, float]:
        return self._window(key, expiry, self._clock())

    def acquire_sliding_window_entry(
        self, key: str, limit: int, expiry: int, amount: int = 1
    ) -> bool:
        if amount > limit:
            return False
        now = self._clock()
        with self._guard:
            previous, previous_ttl, current, _ = self._window(key, expiry, now)
            if math.floor(previous * previous_ttl / expiry + current) + amount > limit:
                return False
            self._counts[(key, expiry, int(now // expiry))] = current + amount
            if now >= self._next_sweep:
                self._sweep(now)
        return True

    def clear_sliding_window(self, key: str, expiry: int) -> None:
        with self._guard:
            for held in [held for held in self._counts if held[:2] == (key, expiry)]:
                del self._counts[held]

    def _sweep(self, now: float) -> None:
        for held in [held for held in self._counts if (held[2] + 2) * held[1] <= now]:
            del self._counts[held]
        self._next_sweep = now + 1.0

    def __len__(self) -> int:
        return len(self._counts)


@lru_cache(maxsize=64)
def rate(limit: str) -> RateLimitItem:
    """A limit in the ``limits`` notation (``30/second``), parsed once."""
    return parse(limit)


class RateLimiter:
    """Per-client and per-IP rate limits over Redis, falling back to in-process counters."""

    def __init__(
        self,
        per_client: str,
        per_ip: str,
        redis_url: str | None = None,
        *,
        timeout_seconds: float = 0.05,
        breaker_failures: int = 3,
        breaker_reset_seconds: float = 5.0,
        key_prefix: str = KEY_PREFIX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._per_client = rate(per_client)
        self._per_ip = rate(per_ip)
        self._local = SlidingWindowCounterRateLimiter(LocalWindows())
        self._shared: SlidingWindowCounterRateLimiter | None = None
        self.breaker = CircuitBreaker(breaker_failures, breaker_reset_seconds, clock)
        if redis_url:
            self._shared = SlidingWindowCounterRateLimiter(
                _redis_storage(redis_url, timeout_seconds, key_prefix)
            )

    @property
    def state(self) -> StoreState:
        if self._shared is None:
            return StoreState.IN_PROCESS
        return StoreState.DEGRADED if self.breaker.is_open else StoreState.UP

    def check_client(self, client_id: str) -> None:
        """A machine client's own rate (``MACHTIGEN_RATE_LIMIT_PER_CLIENT``)."""
        try:
            self.check(self._per_client, "client", client_id)
        except RateLimited as over:
            over.client_id = client_id
            raise

    def check_ip(self, ip: str, *, scope: str = "token-ip", limit: str | None = None) -> None:
        """A per-address rate: the token endpoint's by default; other callers (e.g. /auth)
        name their own ``scope`` and ``limit`` so that their counters stay apart."""
        self.check(rate(limit) if limit else self._per_ip, scope, ip)

    def over_rate_here(self, client_id: str) -> int | None:
        """Seconds until the window resets when this process alone has already counted the
        client's whole rate (so it is over it everywhere); else None. No I/O."""
        if self._local.test(self._per_client, "client", client_id):
            return None
        reset = self._local.get_window_stats(self._per_client, "client", client_id).reset_time
        return max(1, math.ceil(reset - time.time()))

    def check(self, item: RateLimitItem, *keys: str) -> None:
        """Count one request against ``item`` for ``keys``; ``RateLimited`` when over it.

        Counted here always (the fallback's counts are then warm when Redis fails) and in
        Redis while the breaker lets calls through; Redis decides while it answers."""
        allowed = self._local.hit(item, *keys)
        decided_by = self._local
        if self._shared is not None and self.breaker.allow():
            try:
                allowed = self._shared.hit(item, *keys)
                decided_by = self._shared
            except Exception:  # any store failure: the count here decides
                self._store_failed()
            else:
                self.breaker.succeeded()
        if allowed:
            return
        try:
            reset = decided_by.get_window_stats(item, *keys).reset_time
        except Exception:  # the store failed between the two calls
            reset = self._local.get_window_stats(item, *keys).reset_time
        raise RateLimited(max(1, math.ceil(reset - time.time())))

    def _store_failed(self) -> None:
        log.debug("rate-limit store call failed", exc_info=True)
        self.breaker.failed()


def _redis_storage(url: str, timeout_seconds: float, key_prefix: str) -> RedisStorage:
    """Redis with short timeouts and no retries: redis-py would otherwise retry three times
    with backoff, turning one slow call into seconds."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    options: dict[str, Any] = {
        "socket_timeout": timeout_seconds,
        "socket_connect_timeout": timeout_seconds,
        "retry": Retry(NoBackoff(), 0),
        "health_check_interval": 0,
    }
    return RedisStorage(url, key_prefix=key_prefix, **options)
