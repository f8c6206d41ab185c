"""Per-client rate limits: every machine client gets its own fair share of the capacity.

Counters live in Redis when ``MACHTIGEN_REDIS_URL`` is set (shared by every worker), in
memory otherwise (per process). A client over its share gets 429 with Retry-After; the
others are not affected (DOMAIN.md rule 16, the DigiD outage of 1 March 2023).
"""

import logging
import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from api.metrics import record_rejection
from machtigen.errors import MachtigenError

log = logging.getLogger(__name__)


class RateLimited(MachtigenError):
    status_code = 429
    title = "Too many requests"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Your share of the capacity is used up; retry in {retry_after} s.")
        self.headers = {"Retry-After": str(retry_after)}


class RateLimiter:
    def __init__(self, per_client: str, per_ip: str, redis_url: str | None = None) -> None:
        storage = storage_from_string(redis_url or "memory://")
        self._limiter = SlidingWindowCounterRateLimiter(storage)
        self._per_client: RateLimitItem = parse(per_client)
        self._per_ip: RateLimitItem = parse(per_ip)

    def check_client(self, client_id: str) -> None:
        try:
            self._hit(self._per_client, "client", client_id)
        except RateLimited:
            record_rejection("client_rate", client_id)
            raise

    def check_ip(self, ip: str) -> None:
        try:
            self._hit(self._per_ip, "token-ip", ip)
        except RateLimited:
            record_rejection("token_ip", None)
            raise

    def _hit(self, item: RateLimitItem, *keys: str) -> None:
        try:
            if self._limiter.hit(item, *keys):
                return
            reset = self._limiter.get_window_stats(item, *keys).reset_time
        except Exception:  # the counter store is down: serve rather than fail everyone
            log.exception("rate-limit storage unavailable; request let through")
            return
        raise RateLimited(max(1, math.ceil(reset - time.time())))
