"""uvicorn's httptools protocol as the service runs it: Nagle's algorithm off on every connection,
and a request that asks to switch protocols answered without a warning.

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


class ServiceHttpProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)

    def _unsupported_upgrade_warning(self) -> None:
        """A request with an ``Upgrade`` header the service does not take (``h2c``, which Java's
        HttpClient sends on every ``http://`` request by default) is answered over HTTP/1.1, as
        HTTP allows. uvicorn logged two warnings for each such request, the second advising a
        WebSocket library this service has no use for; a client of that kind filled the log."""
        self.logger.debug("Upgrade header not taken: answered over HTTP/1.1")
