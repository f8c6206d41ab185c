"""Worker CPU per mandate check, layer by layer, in one process (a script, not a test).

CPU time in one process is far steadier on a shared machine than requests per second, so
this drives the ASGI apps directly (no sockets, no HTTP parser: those cost the same for every
variant) over a small PostgreSQL database it fills itself, and prints the CPU µs per request
(``time.process_time``, so PostgreSQL's own work is not counted) for:

- the bare ``async def`` endpoint and the one-statement floor (``benchmarks/bare_app.py``);
- ``POST /api/v1/mandate-checks`` through the whole app;
- the same with each layer taken out in turn (the difference is what that layer costs);
- the route alone (dependencies, validation, the check, serialisation) and the check alone
  (``FastChecks.check_many``: decision, audit row, MAC);
- the batch (100 questions a call), per check.

    .venv/bin/python benchmarks/check_profile.py [--requests 2000] [--rounds 3] [--profile VARIANT]

``--profile full`` (or any variant's name) prints cProfile's top functions for that variant.
"""

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.afnemer_api import (  # noqa: E402
    batch_bodies,
    check_bodies,
    fill,
    fresh_database,
    register_client,
)

ASGI = Callable[..., Awaitable[None]]


class Driver:
    """Calls an ASGI app as uvicorn would: one scope, the body in one message."""

    def __init__(self, token: str) -> None:
        self.headers = [
            (b"host", b"127.0.0.1:18080"),
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {token}".encode()),
            (b"user-agent", b"check-profile"),
        ]

    async def post(self, app: ASGI, path: str, body: bytes, headers: Any = None) -> int:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": [*(headers or self.headers), (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 18080),
            "state": {},
        }
        sent = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)
        return status


async def cpu_per_call(call: Callable[[int], Awaitable[Any]], count: int) -> tuple[float, float]:
    """CPU µs and wall-clock µs per call over ``count`` calls one after the other, after a
    warm-up. The wall clock adds the waits for PostgreSQL (and for the machine)."""
    for i in range(50):
        await call(i)
    started, wall = time.process_time(), time.perf_counter()
    for i in range(count):
        await call(i)
    return (
        (time.process_time() - started) * 1e6 / count,
        (time.perf_counter() - wall) * 1e6 / count,
    )


