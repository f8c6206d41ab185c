"""RFC 9457 problem details for every error the API returns.

Extension members are camelCase (``invalidParams``). Every 404 is the same bytes, whatever
was not found and whether it exists for someone else: no existence oracle.
"""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException

from api.observability import request_id
from api.overload import Refusal, Refused, refuse
from machtigen import logs
from machtigen.errors import MachtigenError, NotFound
from machtigen.identity.tokens import InvalidToken
from machtigen.inputs import DRIVER_REFUSALS, refused_client_input

PROBLEM_JSON = "application/problem+json"
NOT_FOUND_DETAIL = "There is nothing here for you: it does not exist, or it is not yours."
log = logs.get_logger("machtigen.api")


def problem(
    status: int,
    title: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
    **extra: object,
) -> JSONResponse:
    body = {"type": "about:blank", "status": status, "title": title, "detail": detail, **extra}
    current = request_id()
    if current:
        body["requestId"] = current
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


def not_found() -> JSONResponse:
    """One answer for "does not exist" and "exists but is not yours"."""
    return problem(404, "Not found", NOT_FOUND_DETAIL)


async def domain_problem(_request: Request, error: MachtigenError) -> JSONResponse:
    if isinstance(error, NotFound):
        return not_found()
    refusal = getattr(error, "refusal", None)
    if isinstance(refusal, Refusal):
        wait = int(getattr(error, "reset_in_seconds", 0))
        client = getattr(error, "client_id", None)
        refused = refuse(refusal, wait_at_least=wait, detail=error.detail, client=client)
        return refused_problem(refused)
    headers: dict[str, str] = dict(getattr(error, "headers", None) or {})
    extra: dict[str, Any] = dict(getattr(error, "extra", None) or {})
    if isinstance(error, InvalidToken):
        headers.setdefault("WWW-Authenticate", 'Bearer error="invalid_token"')
    return problem(error.status_code, error.title, error.detail, headers or None, **extra)


async def http_problem(_request: Request, error: HTTPException) -> JSONResponse:
    if error.status_code == 404:
        return not_found()
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
        invalidParams=invalid_params,
    )


async def refused_input_problem(request: Request, error: Exception) -> JSONResponse:
    """The last line of defence: the driver refused a value from the request.

    Answered 400 only when a bound value breaks the input rules (``machtigen.inputs``): the
    client's input that an entrance forgot to check, which is logged so the gap gets closed.
    Anything else is our fault and goes on to the 500 handler.
    """
    if not refused_client_input(error):
        raise error
    log.error(
        "input check missing: the database refused a value from %s %s",
        request.method,
        request.url.path,
        exc_info=(type(error), error, None),
    )
    return problem(
        400,
        "Bad request",
        "A value in the request cannot be stored: it is out of range or contains a"
        " character that is not allowed.",
    )


async def unexpected_problem(request: Request, error: Exception) -> JSONResponse:
    """A 500: logged with its request id, which the front layer echoes in the header."""
    log_unexpected(request, error)
    return problem(
        500, "Internal server error", "Something went wrong on our side; nothing was changed."
    )


def log_unexpected(request: Request, error: Exception) -> None:
    log.error(
        "unexpected error",
        request_id=request_id(),
        route=getattr(request.scope.get("route"), "path", "unmatched"),
        exc_info=error,
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MachtigenError, domain_problem)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_problem)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, invalid_problem)  # type: ignore[arg-type]
    for error in DATABASE_UNAVAILABLE_ERRORS:
        app.add_exception_handler(error, database_unavailable_problem)
    for refusal in DRIVER_REFUSALS:
        app.add_exception_handler(refusal, refused_input_problem)
    app.add_exception_handler(Exception, unexpected_problem)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
