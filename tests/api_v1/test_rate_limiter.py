"""The limiter: per-client shares, counters shared through Redis, and what happens when Redis
is down or frozen (it degrades to in-process counters that still limit; it never lets a flood
through)."""

import threading
import time
import uuid

import pytest

from api.v1.ratelimit import CircuitBreaker, RateLimited, RateLimiter, StoreState
from tests.peers import closed_port, free_port, redis_server, silent_peer


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter_on(url: str | None, clock=None, **options) -> RateLimiter:
    return RateLimiter(
        "2/minute",
        "5/minute",
        url,
        key_prefix=f"test-{uuid.uuid4().hex}",
        clock=clock or FakeClock(),
        **options,
    )


def test_each_client_has_its_own_share_in_memory():
    limiter = RateLimiter("2/minute", "5/minute")
    limiter.check_client("a")
    limiter.check_client("a")
    with pytest.raises(RateLimited) as refused:
        limiter.check_client("a")
    assert 1 <= refused.value.reset_in_seconds <= 60
    limiter.check_client("b")
    assert limiter.state == StoreState.IN_PROCESS


def test_per_ip_limits_of_different_callers_are_counted_apart():
    limiter = RateLimiter("100/minute", "1/minute")
    limiter.check_ip("192.0.2.1")
    with pytest.raises(RateLimited):
        limiter.check_ip("192.0.2.1")
    limiter.check_ip("192.0.2.1", scope="auth-ip", limit="2/minute")
    limiter.check_ip("192.0.2.1", scope="auth-ip", limit="2/minute")
    with pytest.raises(RateLimited):
        limiter.check_ip("192.0.2.1", scope="auth-ip", limit="2/minute")
    limiter.check_ip("192.0.2.2")


def test_two_workers_share_the_counters_through_redis():
    with redis_server() as url:
        prefix = f"test-{uuid.uuid4().hex}"
        worker_1 = RateLimiter("3/minute", "5/minute", url, key_prefix=prefix)
        worker_2 = RateLimiter("3/minute", "5/minute", url, key_prefix=prefix)
        worker_1.check_client("a")
        worker_2.check_client("a")
        worker_1.check_client("a")
        with pytest.raises(RateLimited):
            worker_2.check_client("a")
        worker_2.check_client("b")
        assert worker_1.state == worker_2.state == StoreState.UP


def test_a_redis_that_is_down_still_limits_in_process():
    limiter = limiter_on(f"redis://127.0.0.1:{closed_port()}/0")
    limiter.check_client("a")
    limiter.check_client("a")
    with pytest.raises(RateLimited):
        limiter.check_client("a")
    limiter.check_client("b")


def test_the_breaker_opens_after_consecutive_failures_and_then_stops_asking_redis():
    clock = FakeClock()
    with silent_peer() as frozen:
        limiter = limiter_on(
            f"redis://127.0.0.1:{frozen.port}/0",
            clock,
            breaker_failures=3,
            breaker_reset_seconds=5,
        )
        for _ in range(3):
            assert limiter.state == StoreState.UP
            limiter.check_client(f"c-{uuid.uuid4().hex}")
        assert limiter.state == StoreState.DEGRADED
        asked = frozen.connections
        assert asked == 3, "one attempt per call, no retries"
        for _ in range(10):
            limiter.check_client(f"c-{uuid.uuid4().hex}")
        assert frozen.connections == asked, "an open breaker leaves Redis alone"

        clock.now += 5
        limiter.check_client("trial")
        assert frozen.connections == asked + 1, "one trial call after the reset time"
        assert limiter.state == StoreState.DEGRADED
        limiter.check_client("after-the-trial")
        assert frozen.connections == asked + 1


