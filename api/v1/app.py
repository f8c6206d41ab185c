"""The /api/v1 sub-application: its own OpenAPI document, problem handlers and routers.

It shares ``state`` with the main app (engine, sessions, clock, policy, keys, limiter).
"""

from copy import deepcopy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.datastructures import State

from api.problems import install_problem_handlers
from api.tracing import NO_NATIVE_TELEMETRY
from api.v1 import events, mandates, messages, register, token
from api.v1.middleware import ApiConventions
from api.v1.ratelimit import RateLimiter
from machtigen.clients.keys import ApiTokenConfig
from machtigen.config import Settings
from machtigen.keys import KeySet

API_VERSION = "1.0.0"
PREFIX = "/api/v1"
TOKEN_PATH = f"{PREFIX}/oauth2/token"

_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference", "default": "about:blank"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "format": "uri-reference"},
        "requestId": {
            "type": "string",
            "description": "The request's id (also in the X-Request-ID header): quote it",
        },
        "invalidParams": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}
_ERRORS = {
    "400": "The request is malformed",
    "401": "No valid access token (or client assertion)",
    "403": "This client may not use this endpoint",
    "404": "Not found, or not this afnemer's",
    "406": "The client accepts no JSON",
    "409": "The Idempotency-Key was used with another request",
    "413": "The body is too large",
    "415": "The body is not of the required media type",
    "422": "The body does not match the schema",
    "429": "This client's share is used up; see Retry-After",
    "500": "An unexpected error",
    "503": "The service is at capacity or its database is unavailable; see Retry-After",
}
_RETRY_AFTER_HEADER = {
    "description": "Seconds to wait before retrying (with jitter; back off exponentially)",
    "schema": {"type": "integer", "minimum": 1},
}
_VERSION_HEADER = {
    "description": "The full version of this API",
    "schema": {"type": "string", "example": API_VERSION},
}


def build_v1(state: State, public_url: str) -> FastAPI:
    v1 = FastAPI(
        title="machtigen afnemer API",
        version=API_VERSION,
        description=(
            "Deliver messages to the government mailbox and check mandates (machtigingen)."
            " Authenticate with OAuth2 client credentials and a private_key_jwt client"
            " assertion (RFC 7523) at /oauth2/token; send the access token as Bearer."
        ),
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        telemetry=NO_NATIVE_TELEMETRY,
    )
    v1.state = state
    install_problem_handlers(v1)
    for module in (token, messages, mandates, register, events):
        v1.include_router(module.router)

    def openapi() -> dict[str, Any]:
        if v1.openapi_schema is None:
            document = get_openapi(
                title=v1.title,
                version=v1.version,
                description=v1.description,
                routes=v1.routes,
                servers=[{"url": f"{public_url.rstrip('/')}{PREFIX}"}],
                contact={
                    "name": "machtigen beheer",
                    "email": "beheer@machtigen.example",
                    "url": f"{public_url.rstrip('/')}/",
                },
            )
            v1.openapi_schema = _conform(document, f"{public_url.rstrip('/')}{TOKEN_PATH}")
        return v1.openapi_schema

    v1.openapi = openapi  # type: ignore[method-assign]
    return v1


def _conform(document: dict[str, Any], token_url: str) -> dict[str, Any]:
    """NL GOV API Design Rules: API-Version on every success, problem+json for every error."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = _PROBLEM_SCHEMA
    document["components"]["securitySchemes"] = {
        "clientCredentials": {
            "type": "oauth2",
            "description": "private_key_jwt client assertion (RFC 7523)",
            "flows": {"clientCredentials": {"tokenUrl": token_url, "scopes": {}}},
        }
    }
    problem_content = {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if code.startswith(("2", "3")):
                    response.setdefault("headers", {})["API-Version"] = deepcopy(_VERSION_HEADER)
            codes = ["400", "406", "413", "415", "422", "429", "500", "503"]
            if path != "/oauth2/token":
                codes += ["401", "403", "404"]
                operation["security"] = [{"clientCredentials": []}]
            else:
                codes += ["401"]
                operation["security"] = []
            if path == "/messages" and method == "post":
                codes.append("409")
            if method == "get":
                codes.remove("413")
                codes.remove("415")
            for code in sorted(codes):
                headers = {"API-Version": deepcopy(_VERSION_HEADER)}
                if code in ("429", "503"):
                    headers["Retry-After"] = deepcopy(_RETRY_AFTER_HEADER)
                responses[code] = {
                    "description": _ERRORS[code],
                    "content": deepcopy(problem_content),
                    "headers": headers,
                }
    return document


def install_api_v1(app: FastAPI, settings: Settings, keyset: KeySet) -> None:
    """Mount /api/v1 with its conventions layer, signing keys and rate limiter."""
    config = ApiTokenConfig.for_public_url(
        settings.public_url, keyset, settings.access_token_seconds, app.state.clock.now()
    )
    app.state.token_config = config
    app.state.access_token_issuer = config.access_token_issuer(app.state.clock.now())
    app.state.rate_limiter = RateLimiter(
        settings.rate_limit_per_client,
        settings.token_rate_limit_per_ip,
        settings.redis_url,
        timeout_seconds=settings.redis_timeout_seconds,
        breaker_failures=settings.redis_breaker_failures,
        breaker_reset_seconds=settings.redis_breaker_reset_seconds,
    )
    v1 = build_v1(app.state, settings.public_url)
    app.mount(PREFIX, v1)
    app.add_middleware(
        ApiConventions,
        prefix=PREFIX,
        api_version=API_VERSION,
        max_body_bytes=settings.max_body_bytes,
        form_paths=frozenset({TOKEN_PATH}),
        routes=v1.router.routes,
    )
