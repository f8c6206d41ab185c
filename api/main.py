"""The FastAPI application: routers per audience are added by their own issues; here /health."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.problems import install_problem_handlers, problem
from machtigen.authz.engine import get_authorizer
from machtigen.config import Settings, get_settings
from machtigen.db import make_engine, session_factory


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        app.state.engine = engine
        app.state.session_factory = session_factory(engine)
        app.state.authorizer = get_authorizer()
        yield
        engine.dispose()

    app = FastAPI(title="machtigen", version="0.1.0", lifespan=lifespan)
    install_problem_handlers(app)

    @app.get("/health", tags=["operations"])
    def health(request: Request) -> JSONResponse:
        try:
            with request.app.state.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return problem(503, "Service unavailable", "The database is not reachable.")
        return JSONResponse({"status": "ok", "database": "reachable"})

    return app