def environment(url: str, workdir: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    signing = ec.generate_private_key(ec.SECP256R1())
    (workdir / "signing.pem").write_bytes(
        signing.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    os.environ.update(
        {
            "MACHTIGEN_ENVIRONMENT": "development",
            "MACHTIGEN_DATABASE_URL": url,
            "MACHTIGEN_PUBLIC_URL": "http://127.0.0.1:18080",
            "MACHTIGEN_SIGNING_KEY_FILE": str(workdir / "signing.pem"),
            "MACHTIGEN_RATE_LIMIT_PER_CLIENT": "1000000/second",
            "MACHTIGEN_SECRET_KEY": uuid.uuid4().hex,
            "MACHTIGEN_ACCESS_TOKEN_SECONDS": "3600",
            "MACHTIGEN_DB_POOL_SIZE": "10",
            "MACHTIGEN_MAX_IN_FLIGHT": "32",
            "MACHTIGEN_ADMISSION_RESERVE": "0",
        }
    )


def assertion(oin: str, key: Any) -> bytes:
    import jwt

    now = int(time.time())
    signed = jwt.encode(
        {
            "iss": oin,
            "sub": oin,
            "aud": "http://127.0.0.1:18080/api/v1/oauth2/token",
            "iat": now,
            "nbf": now,
            "exp": now + 60,
            "jti": uuid.uuid4().hex,
        },
        key,
        algorithm="ES256",
        headers={"kid": "bench"},
    )
    from urllib.parse import urlencode

    return urlencode(
        {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": signed,
        }
    ).encode()


async def token_of(app: ASGI, oin: str, key: Any) -> str:
    body = assertion(oin, key)
    captured: list[bytes] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/oauth2/token",
        "raw_path": b"/api/v1/oauth2/token",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:18080"),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 18080),
        "state": {},
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            captured.append(message.get("body", b""))

    await app(scope, receive, send)
    return str(json.loads(b"".join(captured))["access_token"])


def variants(app: Any) -> dict[str, Callable[[], ASGI]]:
    """Each variant: a function that sets the app up that way and returns what to call."""
    from asgi_correlation_id import CorrelationIdMiddleware

    from api.observability import front_layers

    front = app.front
    admission = _find(front, "AdmissionControl")
    trusted = app.state.settings.trusted_proxies
    middleware = list(app.user_middleware)

    def inner(without: str | None = None) -> None:
        app.user_middleware = [m for m in middleware if m.cls.__name__ != without]
        app.middleware_stack = None

    def full() -> ASGI:
        inner()
        app.front = front
        return app

    def without_front(layer: str) -> Callable[[], ASGI]:
        def make() -> ASGI:
            inner()
            if layer == "CorrelationIdMiddleware":
                app.front = _find(front, "ProxyHeadersMiddleware")
            elif layer == "ProxyHeadersMiddleware":
                app.front = CorrelationIdMiddleware(
                    admission, header_name="X-Request-ID", transformer=lambda v: uuid.UUID(v).hex
                )
            else:
                app.front = front_layers(app.behind_front, trusted)
            return app

        return make

    def without_inner(name: str) -> Callable[[], ASGI]:
        def make() -> ASGI:
            inner(name)
            app.front = front
            return app

        return make

    made: dict[str, Callable[[], ASGI]] = {"full app": full}
    for layer in ("CorrelationIdMiddleware", "ProxyHeadersMiddleware", "AdmissionControl"):
        made[f"  without {layer}"] = without_front(layer)
    for entry in middleware:
        made[f"  without {entry.cls.__name__}"] = without_inner(entry.cls.__name__)
    return made


def _find(layer: Any, name: str) -> Any:
    while type(layer).__name__ != name:
        layer = layer.app
    return layer


async def run(args: argparse.Namespace, url: str, samples: dict, key: Any) -> None:
    from api.main import create_app
    from benchmarks import bare_app
    from machtigen.context import Origin
    from machtigen.mandates.check import CheckQuestion, RepresentativeRef

    app = create_app()
    bare = bare_app.create_app()
    checks = [body.encode() for body in check_bodies(samples)]
    batches = [body.encode() for body in batch_bodies(check_bodies(samples))]
    async with app.router.lifespan_context(app), bare.router.lifespan_context(bare):
        await app.state.check_pool.wait()
        token = await token_of(app, samples["oin"], key)
        driver = Driver(token)
        await driver.post(app, "/api/v1/mandate-checks", checks[0])  # the token now verified
        state = app.state

        def endpoint(target: ASGI, path: str, bodies: list[bytes]) -> Any:
            async def call(i: int) -> None:
                status = await driver.post(target, path, bodies[i % len(bodies)])
                if status != 200:
                    raise RuntimeError(f"{path}: {status}")

            return call

        questions = []
        for raw in checks:
            item = json.loads(raw)
            rep = item["representative"]
            questions.append(
                CheckQuestion(
                    representative=RepresentativeRef(
                        bsn=rep.get("bsn"), kvk_number=rep.get("kvkNumber")
                    ),
                    person_bsn=item["personBsn"],
                    service_code=item["serviceCode"],
                    action="read",
                    at=None,
                )
            )
        origin = Origin(ip="127.0.0.1", user_agent="check-profile")

        async def check_alone(i: int) -> None:
            client = state.verified_tokens.get(token, time.time())
            actor = client.actor(state.clock.now())
            await state.fast_checks.check_many(
                actor, origin, [questions[i % len(questions)]], limit=1
            )

        from api.v1 import mandates as mandate_routes

        route = next(r for r in mandate_routes.router.routes if r.path == "/mandate-checks")
        setups = variants(app)
        table: dict[str, Callable[[], tuple[Any, Any]]] = {
            "bare async def endpoint": lambda: (endpoint(bare, "/bare/async", checks), None),
            "floor: one statement + token": lambda: (
                endpoint(bare, "/floor/one-statement", checks),
                None,
            ),
        }
        for name, setup in setups.items():
            table[name] = lambda setup=setup: (
                endpoint(setup(), "/api/v1/mandate-checks", checks),
                None,
            )
        table["route alone (deps, validation, check, JSON)"] = lambda: (
            _route_call(driver, route, checks, setups["full app"]()),
            None,
        )
        table["check alone (decision, audit row, MAC)"] = lambda: (check_alone, None)
        table["batch of 100, per check"] = lambda: (
            endpoint(setups["full app"](), "/api/v1/mandate-checks/_batch", batches),
            100,
        )
        if args.profile:
            call, per = table[args.profile]()
            profiler = cProfile.Profile(time.process_time)
            profiler.enable()
            await cpu_per_call(call, args.requests // (per or 1))
            profiler.disable()
            out = io.StringIO()
            stats = pstats.Stats(profiler, stream=out).sort_stats(args.sort)
            if args.callers:
                stats.print_callers(args.callers)
            else:
                stats.print_stats(args.top)
            print(out.getvalue())
            return
        results: dict[str, list[float]] = {name: [] for name in table}
        walls: dict[str, list[float]] = {name: [] for name in table}
        for _ in range(args.rounds):
            for name, make in table.items():
                call, per = make()
                count = max(20, args.requests // (per or 1))
                cpu, wall = await cpu_per_call(call, count)
                results[name].append(cpu / (per or 1))
                walls[name].append(wall / (per or 1))
        setups["full app"]()
    full = sorted(results["full app"])[len(results["full app"]) // 2]
    print(
        f"\nCPU µs per request (per check for the batch), median of {args.rounds} rounds of"
        f" {args.requests} one after the other, in process; wall clock beside it"
    )
    for name, values in results.items():
        middle = sorted(values)[len(values) // 2]
        wall = sorted(walls[name])[len(values) // 2]
        delta = f"  layer costs {full - middle:>5.0f} µs" if name.startswith("  without") else ""
        print(f"{name:<48} {middle:>7.0f} µs CPU {wall:>7.0f} µs wall{delta}")


def _v1(app: Any) -> Any:
    from starlette.routing import Mount

    mount = next(r for r in app.routes if isinstance(r, Mount) and r.path == "/api/v1")
    return mount.app


def _route_call(driver: Driver, route: Any, bodies: list[bytes], app: Any) -> Callable[[int], Any]:
    """The route's own handler: FastAPI's dependency solving, validation, the endpoint and
    the response, without routing or any middleware."""
    v1 = _v1(app)

    async def call(i: int) -> None:
        body = bodies[i % len(bodies)]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/mandate-checks",
            "raw_path": b"/api/v1/mandate-checks",
            "query_string": b"",
            "root_path": "/api/v1",
            "headers": [*driver.headers, (b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 18080),
            "state": {},
            "app": v1,
            "route": route,
            "endpoint": route.endpoint,
            "path_params": {},
        }
        sent = False
        status = 0

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        async with AsyncExitStack() as stack:
            scope["fastapi_middleware_astack"] = stack
            await route.handle(scope, receive, send)
        if status != 200:
            raise RuntimeError(f"route: {status}")

    return call


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "MACHTIGEN_BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--database", default="machtigen_profile")
    parser.add_argument("--persons", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="print cProfile's top functions for this variant")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--callers", help="with --profile: who calls the functions matching this")
    args = parser.parse_args()

    import uuid as _uuid

    from cryptography.hazmat.primitives.asymmetric import ec
    from sqlalchemy import create_engine, text

    from machtigen.db import make_engine
    from machtigen.migrate import upgrade

    url = fresh_database(args.admin_url, args.database)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    samples = fill(url, args.persons, args.persons // 5, args.persons // 10)
    key = ec.generate_private_key(ec.SECP256R1())
    register_client(url, _uuid.UUID(str(samples["afnemer_id"])), samples["oin"], key)
    workdir = Path(tempfile.mkdtemp(prefix="machtigen-profile-"))
    environment(url, workdir)
    # The request log lines go where a worker's go, but not to this terminal.
    stderr, sys.stderr = sys.stderr, open(os.devnull, "w")  # noqa: SIM115
    try:
        asyncio.run(run(args, url, samples, key))
    finally:
        sys.stderr.close()
        sys.stderr = stderr
        admin = create_engine(args.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
