"""What the login needs at start-up: one relying party per means, the development broker when
it is on, and the per-address limit on starting and finishing logins."""

from typing import Any

import httpx

from machtigen.config import Settings
from machtigen.identity.brokers import broker_configs, dev_client_credentials, dev_issuer
from machtigen.identity.client_keys import ClientCredentials
from machtigen.identity.dev_provider import DevProvider
from machtigen.identity.oidc import RelyingParty, TransportRoute


def install_login(app: Any, settings: Settings) -> None:
    route: TransportRoute | None = None
    loaded: dict[tuple[str, str], ClientCredentials] = {}
    if settings.dev_broker:
        files = (settings.dev_client_key_file, settings.dev_client_cert_file)
        loaded[files] = dev_client_credentials(settings)
        app.state.dev_provider = DevProvider(settings)
        route = _in_process(app, dev_issuer(settings))
    parties = {}
    for means, config in broker_configs(settings).items():
        files = (config.client_key_file, config.client_certificate_file)
        if files not in loaded:
            loaded[files] = ClientCredentials.from_files(*files)
        parties[means] = RelyingParty(config, loaded[files], route)
    app.state.relying_parties = parties


def _in_process(app: Any, prefix: str) -> TransportRoute:
    """Requests to this service's own development broker go straight into the app (a test
    client has no network, and a one-worker server need not call itself); others go out."""

    def route(network: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return _PrefixRoute(prefix, httpx.ASGITransport(app=app), network)

    return route


class _PrefixRoute(httpx.AsyncBaseTransport):
    def __init__(
        self, prefix: str, inner: httpx.AsyncBaseTransport, outer: httpx.AsyncBaseTransport
    ) -> None:
        self._prefix = prefix.rstrip("/") + "/"
        self._inner = inner
        self._outer = outer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if str(request.url).startswith(self._prefix):
            return await self._inner.handle_async_request(request)
        return await self._outer.handle_async_request(request)

    async def aclose(self) -> None:
        await self._outer.aclose()