def test_the_breaker_closes_when_redis_is_back_and_counters_are_shared_again():
    clock = FakeClock()
    port = free_port()
    prefix = f"test-{uuid.uuid4().hex}"
    url = f"redis://127.0.0.1:{port}/0"
    limiter = RateLimiter(
        "2/minute",
        "5/minute",
        url,
        key_prefix=prefix,
        clock=clock,
        breaker_failures=1,
        breaker_reset_seconds=5,
    )
    limiter.check_client("a")
    assert limiter.state == StoreState.DEGRADED
    with redis_server(port):
        limiter.check_client("a")
        assert limiter.state == StoreState.DEGRADED, "still open until the reset time"
        clock.now += 5
        limiter.check_client("a")
        assert limiter.state == StoreState.UP
        other_worker = RateLimiter("2/minute", "5/minute", url, key_prefix=prefix)
        other_worker.check_client("a")
        with pytest.raises(RateLimited):
            other_worker.check_client("a")


def test_a_frozen_redis_costs_each_call_one_short_timeout_then_nothing():
    """A peer that accepts and never answers (a SIGSTOPped Redis): the call comes back, once
    per call, with the in-process answer; it does not hang and is not retried."""
    with silent_peer() as frozen:
        limiter = limiter_on(f"redis://127.0.0.1:{frozen.port}/0", breaker_failures=2)
        outcomes: list[str] = []

        def call() -> None:
            limiter.check_client("a")
            limiter.check_client("a")
            try:
                limiter.check_client("a")
            except RateLimited:
                outcomes.append("limited")

        worker = threading.Thread(target=call, daemon=True)
        started = time.monotonic()
        worker.start()
        worker.join(timeout=10)
        assert not worker.is_alive(), "a frozen Redis must not hold a request"
        assert outcomes == ["limited"]
        assert frozen.connections == 2, "two attempts (the breaker's threshold), no retries"
        assert frozen.received > 0, "the calls did reach the frozen peer"
        # generous: two timeouts of 50 ms, far from the seconds a hang or retries would take
        assert time.monotonic() - started < 5


def test_the_timeout_may_not_exceed_50_ms():
    from pydantic import ValidationError

    from machtigen.config import Settings

    with pytest.raises(ValidationError):
        Settings(redis_timeout_seconds=0.2)


def test_a_breaker_allows_one_trial_at_a_time():
    clock = FakeClock()
    breaker = CircuitBreaker(failures=1, reset_seconds=2, clock=clock)
    breaker.failed()
    assert breaker.is_open and not breaker.allow()
    clock.now += 2
    assert breaker.allow()
    assert not breaker.allow(), "a second caller waits for the trial's outcome"
    breaker.failed()
    assert breaker.is_open and not breaker.allow()
    clock.now += 2
    assert breaker.allow()
    breaker.succeeded()
    assert not breaker.is_open and breaker.allow()


def test_a_client_over_its_rate_in_this_process_is_known_without_asking_redis():
    with silent_peer() as frozen:
        # a day's window: a sliding window weighs hits of the previous window down, so with
        # a minute the two hits could fall just before a minute's end and count less after it
        limiter = RateLimiter(
            "2/day",
            "5/day",
            f"redis://127.0.0.1:{frozen.port}/0",
            key_prefix=f"test-{uuid.uuid4().hex}",
            clock=FakeClock(),
            breaker_failures=100,
        )
        assert limiter.over_rate_here("a") is None
        limiter.check_client("a")
        limiter.check_client("a")
        asked = frozen.connections
        wait = limiter.over_rate_here("a")
        assert wait is not None and 1 <= wait <= 24 * 3600
        assert limiter.over_rate_here("b") is None
        assert frozen.connections == asked, "no I/O"


def test_one_workers_count_never_refuses_what_the_shared_count_allows():
    """Two workers each see one of a client's two requests: neither says it is over here,
    although together it has used its rate (the shared check says so)."""
    with redis_server() as url:
        prefix = f"test-{uuid.uuid4().hex}"
        worker_1 = RateLimiter("2/minute", "5/minute", url, key_prefix=prefix)
        worker_2 = RateLimiter("2/minute", "5/minute", url, key_prefix=prefix)
        worker_1.check_client("a")
        worker_2.check_client("a")
        assert worker_1.over_rate_here("a") is None
        assert worker_2.over_rate_here("a") is None
        with pytest.raises(RateLimited):
            worker_1.check_client("a")
