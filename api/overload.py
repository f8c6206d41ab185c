"""Every answer the service gives because it is over capacity, in one place.

Admission control (a client over its in-flight share, a full worker), the requests-per-second
limits and an unavailable database all refuse through ``refuse``: it picks the status and a
``Retry-After`` with jitter, so that refused clients spread out instead of coming back in
step (the retry storm of DigiD on 1 March 2023). ``refuse`` also counts every refusal in
the metrics.
"""

import json
import random
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from machtigen.metrics import record_rejection


class Refusal(StrEnum):
    CLIENT_SHARE = "client_share"
    """429: this client already has its share of the worker's requests in progress."""
    WORKER_FULL = "worker_full"
    """503: the worker serves as many requests as it may; every client is within its share."""
    GROUP_FULL = "group_full"
    """503: the share of callers without a known access token, or of the portal, is in use."""
    RATE_LIMITED = "rate_limited"
    """429: the client's requests per second are over its rate (the second line)."""
    DATABASE_UNAVAILABLE = "database_unavailable"
    """503: no database connection within the pool timeout, or the database is down."""


@dataclass(frozen=True)
class _Policy:
    status: int
    title: str
    detail: str
    retry_after: int
    """The least number of seconds to wait."""
    jitter: int
    """Up to this many seconds more, drawn per answer."""


_POLICIES = {
    Refusal.CLIENT_SHARE: _Policy(
        429,
        "Too many requests",
        "This client already has its share of requests in progress. Retry after the"
        " Retry-After header's seconds, with backoff and jitter.",
        1,
        2,
    ),
    Refusal.WORKER_FULL: _Policy(
        503,
        "Service unavailable",
        "The service is at capacity. Retry after the Retry-After header's seconds, with"
        " backoff and jitter.",
        1,
        2,
    ),
    Refusal.GROUP_FULL: _Policy(
        503,
        "Service unavailable",
        "The service is at capacity for callers like this one. Retry after the Retry-After"
        " header's seconds, with backoff and jitter.",
        1,
        2,
    ),
    Refusal.RATE_LIMITED: _Policy(
        429,
        "Too many requests",
        "This client's rate is used up. Retry after the Retry-After header's seconds.",
        1,
        1,
    ),
    Refusal.DATABASE_UNAVAILABLE: _Policy(
        503,
        "Service unavailable",
        "The service cannot reach its database at the moment; nothing was changed. Retry"
        " after the Retry-After header's seconds, with backoff and jitter.",
        2,
        3,
    ),
}


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    status: int
    title: str
    detail: str
    retry_after: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}

    def problem_body(self, request_id: str | None = None) -> bytes:
        """The RFC 9457 document, as bytes for a pure ASGI answer (with the request's id)."""
        body = _problem_body(self.status, self.title, self.detail)
        if request_id is None:
            return body
        return body[:-1] + b',"requestId":' + json.dumps(request_id).encode() + b"}"


@lru_cache(maxsize=64)
def _problem_body(status: int, title: str, detail: str) -> bytes:
    document = {"type": "about:blank", "status": status, "title": title, "detail": detail}
    return json.dumps(document, separators=(",", ":")).encode()


def refuse(
    reason: Refusal,
    *,
    wait_at_least: int = 0,
    detail: str | None = None,
    client: str | None = None,
) -> Refused:
    """The answer to one refused request: status, problem text and a jittered Retry-After;
    counted in ``machtigen_limiter_rejections_total`` by reason and machine client."""
    record_rejection(reason.value, client)
    policy = _POLICIES[reason]
    wait = max(policy.retry_after, wait_at_least)
    wait += random.randint(0, policy.jitter)  # noqa: S311 - spreading retries, not a secret
    return Refused(reason, policy.status, policy.title, detail or policy.detail, wait)
