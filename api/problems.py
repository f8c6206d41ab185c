"""RFC 9457 problem details for every error the API returns."""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.observability import REQUEST_ID_HEADER, request_id
from machtigen import logs
from machtigen.errors import MachtigenError
from machtigen.identity.tokens import InvalidToken

PROBLEM_JSON = "application/problem+json"
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


async def domain_problem(_request: Request, error: MachtigenError) -> JSONResponse:
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


async def unexpected_problem(request: Request, error: Exception) -> JSONResponse:
    """A 500, answered outside the other layers: it carries the request id header itself."""
    log_unexpected(request, error)
    current = request_id()
    return problem(
        500,
        "Internal server error",
        "Something went wrong on our side; nothing was changed.",
        {REQUEST_ID_HEADER: current} if current else None,
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
    app.add_exception_handler(Exception, unexpected_problem)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
