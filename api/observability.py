"""Request ids, the access log line, request metrics and the trusted-proxy chain.

Outermost first, in front of admission control (``front_layers``): ``CorrelationIdMiddleware``
(asgi-correlation-id: takes a valid ``X-Request-ID`` or makes one, and echoes it, also on an
admission refusal), ``ProxyHeadersMiddleware`` (uvicorn's, with ``trusted_proxies``: the client
address is the nearest one outside the trusted chain, so admission shares places per real
address). Inside the app, ``RequestTelemetry`` binds ``request_id`` to every log line of the
request, and when the response has gone out writes one ``request`` line and the metrics.
"""

import time
from typing import Any
from uuid import UUID

from asgi_correlation_id import CorrelationIdMiddleware
from asgi_correlation_id.context import correlation_id
from fastapi import FastAPI, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from machtigen import logs
from machtigen.metrics import HTTP_LATENCY, HTTP_REQUESTS

REQUEST_ID_HEADER = "X-Request-ID"
log = logs.get_logger("machtigen.request")


def request_id() -> str | None:
    """The id of the request being handled (also in problem+json as ``requestId``)."""
    return correlation_id.get()


def identify_client(request: Request, client_id: str) -> None:
    """Name the machine client of this request in its log lines and metrics."""
    request.state.client_id = client_id
    logs.structlog.contextvars.bind_contextvars(client=client_id)


def route_template(scope: Scope) -> str:
    """``/api/v1/messages/{message_id}/status``: the matched route, never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path is None:
        return "unmatched"
    return f"{scope.get('root_path', '')}{path}" if scope.get("root_path") else str(path)


class RequestTelemetry:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        with logs.bound(request_id=request_id()):
            try:
                await self.app(scope, receive, send_status)
            finally:
                self._account(scope, status, time.perf_counter() - started)

    def _account(self, scope: Scope, status: int, seconds: float) -> None:
        route, method = route_template(scope), scope["method"]
        state = scope.get("state") or {}
        client = state.get("client_id") or ("portal" if route.startswith("/portal") else "-")
        counted, timed = _children(route, method, status, client)
        counted.inc()
        timed.observe(seconds)
        log.info(
            "request",
            method=method,
            route=route,
            status=status,
            duration_ms=round(seconds * 1000, 2),
            client=client,
            client_ip=(scope.get("client") or (None,))[0],
        )


_CHILDREN: dict[tuple[str, str, int, str], tuple[Any, Any]] = {}
_CHILDREN_SIZE = 4096


def _children(route: str, method: str, status: int, client: str) -> tuple[Any, Any]:
    """The request counter and latency histogram of these labels, looked up once (finding a
    labelled child costs more than counting in it). Route templates, methods, statuses and
    clients are few; past the bound a child is looked up each time."""
    key = (route, method, status, client)
    found = _CHILDREN.get(key)
    if found is None:
        found = (
            HTTP_REQUESTS.labels(route=route, method=method, status=str(status), client=client),
            HTTP_LATENCY.labels(route=route, method=method),
        )
        if len(_CHILDREN) < _CHILDREN_SIZE:
            _CHILDREN[key] = found
    return found


def _hex_id(value: str) -> str:
    return UUID(value).hex


def install_observability(app: FastAPI) -> None:
    """The per-request log line and metrics, among the app's middleware."""
    app.add_middleware(RequestTelemetry)


def front_layers(app: ASGIApp, trusted_proxies: list[str]) -> ASGIApp:
    """The layers before everything else, admission control included: the request id and
    the client's real address behind the trusted proxies."""
    inner: Any = app
    behind_proxies: Any = ProxyHeadersMiddleware(inner, trusted_hosts=trusted_proxies or [])
    front: Any = CorrelationIdMiddleware(
        behind_proxies, header_name=REQUEST_ID_HEADER, transformer=_hex_id
    )
    return front
