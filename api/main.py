"""The FastAPI application: /health, login, the portal, the afnemer API and the dev broker."""

import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from psycopg_pool import AsyncConnectionPool

from api import health
from api.admission import AdmissionControl, AdmittingApp, Shares
from api.assets import install_assets, mounts, require_assets
from api.auth import dev_broker
from api.auth import routes as auth_routes
from api.auth.setup import install_login
from api.observability import front_layers, install_observability
from api.portal import install_portal
from api.problems import install_problem_handlers
from api.tracing import NO_NATIVE_TELEMETRY, install_tracing
from api.v1.app import API_VERSION, PREFIX, install_api_v1
from api.v1.token_cache import ActiveClients, VerifiedTokens
from api.web import install_page_handlers
from machtigen import logs
from machtigen.audit import mac
from machtigen.authz.engine import get_authorizer
from machtigen.clock import Clock, SystemClock
from machtigen.config import Settings, get_settings
from machtigen.db import make_web_engine, session_factory
from machtigen.keys import ACCESS_TOKEN, AUDIT_CHECKPOINT, AUDIT_MAC, LOGIN_STATE, require
from machtigen.mandates.check_pg import FastChecks, open_pool
from machtigen.metrics import instrument_pool

GIL_SWITCH_INTERVAL_SECONDS = 0.001
"""Python's default is 5 ms: a request thread busy with Python code then keeps the event loop
(which answers refusals and health probes) waiting up to 5 ms per thread at every turn. 1 ms
keeps those answers quick while requests run, for a percent or so of throughput."""

SERVE_KEYS = (ACCESS_TOKEN, AUDIT_CHECKPOINT, AUDIT_MAC, LOGIN_STATE)


class RefusedToStart(RuntimeError):
    """The configuration is not fit to serve (production safety checks)."""


def production_problems(settings: Settings) -> list[str]:
    if settings.environment == "development":
        return []
    problems = []
    if settings.dev_broker:
        problems.append("MACHTIGEN_DEV_BROKER is on: the development broker mints any identity")
    return problems


def freeze_start_up_objects() -> None:
    """Move everything the worker built at start-up (the policy engine, the compiled
    statements, the templates, the schemas) out of the garbage collector's sight: they live
    as long as the worker, and a full collection would otherwise walk them all, pausing the
    requests in flight. Production only: a test process builds many apps that must be
    collected again."""
    gc.collect()
    gc.freeze()


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """The app; refuses (``RefusedToStart``, ``MissingKeys``) to serve without its keys, its
    styles, or with development-only parts on in production."""
    settings = settings or get_settings()
    logs.configure(settings.log_level, settings.log_format)
    problems = production_problems(settings)
    if problems:
        raise RefusedToStart("; ".join(problems))
    keysets = require(settings, SERVE_KEYS)
    require_assets()
    mac.install(keysets[AUDIT_MAC])

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_web_engine(settings)
        instrument_pool(engine)
        app.state.engine = engine
        app.state.session_factory = session_factory(engine)
        app.state.database_probe = health.DatabaseProbe(
            settings.database_url, health.migration_heads()
        )
        app.state.authorizer = get_authorizer()
        install_login(app, settings)
        pool = await open_check_pool(app, settings)
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)
        if settings.environment == "production":
            freeze_start_up_objects()
        yield
        if pool is not None:
            await pool.close()
        app.state.database_probe.close()
        engine.dispose()

    app = AdmittingApp(
        title="machtigen", version="0.1.0", lifespan=lifespan, telemetry=NO_NATIVE_TELEMETRY
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.keysets = keysets
    now = app.state.clock.now()
    app.state.checkpoint_jwks = keysets[AUDIT_CHECKPOINT].jwks(now, include_expired=True)
    install_problem_handlers(app)
    install_page_handlers(app)
    app.include_router(health.router)
    install_api_v1(app, settings, keysets[ACCESS_TOKEN])
    install_observability(app)
    install_tracing(app)
    install_admission(app, settings)
    app.include_router(auth_routes.router)
    install_portal(app)
    install_assets(app)
    if settings.dev_broker:
        app.include_router(dev_broker.router)

    @app.get("/.well-known/jwks.json", tags=["operations"])
    def jwks(request: Request) -> JSONResponse:
        """The public keys: access tokens (signing, next and still verifying) and audit
        checkpoints (every key ever used: checkpoints verify forever)."""
        keys = request.app.state.keysets
        at = request.app.state.clock.now()
        published = keys[ACCESS_TOKEN].jwks(at)["keys"] + request.app.state.checkpoint_jwks["keys"]
        return JSONResponse({"keys": published}, headers={"Cache-Control": "public, max-age=300"})

    return app


async def open_check_pool(app: FastAPI, settings: Settings) -> AsyncConnectionPool[Any] | None:
    """On PostgreSQL (unless ``async_checks`` is off): the async pool the mandate checks use,
    sized like the SQLAlchemy pool, and ``state.fast_checks``; None elsewhere."""
    app.state.check_pool = app.state.fast_checks = None
    if not (settings.async_checks and settings.database_url.startswith("postgresql")):
        return None
    pool = open_pool(
        settings.database_url,
        min_size=settings.db_pool_size,
        max_size=settings.db_pool_size + settings.db_max_overflow,
        timeout=settings.db_pool_timeout_seconds,
        statement_timeout_ms=settings.db_statement_timeout_ms,
    )
    await pool.open(wait=False)
    app.state.check_pool = pool
    app.state.fast_checks = FastChecks(pool, app.state.authorizer, app.state.clock)
    return pool


def install_admission(app: AdmittingApp, settings: Settings) -> None:
    """Admission control in front of the whole app, for everything that may touch the
    database; health, the OpenAPI document and static files pass untouched."""
    app.state.verified_tokens = VerifiedTokens()
    app.state.active_clients = ActiveClients(settings.client_recheck_seconds)
    app.state.admission = Shares(
        capacity=settings.max_in_flight or max(1, settings.db_pool_size - 1),
        reserve=settings.admission_reserve,
        activity_seconds=settings.admission_activity_seconds,
    )
    admission = AdmissionControl(
        app.behind_front,
        shares=app.state.admission,
        tokens=app.state.verified_tokens,
        clock=app.state.clock,
        api_prefix=PREFIX,
        api_version=API_VERSION,
        over_rate=app.state.rate_limiter.over_rate_here,
        portal_weight=settings.portal_weight,
        exempt_paths=health.HEALTH_PATHS | {f"{PREFIX}/openapi.json"},
        exempt_prefixes=tuple(f"{prefix}/" for prefix in mounts()),
    )
    app.front = front_layers(admission, settings.trusted_proxies)
