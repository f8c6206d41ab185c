"""The FastAPI application: /health, login, the portal, the afnemer API and the dev broker."""

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import health
from api.admission import AdmissionControl, AdmittingApp, Shares
from api.assets import MOUNTS, install_assets
from api.auth import dev_broker
from api.auth import routes as auth_routes
from api.auth.setup import install_login
from api.portal import install_portal
from api.problems import install_problem_handlers
from api.v1.app import API_VERSION, PREFIX, install_api_v1
from api.v1.token_cache import VerifiedTokens
from api.web import install_page_handlers
from machtigen.authz.engine import get_authorizer
from machtigen.clock import Clock, SystemClock
from machtigen.config import Settings, get_settings
from machtigen.db import make_web_engine, session_factory

GIL_SWITCH_INTERVAL_SECONDS = 0.001
"""Python's default is 5 ms: a request thread busy with Python code then keeps the event loop
(which answers refusals and health probes) waiting up to 5 ms per thread at every turn. 1 ms
keeps those answers quick while requests run, for a percent or so of throughput."""


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_web_engine(settings)
        app.state.engine = engine
        app.state.session_factory = session_factory(engine)
        app.state.database_probe = health.DatabaseProbe(
            settings.database_url, health.migration_heads()
        )
        app.state.authorizer = get_authorizer()
        install_login(app, settings)
        sys.setswitchinterval(GIL_SWITCH_INTERVAL_SECONDS)
        yield
        app.state.database_probe.close()
        engine.dispose()

    app = AdmittingApp(title="machtigen", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    install_problem_handlers(app)
    install_page_handlers(app)
    app.include_router(health.router)
    install_api_v1(app, settings)
    install_admission(app, settings)
    app.include_router(auth_routes.router)
    install_portal(app)
    install_assets(app)
    if settings.dev_broker:
        app.include_router(dev_broker.router)

    return app


def install_admission(app: AdmittingApp, settings: Settings) -> None:
    """Admission control in front of the whole app, for everything that may touch the
    database; health, the OpenAPI document and static files pass untouched."""
    app.state.verified_tokens = VerifiedTokens()
    app.state.admission = Shares(
        capacity=settings.max_in_flight or max(1, settings.db_pool_size - 1),
        reserve=settings.admission_reserve,
        activity_seconds=settings.admission_activity_seconds,
    )
    app.front = AdmissionControl(
        app.behind_front,
        shares=app.state.admission,
        tokens=app.state.verified_tokens,
        clock=app.state.clock,
        api_prefix=PREFIX,
        api_version=API_VERSION,
        over_rate=app.state.rate_limiter.over_rate_here,
        portal_weight=settings.portal_weight,
        exempt_paths=health.HEALTH_PATHS | {f"{PREFIX}/openapi.json"},
        exempt_prefixes=tuple(f"{prefix}/" for prefix in MOUNTS),
    )
