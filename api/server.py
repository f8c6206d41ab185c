"""How uvicorn serves the app: HTTP/1.1 with TCP_NODELAY on every connection.

With ``--workers`` above one, uvicorn binds the listening socket itself as
``socket.socket(AF_INET)``, whose protocol number is 0, and asyncio then skips
``TCP_NODELAY`` on accepted connections (it sets it only for ``IPPROTO_TCP``
sockets). Nagle's algorithm and the client's delayed ACK then hold every response
on a kept-alive connection for about 40 ms. These protocols set the option themselves.

``machtigen serve`` uses httptools (a C parser) on uvloop: under a flood every refused
request still costs a parse and an answer, and on this machine that costs about a quarter of
what h11 on asyncio does (``benchmarks/overload.py``; docs/operations.md, "Under a flood").
"""

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

PROTOCOL = "api.server:NoDelayHttpToolsProtocol"
"""The value for uvicorn's ``http`` setting (``--http`` on its command line)."""
LOOP = "uvloop"


def _no_delay(transport: asyncio.BaseTransport) -> None:
    connection = transport.get_extra_info("socket")
    if connection is not None and connection.family in (socket.AF_INET, socket.AF_INET6):
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        _no_delay(transport)
        super().connection_made(transport)  # type: ignore[arg-type]


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        _no_delay(transport)
        super().connection_made(transport)  # type: ignore[arg-type]
