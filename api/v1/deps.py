"""Who is calling: a bearer access token of ours, then the client's rate limit, then its Ctx.

A token verified once is looked up in ``state.verified_tokens`` until it expires (admission
control reads the same map to find the caller's share before any database work).

Dependencies are ``async`` so they run on the event loop instead of costing a thread-pool
hop each; only the shared (Redis) rate count and the occasional read of whether a client is
still active (without the async pool) go to a thread.
"""

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from api.deps import SessionDep
from api.observability import identify_client
from api.v1.ratelimit import RateLimited, StoreState
from machtigen.clients.models import ClientKind
from machtigen.clients.service import (
    ClientIdentity,
    is_active,
    verified_access_token,
)
from machtigen.context import Ctx, Origin
from machtigen.errors import Forbidden
from machtigen.identity.tokens import InvalidToken


def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("Send an access token from /api/v1/oauth2/token as a Bearer token.")
    return token.strip()


async def current_client(request: Request) -> ClientIdentity:
    """Runs on the event loop: a known token costs a map lookup, a new one one ES256
    verification (once per token); the client's in-process rate count comes first, the
    shared (Redis) count then on a thread, and whether the client is still active is read
    again every ``client_recheck_seconds``.

    One plain dependency (the token read inside it, not as a dependency of its own), and
    ``afnemer_client``/``register_client`` call it directly: each level of dependencies costs
    FastAPI a round of solving per request."""
    state = request.app.state
    token = _bearer_token(request)
    now = state.clock.now().timestamp()
    identity = state.verified_tokens.get(token, now)
    if identity is None:
        verified = verified_access_token(token, state.access_token_issuer, state.clock.now())
        state.verified_tokens.remember(token, verified)
        identity = verified.client
    identify_client(request, identity.client_id)
    limiter = state.rate_limiter
    if limiter.state == StoreState.IN_PROCESS:
        # The count here is the only count: its hit decides (a separate look first would
        # only read the same counter twice).
        limiter.check_client(identity.client_id)
    else:
        wait = limiter.over_rate_here(identity.client_id)
        if wait is not None:
            over = RateLimited(wait)
            over.client_id = identity.client_id
            raise over
        await run_in_threadpool(limiter.check_client, identity.client_id)
    await _still_active(request, identity.client_id, now)
    return identity


async def _still_active(request: Request, client_id: str, now: float) -> None:
    """Read on the session's pool (on a thread), like the token endpoint's own reads: a
    database that is out of connections or down answers 503 here, as everywhere."""
    state = request.app.state
    clients = state.active_clients
    active = clients.known(client_id, now)
    if active is None:
        active = await run_in_threadpool(_read_active, state.session_factory, client_id)
        clients.remember(client_id, active, now)
    if not active:
        raise InvalidToken("This client is not active.")


def _read_active(factory: sessionmaker[Session], client_id: str) -> bool:
    with factory() as session:
        return is_active(session, client_id)


ClientDep = Annotated[ClientIdentity, Depends(current_client)]


async def afnemer_client(request: Request) -> ClientIdentity:
    client = await current_client(request)
    if client.kind != ClientKind.AFNEMER:
        raise Forbidden("This endpoint is for afnemers.")
    return client


async def register_client(request: Request) -> ClientIdentity:
    client = await current_client(request)
    if client.kind != ClientKind.REGISTER:
        raise Forbidden("This endpoint is for the court register.")
    return client


def origin_of(request: Request) -> Origin:
    return Origin(
        ip=request.client.host if request.client else None,
        user_agent=(request.headers.get("user-agent") or "")[:300] or None,
    )


def _ctx(request: Request, session: SessionDep, client: ClientIdentity) -> Ctx:
    state = request.app.state
    return Ctx(
        session=session,
        actor=client.actor(state.clock.now()),
        clock=state.clock,
        authz=state.authorizer,
        origin=origin_of(request),
    )


async def afnemer_ctx(
    request: Request,
    session: SessionDep,
    client: Annotated[ClientIdentity, Depends(afnemer_client)],
) -> Ctx:
    return _ctx(request, session, client)


async def register_ctx(
    request: Request,
    session: SessionDep,
    client: Annotated[ClientIdentity, Depends(register_client)],
) -> Ctx:
    return _ctx(request, session, client)


AfnemerCtx = Annotated[Ctx, Depends(afnemer_ctx)]
RegisterCtx = Annotated[Ctx, Depends(register_ctx)]
