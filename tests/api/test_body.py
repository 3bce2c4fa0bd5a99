"""Reading a request body from the ASGI channel: one message or many, and a client that leaves."""

from __future__ import annotations

import asyncio

import pytest
from starlette.requests import ClientDisconnect, Request

from aura.api.body import read_body

SCOPE = {"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""}


def request_of(*messages: dict) -> Request:
    queue = list(messages)

    async def receive() -> dict:
        return queue.pop(0)

    return Request(SCOPE, receive)


def body(data: bytes, more: bool = False) -> dict:
    return {"type": "http.request", "body": data, "more_body": more}


@pytest.mark.parametrize(
    "messages",
    [
        [body(b'{"a": 1}')],
        [body(b'{"a"', more=True), body(b": 1}")],
        [body(b'{"a"', more=True), body(b"", more=True), body(b": 1}")],
        [body(b'{"a"', more=True), body(b": 1}", more=True), body(b"")],
    ],
    ids=["one message", "two", "an empty chunk between", "an empty last chunk"],
)
def test_the_body_is_whole_however_it_arrives(messages: list[dict]) -> None:
    assert asyncio.run(read_body(request_of(*messages))) == b'{"a": 1}'


def test_a_client_that_leaves_mid_body_is_a_disconnect() -> None:
    request = request_of(body(b'{"a"', more=True), {"type": "http.disconnect"})
    with pytest.raises(ClientDisconnect):
        asyncio.run(read_body(request))
