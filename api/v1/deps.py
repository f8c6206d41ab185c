"""Who is calling: a bearer access token of ours, then the client's rate limit, then its Ctx.

A token verified once is looked up in ``state.verified_tokens`` until it expires (admission
control reads the same map to find the caller's share before any database work).

Dependencies that do no I/O are ``async`` so they run on the event loop instead of costing
a thread-pool hop each; token verification and the (possibly Redis) limiter stay sync.
"""

from typing import Annotated

from fastapi import Depends, Request

from api.deps import SessionDep
from api.observability import identify_client
from machtigen.clients.models import ClientKind
from machtigen.clients.service import ClientIdentity, verified_access_token
from machtigen.context import Ctx, Origin
from machtigen.errors import Forbidden
from machtigen.identity.tokens import InvalidToken


async def _bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("Send an access token from /api/v1/oauth2/token as a Bearer token.")
    return token.strip()


def current_client(
    request: Request, token: Annotated[str, Depends(_bearer_token)]
) -> ClientIdentity:
    state = request.app.state
    now = state.clock.now()
    identity = state.verified_tokens.get(token, now.timestamp())
    if identity is None:
        verified = verified_access_token(token, state.access_token_issuer, now)
        state.verified_tokens.remember(token, verified)
        identity = verified.client
    identify_client(request, identity.client_id)
    state.rate_limiter.check_client(identity.client_id)
    return identity


ClientDep = Annotated[ClientIdentity, Depends(current_client)]


async def afnemer_client(client: ClientDep) -> ClientIdentity:
    if client.kind != ClientKind.AFNEMER:
        raise Forbidden("This endpoint is for afnemers.")
    return client


async def register_client(client: ClientDep) -> ClientIdentity:
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
