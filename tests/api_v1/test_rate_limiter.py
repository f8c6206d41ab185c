"""The limiter itself: per-client shares, and counters shared through Redis across workers."""

import uuid

import pytest

from api.v1.ratelimit import RateLimited, RateLimiter

REDIS_URL = "redis://127.0.0.1:6379/15"


def test_each_client_has_its_own_share_in_memory():
    limiter = RateLimiter("2/minute", "5/minute")
    limiter.check_client("a")
    limiter.check_client("a")
    with pytest.raises(RateLimited) as refused:
        limiter.check_client("a")
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 60
    limiter.check_client("b")


def test_two_workers_share_the_counters_through_redis():
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    worker_1 = RateLimiter("3/minute", "5/minute", REDIS_URL)
    worker_2 = RateLimiter("3/minute", "5/minute", REDIS_URL)
    client = f"test-{uuid.uuid4().hex}"
    worker_1.check_client(client)
    worker_2.check_client(client)
    worker_1.check_client(client)
    with pytest.raises(RateLimited):
        worker_2.check_client(client)
    worker_2.check_client(f"other-{uuid.uuid4().hex}")


def test_a_store_that_is_down_lets_requests_through():
    limiter = RateLimiter("1/minute", "1/minute", "redis://127.0.0.1:1/0")
    limiter.check_client("a")
    limiter.check_client("a")
