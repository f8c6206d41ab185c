"""The FastAPI application: /health, login, the portal, the afnemer API and the dev broker."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import health
from api.admission import AdmissionControl, Shares
from api.assets import MOUNTS, install_assets
from api.auth import dev_broker
from api.auth import routes as auth_routes
from api.portal import install_portal
from api.problems import install_problem_handlers
from api.v1.app import PREFIX, install_api_v1
from api.v1.token_cache import VerifiedTokens
from api.web import install_page_handlers
from machtigen.authz.engine import get_authorizer
from machtigen.clock import Clock, SystemClock
from machtigen.config import Settings, get_settings
from machtigen.db import make_web_engine, session_factory
from machtigen.identity.brokers import load_brokers


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
        app.state.brokers = load_brokers(settings)
        yield
        app.state.database_probe.close()
        engine.dispose()

    app = FastAPI(title="machtigen", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    install_problem_handlers(app)
    install_page_handlers(app)
    app.include_router(health.router)
    install_admission(app, settings)
    install_api_v1(app, settings)
    app.include_router(auth_routes.router)
    install_portal(app)
    install_assets(app)
    if settings.dev_broker:
        app.include_router(dev_broker.router)

    return app


def install_admission(app: FastAPI, settings: Settings) -> None:
    """Admission control inside the API conventions layer (so its refusals carry the same
    headers), in front of everything that may touch the database."""
    app.state.verified_tokens = VerifiedTokens()
    app.state.admission = Shares(
        capacity=settings.max_in_flight or settings.db_pool_size,
        reserve=settings.admission_reserve,
        activity_seconds=settings.admission_activity_seconds,
    )
    app.add_middleware(
        AdmissionControl,
        shares=app.state.admission,
        tokens=app.state.verified_tokens,
        clock=app.state.clock,
        api_prefix=PREFIX,
        portal_weight=settings.portal_weight,
        exempt_paths=health.HEALTH_PATHS | {f"{PREFIX}/openapi.json"},
        exempt_prefixes=tuple(f"{prefix}/" for prefix in MOUNTS),
    )
