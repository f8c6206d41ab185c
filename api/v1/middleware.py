"""One pure ASGI layer for the API's conventions (no BaseHTTPMiddleware overhead):

- security headers on every response (Cache-Control no-store, HSTS, nosniff,
  CSP frame-ancestors 'none'), set only where a route did not set its own;
- the ``API-Version`` header on every /api/v1 response;
- for /api/v1: 406 when the client accepts no JSON, 415 for a body of the wrong media type,
  413 for a body over the limit (by Content-Length, and counted for chunked bodies). The body
  checks apply only to a method the path has: anything else is left to routing (404, 405).
"""

from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any

from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match

from api.problems import problem

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECURITY_HEADERS = (
    ("Cache-Control", "no-store"),
    ("Strict-Transport-Security", "max-age=31536000; includeSubDomains"),
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "frame-ancestors 'none'"),
)
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
_ROUTED_CACHE_SIZE = 1024
_ACCEPTABLE = frozenset({"*/*", "application/*", JSON, "application/problem+json"})


class ApiConventions:
    def __init__(
        self,
        app: ASGIApp,
        *,
        prefix: str,
        api_version: str,
        max_body_bytes: int,
        form_paths: frozenset[str],
        routes: Sequence[BaseRoute],
    ) -> None:
        self.app = app
        self.prefix = prefix
        self.api_version = api_version
        self.max_body_bytes = max_body_bytes
        self.form_paths = form_paths
        self.routes = routes
        self._routed_cache: dict[tuple[str, str], bool] = {}
        self._security = [
            (name.lower().encode("latin-1"), value.encode()) for name, value in SECURITY_HEADERS
        ]
        self._version = (b"api-version", api_version.encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        in_api = path == self.prefix or path.startswith(self.prefix + "/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add_headers(message, in_api)
            await send(message)

        if not in_api:
            await self.app(scope, receive, send_with_headers)
            return
        headers = Headers(scope=scope)
        has_body = scope["method"] in ("POST", "PUT", "PATCH") and self._routed(scope)
        refusal = self._refusal(scope, headers, has_body)
        if refusal is None and has_body:
            body, too_large = await _read_body(receive, self.max_body_bytes)
            if too_large:
                refusal = problem(
                    413,
                    "Content too large",
                    f"A request body has at most {self.max_body_bytes} bytes.",
                )
            else:
                receive = _replay(body)
        if refusal is not None:
            await refusal(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _add_headers(self, message: Message, in_api: bool) -> None:
        """The security headers a route did not set itself, and the API's version: one scan
        of the response's headers."""
        raw = list(message.get("headers") or ())
        present = {name.lower() for name, _ in raw}
        raw.extend(header for header in self._security if header[0] not in present)
        if in_api:
            raw = [header for header in raw if header[0].lower() != b"api-version"]
            raw.append(self._version)
        message["headers"] = raw

    def _routed(self, scope: Scope) -> bool:
        """Whether the path has this method: only then is the body worth a look. Remembered
        per method and path (a bounded number: a path with an id in it is asked once per id,
        and those are not remembered once the map is full)."""
        key = (scope["method"], scope["path"])
        known = self._routed_cache.get(key)
        if known is not None:
            return known
        inner = {**scope, "path": scope["path"][len(self.prefix) :] or "/", "root_path": ""}
        routed = any(route.matches(inner)[0] == Match.FULL for route in self.routes)
        if len(self._routed_cache) < _ROUTED_CACHE_SIZE:
            self._routed_cache[key] = routed
        return routed

    def _refusal(self, scope: Scope, headers: Headers, has_body: bool) -> Any:
        accept = headers.get("accept")
        if accept and not _accepts_json(accept):
            return problem(
                406,
                "Not acceptable",
                "This API answers in application/json only (and problems"
                " in application/problem+json).",
            )
        if has_body:
            expected = FORM if scope["path"] in self.form_paths else JSON
            given = headers.get("content-type", "").split(";")[0].strip().lower()
            if given != expected:
                return problem(
                    415, "Unsupported media type", f"Send the request body as {expected}."
                )
            length = headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
                return problem(
                    413,
                    "Content too large",
                    f"A request body has at most {self.max_body_bytes} bytes.",
                )
        return None


def _accepts_json(accept: str) -> bool:
    for media_range in accept.split(","):
        media, *params = (part.strip().lower() for part in media_range.split(";"))
        if "q=0" in params or "q=0.0" in params:
            continue
        if media in _ACCEPTABLE:
            return True
    return False


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), False


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive
