"""TCP_NODELAY on every connection, also on a listening socket bound as uvicorn's multi-worker
supervisor binds it (``proto`` 0), where asyncio leaves Nagle's algorithm on."""

from __future__ import annotations

import asyncio
import socket

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from aura.api.settings import EVENT_LOOP, HTTP_PROTOCOL


async def _constant(scope: Scope, receive: Receive, send: Send) -> None:
    """A bare ASGI app with a constant answer."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _server_side_nodelay(http: str) -> int:
    """TCP_NODELAY of the server's end of one kept-alive connection, after one request."""
    listener = socket.socket(socket.AF_INET)  # proto 0, as uvicorn.Config.bind_socket makes it
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(_constant, http=http, loop=EVENT_LOOP, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        await writer.drain()
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
        (connection,) = server.server_state.connections
        sock = connection.transport.get_extra_info("socket")
        value = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        writer.close()
        await writer.wait_closed()
        return value
    finally:
        server.should_exit = True
        await task
        listener.close()


@pytest.mark.parametrize(("http", "nodelay"), [("httptools", False), (HTTP_PROTOCOL, True)])
def test_nodelay_on_a_socket_bound_for_workers(http: str, nodelay: bool) -> None:
    """uvicorn's own protocol leaves Nagle on there (the ~44 ms per response seen with
    ``--workers 2``); the service's protocol turns it off."""
    assert bool(asyncio.run(_server_side_nodelay(http))) is nodelay
