"""The admission layer in front of a real ASGI app whose requests wait until released: a
client holding its share cannot block another, refusals come at once as problem+json with
Retry-After, a token this worker never verified borrows nobody's share, and the health
paths pass untouched."""

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest

from api.admission import AdmissionControl, Shares
from api.v1.token_cache import VerifiedTokens
from machtigen.clients.models import ClientKind
from machtigen.clients.service import ClientIdentity, VerifiedAccessToken
from machtigen.clock import FrozenClock
from tests.factories import T0

TOKEN_A = "token-of-afnemer-a"
TOKEN_B = "token-of-afnemer-b"


class HeldApp:
    """An ASGI app whose /api/v1 requests wait until the test lets them go."""

    def __init__(self) -> None:
        self.go = asyncio.Event()
        self.started = 0

    async def __call__(self, scope, receive, send) -> None:
        if scope["path"].startswith("/api/v1/"):
            self.started += 1
            await self.go.wait()
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": b"{}"})


def identity(client_id: str, weight: int = 1) -> VerifiedAccessToken:
    client = ClientIdentity(client_id, ClientKind.REGISTER, None, client_id, weight)
    start = T0.timestamp()
    return VerifiedAccessToken(client, start - 10, start + 300)


@pytest.fixture
async def layer() -> AsyncIterator[tuple[httpx.AsyncClient, HeldApp, Shares]]:
    held = HeldApp()
    tokens = VerifiedTokens()
    tokens.remember(TOKEN_A, identity("a"))
    tokens.remember(TOKEN_B, identity("b"))
    shares = Shares(capacity=4, reserve=1)
    app = AdmissionControl(
        held,
        shares=shares,
        tokens=tokens,
        clock=FrozenClock(T0),
        api_prefix="/api/v1",
        exempt_paths=frozenset({"/health/live", "/health/ready"}),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client, held, shares
    held.go.set()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def until(predicate) -> None:
    for _ in range(1000):
        if predicate():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the requests did not start")


async def test_one_client_holding_its_share_cannot_block_another(layer):
    client, held, shares = layer
    flood = [
        asyncio.create_task(client.post("/api/v1/mandate-checks", headers=bearer(TOKEN_A)))
        for _ in range(3)
    ]
    await until(lambda: held.started == 3)

    refused = await client.post("/api/v1/mandate-checks", headers=bearer(TOKEN_A))
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 3
    body = refused.json()
    assert body["status"] == 429 and body["title"] == "Too many requests"
    assert held.started == 3, "the refused request never reached the app"

    other = asyncio.create_task(client.post("/api/v1/mandate-checks", headers=bearer(TOKEN_B)))
    await until(lambda: held.started == 4)
    held.go.set()
    assert (await other).status_code == 200
    assert [(await task).status_code for task in flood] == [200, 200, 200]
    assert shares.in_flight == 0


async def test_while_another_client_asks_the_flooding_one_keeps_to_half(layer):
    client, held, _ = layer
    first_b = asyncio.create_task(client.post("/api/v1/x", headers=bearer(TOKEN_B)))
    await until(lambda: held.started == 1)
    flood = [
        asyncio.create_task(client.post("/api/v1/x", headers=bearer(TOKEN_A))) for _ in range(5)
    ]
    statuses = []
    await until(lambda: sum(task.done() for task in flood) == 3)
    held.go.set()
    statuses = sorted([(await task).status_code for task in flood])
    assert statuses == [200, 200, 429, 429, 429], "a gets 2 of 4 places while b asks"
    assert (await first_b).status_code == 200


async def test_a_token_this_worker_never_verified_borrows_no_share(layer):
    """A token that claims to be a's (here unsigned) is not looked at: it is not a's token,
    so it counts among the unauthenticated callers and a's share is neither used nor hit."""
    client, held, shares = layer
    flood = [
        asyncio.create_task(client.post("/api/v1/x", headers=bearer(TOKEN_A))) for _ in range(3)
    ]
    await until(lambda: held.started == 3)
    claims_to_be_a = jwt.encode(
        {"sub": "a", "client_id": "a"}, "a-guessed-secret-of-32-bytes-long!", algorithm="HS256"
    )
    forged = asyncio.create_task(client.post("/api/v1/x", headers=bearer(claims_to_be_a)))
    await until(lambda: held.started == 4 or forged.done())
    assert not forged.done() and held.started == 4, "admitted among the anonymous, not as a"
    held.go.set()
    assert (await forged).status_code == 200
    for task in flood:
        await task
    assert shares.in_flight == 0


async def test_health_paths_pass_while_the_worker_is_full(layer):
    client, held, shares = layer
    holders = [
        asyncio.create_task(client.post("/api/v1/x", headers=bearer(token)))
        for token in (TOKEN_A, TOKEN_A, TOKEN_B, TOKEN_B)
    ]
    await until(lambda: held.started == 4)
    assert shares.in_flight == shares.capacity
    full = await client.post("/api/v1/x", headers=bearer("unknown"))
    assert full.status_code == 503
    assert full.headers["content-type"] == "application/problem+json"
    assert int(full.headers["retry-after"]) >= 1
    assert json.loads(full.content)["status"] == 503
    page = await client.get("/portal")
    assert page.status_code == 503 and "retry-after" in page.headers
    assert page.headers["content-type"].startswith("text/html")
    assert (await client.get("/health/live")).status_code == 200
    assert (await client.get("/health/ready")).status_code == 200
    held.go.set()
    for task in holders:
        assert (await task).status_code == 200


async def test_a_client_over_its_rate_here_is_refused_before_the_app():
    held = HeldApp()
    held.go.set()
    tokens = VerifiedTokens()
    tokens.remember(TOKEN_A, identity("a"))
    tokens.remember(TOKEN_B, identity("b"))
    app = AdmissionControl(
        held,
        shares=Shares(capacity=4),
        tokens=tokens,
        clock=FrozenClock(T0),
        api_prefix="/api/v1",
        over_rate=lambda client_id: 7 if client_id == "a" else None,
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        refused = await client.post("/api/v1/x", headers=bearer(TOKEN_A))
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) >= 7
        assert refused.json()["title"] == "Too many requests"
        assert held.started == 0
        assert (await client.post("/api/v1/x", headers=bearer(TOKEN_B))).status_code == 200
        assert held.started == 1
