"""RFC 9457 problem details for every error the API returns."""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException

from api.overload import Refusal, Refused, refuse
from machtigen.errors import MachtigenError
from machtigen.identity.tokens import InvalidToken

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int,
    title: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
    **extra: object,
) -> JSONResponse:
    body = {"type": "about:blank", "status": status, "title": title, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _database_unavailable_errors() -> tuple[type[Exception], ...]:
    """What a database that is down, unreachable, too slow or out of pooled connections
    raises: through SQLAlchemy, and from psycopg directly (its async pool's PoolTimeout is a
    psycopg OperationalError)."""
    import psycopg

    return (
        sa_exc.TimeoutError,
        sa_exc.OperationalError,
        sa_exc.InterfaceError,
        psycopg.OperationalError,
        psycopg.InterfaceError,
    )


DATABASE_UNAVAILABLE_ERRORS = _database_unavailable_errors()


def refused_problem(refused: Refused) -> JSONResponse:
    return problem(refused.status, refused.title, refused.detail, refused.headers)


async def database_unavailable_problem(_request: Request, _error: Exception) -> JSONResponse:
    """No connection within the pool timeout, or no database: 503 at once, never a 500."""
    return refused_problem(refuse(Refusal.DATABASE_UNAVAILABLE))


async def domain_problem(_request: Request, error: MachtigenError) -> JSONResponse:
    refusal = getattr(error, "refusal", None)
    if isinstance(refusal, Refusal):
        wait = int(getattr(error, "reset_in_seconds", 0))
        return refused_problem(refuse(refusal, wait_at_least=wait, detail=error.detail))
    headers: dict[str, str] = dict(getattr(error, "headers", None) or {})
    extra: dict[str, Any] = dict(getattr(error, "extra", None) or {})
    if isinstance(error, InvalidToken):
        headers.setdefault("WWW-Authenticate", 'Bearer error="invalid_token"')
    return problem(error.status_code, error.title, error.detail, headers or None, **extra)


async def http_problem(_request: Request, error: HTTPException) -> JSONResponse:
    return problem(error.status_code, _title(error.status_code), str(error.detail), error.headers)


async def invalid_problem(_request: Request, error: RequestValidationError) -> JSONResponse:
    invalid_params = [
        {"name": ".".join(str(part) for part in item["loc"]), "reason": item["msg"]}
        for item in error.errors()
    ]
    return problem(
        422,
        "Invalid input",
        "The request does not match the schema.",
        invalid_params=invalid_params,
    )


async def unexpected_problem(_request: Request, _error: Exception) -> JSONResponse:
    return problem(
        500, "Internal server error", "Something went wrong on our side; nothing was changed."
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MachtigenError, domain_problem)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_problem)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, invalid_problem)  # type: ignore[arg-type]
    for error in DATABASE_UNAVAILABLE_ERRORS:
        app.add_exception_handler(error, database_unavailable_problem)
    app.add_exception_handler(Exception, unexpected_problem)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
