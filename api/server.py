"""How uvicorn serves the app: HTTP/1.1 with TCP_NODELAY on every connection.

With ``--workers`` above one, uvicorn binds the listening socket itself as
``socket.socket(AF_INET)``, whose protocol number is 0, and asyncio then skips
``TCP_NODELAY`` on accepted connections (it sets it only for ``IPPROTO_TCP``
sockets). Nagle's algorithm and the client's delayed ACK then hold every response
on a kept-alive connection for about 40 ms. This protocol sets the option itself.
"""

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol

PROTOCOL = "api.server:NoDelayH11Protocol"
"""The value for uvicorn's ``http`` setting (``--http`` on its command line)."""


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        connection = transport.get_extra_info("socket")
        if connection is not None and connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)  # type: ignore[arg-type]
