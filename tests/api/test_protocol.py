"""The service's HTTP protocol (`aura.api.protocol`): TCP_NODELAY on every connection, also on a
listening socket bound as uvicorn's multi-worker supervisor binds it (``proto`` 0), where asyncio
leaves Nagle's algorithm on; a request asking to switch protocols answered without a warning."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import uvicorn
from starlette.types import Receive, Scope, Send
from uvicorn.importer import ImportFromStringError

from aura.api.settings import EVENT_LOOP, HTTP_PROTOCOL


async def _constant(scope: Scope, receive: Receive, send: Send) -> None:
    """A bare ASGI app with a constant answer."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


@asynccontextmanager
async def _serving(
    http: str,
) -> AsyncIterator[tuple[uvicorn.Server, asyncio.StreamReader, asyncio.StreamWriter]]:
    """uvicorn serving `_constant` with protocol ``http``, and a connection to it. The listening
    socket is bound with ``proto`` 0, as uvicorn.Config.bind_socket makes it. A server that stops
    before it starts (a protocol that cannot be imported) fails the test, where waiting for its
    start hung it."""
    listener = socket.socket(socket.AF_INET)
    listener.bind(("127.0.0.1", 0))
    config = uvicorn.Config(_constant, http=http, loop=EVENT_LOOP, log_config=None)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            if task.done():
                task.result()
                raise AssertionError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection(*listener.getsockname())
        yield server, reader, writer
        writer.close()
        await writer.wait_closed()
    finally:
        server.should_exit = True
        if not task.done():
            await task
        listener.close()


async def _server_side_nodelay(http: str) -> int:
    """TCP_NODELAY of the server's end of one kept-alive connection, after one request."""
    async with _serving(http) as (server, reader, writer):
        writer.write(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
        await writer.drain()
        assert (await reader.readline()).startswith(b"HTTP/1.1 200")
        (connection,) = server.server_state.connections
        sock = connection.transport.get_extra_info("socket")
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


@pytest.mark.parametrize(("http", "nodelay"), [("httptools", False), (HTTP_PROTOCOL, True)])
def test_nodelay_on_a_socket_bound_for_workers(http: str, nodelay: bool) -> None:
    """uvicorn's own protocol leaves Nagle on there (the ~44 ms per response seen with
    ``--workers 2``); the service's protocol turns it off."""
    assert bool(asyncio.run(_server_side_nodelay(http))) is nodelay


async def _answer_to_an_upgrade(http: str) -> bytes:
    """The status line of the answer to a request asking to switch to HTTP/2 (``h2c``)."""
    async with _serving(http) as (_, reader, writer):
        writer.write(
            b"GET / HTTP/1.1\r\nHost: test\r\nConnection: Upgrade, HTTP2-Settings\r\n"
            b"Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"
        )
        await writer.drain()
        return await reader.readline()


def test_a_server_that_stops_before_it_starts_fails_the_helper_not_hangs() -> None:
    with pytest.raises(ImportFromStringError):
        asyncio.run(_server_side_nodelay("aura.api.protocol:NoSuchProtocol"))


@pytest.mark.parametrize(("http", "warned"), [("httptools", True), (HTTP_PROTOCOL, False)])
def test_a_request_to_switch_protocols_is_answered_without_a_warning(
    http: str, warned: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Java's HttpClient asks for ``h2c`` on every ``http://`` request by default; uvicorn
    answered over HTTP/1.1 and logged two warnings each time, one advising a WebSocket library
    the service has no use for."""
    with caplog.at_level(logging.DEBUG, logger="uvicorn.error"):
        assert asyncio.run(_answer_to_an_upgrade(http)).startswith(b"HTTP/1.1 200")
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert bool(warnings) is warned, warnings
    assert warned or any("Upgrade header" in r.getMessage() for r in caplog.records)
