"""The FastAPI application: /health, login, the portal, the afnemer API and the dev broker."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.assets import install_assets, require_assets
from api.auth import dev_broker
from api.auth import routes as auth_routes
from api.observability import install_observability
from api.portal import install_portal
from api.problems import install_problem_handlers, problem
from api.tracing import install_tracing
from api.v1.app import install_api_v1
from api.web import install_page_handlers
from machtigen import logs
from machtigen.audit import mac
from machtigen.authz.engine import get_authorizer
from machtigen.clock import Clock, SystemClock
from machtigen.config import Settings, get_settings
from machtigen.db import make_engine, session_factory
from machtigen.identity.brokers import load_brokers
from machtigen.keys import ACCESS_TOKEN, AUDIT_CHECKPOINT, AUDIT_MAC, LOGIN_STATE, require
from machtigen.metrics import instrument_pool

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
        engine = make_engine(settings.database_url)
        instrument_pool(engine)
        app.state.engine = engine
        app.state.session_factory = session_factory(engine)
        app.state.authorizer = get_authorizer()
        app.state.brokers = load_brokers(settings)
        yield
        engine.dispose()

    app = FastAPI(title="machtigen", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.keysets = keysets
    now = app.state.clock.now()
    app.state.checkpoint_jwks = keysets[AUDIT_CHECKPOINT].jwks(now, include_expired=True)
    install_problem_handlers(app)
    install_page_handlers(app)
    install_api_v1(app, settings, keysets[ACCESS_TOKEN])
    install_observability(app, settings.trusted_proxies)
    install_tracing(app)
    app.include_router(auth_routes.router)
    install_portal(app)
    install_assets(app)
    if settings.dev_broker:
        app.include_router(dev_broker.router)

    @app.get("/health", tags=["operations"])
    def health(request: Request) -> JSONResponse:
        try:
            with request.app.state.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return problem(503, "Service unavailable", "The database is not reachable.")
        return JSONResponse({"status": "ok", "database": "reachable"})

    @app.get("/.well-known/jwks.json", tags=["operations"])
    def jwks(request: Request) -> JSONResponse:
        """The public keys: access tokens (signing, next and still verifying) and audit
        checkpoints (every key ever used: checkpoints verify forever)."""
        keys = request.app.state.keysets
        at = request.app.state.clock.now()
        published = keys[ACCESS_TOKEN].jwks(at)["keys"] + request.app.state.checkpoint_jwks["keys"]
        return JSONResponse({"keys": published}, headers={"Cache-Control": "public, max-age=300"})

    return app
