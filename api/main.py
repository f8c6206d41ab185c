"""The FastAPI application: /health, login, the portal, the afnemer API and the dev broker."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.assets import install_assets
from api.auth import dev_broker
from api.auth import routes as auth_routes
from api.auth.setup import install_login
from api.portal import install_portal
from api.problems import install_problem_handlers, problem
from api.v1.app import install_api_v1
from api.web import install_page_handlers
from machtigen.authz.engine import get_authorizer
from machtigen.clock import Clock, SystemClock
from machtigen.config import Settings, get_settings
from machtigen.db import make_engine, session_factory


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.engine = engine
        app.state.session_factory = session_factory(engine)
        app.state.authorizer = get_authorizer()
        install_login(app, settings)
        yield
        engine.dispose()

    app = FastAPI(title="machtigen", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    install_problem_handlers(app)
    install_page_handlers(app)
    install_api_v1(app, settings)
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

    return app
