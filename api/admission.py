"""Admission control: each worker serves a bounded number of requests at once, shared fairly.

One pure ASGI layer decides before any database work (docs/operations.md, "Under a flood"):

- a worker serves at most ``max_in_flight`` requests at once (default ``db_pool_size`` − 1,
  so an admitted request never queues for a pooled connection); over it: 503 at once;
- the places are divided among the callers asking at that moment (in flight, or seen within
  ``admission_activity_seconds``) by weight: a client over its share gets 429 at once,
  whatever the others do, so one afnemer's peak cannot take the places of another;
- one client alone never takes the last ``admission_reserve`` places, so that a client that
  starts asking while another floods finds a place at once;
- a client this worker alone has already counted over its requests-per-second rate gets 429
  at once too (``RateLimiter.over_rate_here``); the shared count stays with the endpoint;
- callers are identified without I/O: a machine client by an access token this worker
  verified before (``api/v1/token_cache.py``), with the weight an operator gave it; every
  other API caller shares one group with a place per address at least; the portal and login
  pages share another group (weight ``portal_weight``). A forged token is never a client.

Health endpoints and static files pass untouched. Refusals go through ``api.overload.refuse``.
The accounting runs on the worker's event loop only, so it needs no lock; sync and async
endpoints alike hold their place until their response is sent.

The layer stands in front of the whole FastAPI app (``AdmittingApp``), not among its
middleware: a refusal then costs no FastAPI or Starlette work at all, which is what a retry
storm is made of. It sets the API's conventional headers on its refusals itself.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from api.observability import request_id
from api.overload import Refusal, Refused, refuse
from api.v1.middleware import SECURITY_HEADERS
from api.v1.token_cache import VerifiedTokens
from machtigen.clock import Clock

ANONYMOUS = "anonymous"
"""The group of API callers without an access token this worker knows (the token endpoint,
a token's first request, a wrong token): a share of weight 1, divided per address."""
PORTAL = "portal"
"""The group of portal and login requests, divided per address."""
CLIENT = "client:"
"""Before a machine client's id: the callers known by their access token."""


@dataclass(slots=True)
class _Caller:
    weight: int
    in_flight: int = 0
    last_seen: float = 0.0
    members: dict[str, "_Caller"] | None = None


@dataclass
class Shares:
    """One worker's places and who holds them.

    A caller's share is ``capacity × weight / Σ weights of the callers asking now`` (at least
    one place), and never more than ``capacity − reserve``. A member of a group gets an equal
    part of its group's share (at least one place).
    """

    capacity: int
    reserve: int = 1
    activity_seconds: float = 1.0
    clock: Callable[[], float] = time.monotonic
    in_flight: int = 0
    _callers: dict[str, _Caller] = field(default_factory=dict)
    _active_weight: int = 0
    _next_sweep: float = 0.0

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError("a worker needs at least one place")
        self.reserve = max(0, min(self.reserve, self.capacity - 1))

    def admit(self, key: str, weight: int = 1, member: str | None = None) -> Refusal | None:
        """Take a place for ``key`` (and ``member`` of that group), or say why not."""
        now = self.clock()
        if now >= self._next_sweep:
            self._sweep(now)
        caller = self._caller(self._callers, key, weight, now, group=member is not None)
        share = self.share_of(caller.weight)
        held = caller
        if member is not None:
            assert caller.members is not None
            held = self._caller(caller.members, member, 1, now, group=False)
            if held.in_flight >= max(1, share // len(caller.members)):
                return Refusal.CLIENT_SHARE
            if caller.in_flight >= share:
                return Refusal.GROUP_FULL
        elif caller.in_flight >= share:
            return Refusal.CLIENT_SHARE
        if self.in_flight >= self.capacity:
            return Refusal.WORKER_FULL
        self.in_flight += 1
        caller.in_flight += 1
        if held is not caller:
            held.in_flight += 1
        return None

    def release(self, key: str, member: str | None = None) -> None:
        """Give back the place ``admit`` gave."""
        now = self.clock()
        self.in_flight -= 1
        caller = self._callers[key]
        caller.in_flight -= 1
        caller.last_seen = now
        if member is not None and caller.members is not None:
            held = caller.members[member]
            held.in_flight -= 1
            held.last_seen = now

    def share_of(self, weight: int) -> int:
        fair = self.capacity * weight // max(self._active_weight, weight)
        return min(max(1, fair), self.capacity - self.reserve)

    def _caller(
        self, callers: dict[str, _Caller], key: str, weight: int, now: float, *, group: bool
    ) -> _Caller:
        caller = callers.get(key)
        if caller is None:
            caller = callers[key] = _Caller(weight, members={} if group else None)
            if callers is self._callers:
                self._active_weight += weight
        elif caller.weight != weight:
            if callers is self._callers:
                self._active_weight += weight - caller.weight
            caller.weight = weight
        caller.last_seen = now
        return caller

    def _sweep(self, now: float) -> None:
        """Forget callers that hold nothing and asked nothing within the activity window."""
        since = now - self.activity_seconds
        for callers in [self._callers, *(c.members for c in self._callers.values() if c.members)]:
            for key in [k for k, c in callers.items() if c.in_flight == 0 and c.last_seen < since]:
                del callers[key]
        self._active_weight = sum(caller.weight for caller in self._callers.values())
        self._next_sweep = now + min(0.25, self.activity_seconds / 4)


PORTAL_BUSY_PAGE = (
    b"<!doctype html><html lang='nl'><head><meta charset='utf-8'>"
    b"<meta name='viewport' content='width=device-width, initial-scale=1'>"
    b"<title>Het is nu te druk / It is busy right now</title>"
    b"<link rel='stylesheet' href='/assets/portal/portal.css'></head>"
    b"<body><main><h1>Het is nu te druk</h1>"
    b"<p>Er is niets veranderd. Probeer het over een paar seconden opnieuw.</p>"
    b"<h2 lang='en'>It is busy right now</h2>"
    b"<p lang='en'>Nothing was changed. Please try again in a few seconds.</p>"
    b"</main></body></html>"
)


class AdmittingApp(FastAPI):
    """FastAPI with an ASGI layer in front of all of it (FastAPI's own per-request work
    included); without one it is plain FastAPI."""

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.front is None:
            await super().__call__(scope, receive, send)
        else:
            await self.front(scope, receive, send)

    async def behind_front(self, scope: Scope, receive: Receive, send: Send) -> None:
        await super().__call__(scope, receive, send)


_CONVENTIONAL = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS]


class AdmissionControl:
    """The ASGI layer around the app: identify the caller, take a place, give it back."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        shares: Shares,
        tokens: VerifiedTokens,
        clock: Clock,
        api_prefix: str,
        api_version: str = "",
        over_rate: Callable[[str], int | None] | None = None,
        portal_weight: int = 1,
        exempt_paths: frozenset[str] = frozenset(),
        exempt_prefixes: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.shares = shares
        self.tokens = tokens
        self.clock = clock
        self.api_prefix = api_prefix + "/"
        self.portal_weight = portal_weight
        self.exempt_paths = exempt_paths
        self.exempt_prefixes = exempt_prefixes
        self.api_headers = [*_CONVENTIONAL, (b"api-version", api_version.encode())]
        self.over_rate = over_rate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or path in self.exempt_paths
            or path.startswith(self.exempt_prefixes)
        ):
            await self.app(scope, receive, send)
            return
        in_api = path.startswith(self.api_prefix)
        key, weight, member = self._caller(scope, in_api)
        client = key.removeprefix(CLIENT) if key.startswith(CLIENT) else None
        if client is not None and self.over_rate is not None:
            wait = self.over_rate(client)
            if wait is not None:
                refused = refuse(Refusal.RATE_LIMITED, wait_at_least=wait, client=client)
                await self._answer(send, refused, True)
                return
        refusal = self.shares.admit(key, weight, member)
        if refusal is not None:
            await self._answer(send, refuse(refusal, client=client), in_api)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.shares.release(key, member)

    def _caller(self, scope: Scope, in_api: bool) -> tuple[str, int, str | None]:
        address = scope["client"][0] if scope.get("client") else "unknown"
        if not in_api:
            return PORTAL, self.portal_weight, address
        token = _bearer(scope)
        if token:
            client = self.tokens.get(token, self.clock.now().timestamp())
            if client is not None:
                return CLIENT + client.client_id, client.share_weight, None
        return ANONYMOUS, 1, address

    async def _answer(self, send: Send, refused: Refused, in_api: bool) -> None:
        """problem+json for the API; for pages a short page, always 503 (the visitor did
        nothing wrong when the portal is full)."""
        if in_api:
            status, body = refused.status, refused.problem_body(request_id())
            headers = [(b"content-type", b"application/problem+json"), *self.api_headers]
        else:
            status, body = 503, PORTAL_BUSY_PAGE
            headers = [(b"content-type", b"text/html; charset=utf-8"), *_CONVENTIONAL]
        headers.append((b"content-length", str(len(body)).encode()))
        headers.append((b"retry-after", str(refused.retry_after).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None
