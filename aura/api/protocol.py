"""uvicorn's httptools protocol with Nagle's algorithm turned off on every connection.

asyncio turns ``TCP_NODELAY`` on only for sockets whose ``proto`` is ``IPPROTO_TCP``. With more
than one worker, uvicorn binds the listening socket itself with ``proto`` 0, which accepted
sockets inherit, so Nagle's algorithm stayed on: on a kept-alive connection each response after
the first waited for the client's delayed ACK, 44 ms at p50 with ``--workers 2`` against 0.3 ms
with one worker (uvicorn issue 3149). Setting the option on each connection, whatever socket it
came from, removes the difference. ``aura serve`` and the Docker image select this class with
uvicorn's ``http`` option (`aura.api.settings.HTTP_PROTOCOL`).
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class NoDelayHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
