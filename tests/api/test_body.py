"""Reading a request body from the ASGI channel: one message or many, and a client that leaves;
keys given twice in one object."""

from __future__ import annotations

import asyncio
from typing import Literal, NotRequired

import pytest
from starlette.requests import ClientDisconnect, Request
from typing_extensions import TypedDict

from aura.api.body import BodyParser, duplicate_keys, read_body
from aura.api.errors import RequestError
from aura.api.records import RECORD_CONFIG

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


class Inner(TypedDict):
    __pydantic_config__ = RECORD_CONFIG
    level: float


class Record(TypedDict):
    """A record whose vocabulary holds a colon and which nests an object."""

    __pydantic_config__ = RECORD_CONFIG
    slot: Literal["09:00", "10:00"]
    inner: NotRequired[Inner | None]


PARSER = BodyParser.for_record(Record, max_records=10)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"slot": "09:00"}',
        b'{"slot": "09:00", "inner": {"level": 1}}',
        b'[{"slot": "09:00", "inner": null}, {"slot"  :  "10:00", "inner": {"level": 2}}]',
        b'{"slot": "09:00", "\\u0069nner": {"level": 1}}',
    ],
)
def test_a_body_with_each_key_once_is_read_whatever_its_colons(raw: bytes) -> None:
    """A colon inside a word is no key: such a body is scanned, and passes."""
    assert PARSER.nested
    assert PARSER.validate(raw)


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        (b'{"slot": "09:00", "slot": "10:00"}', ["body.slot"]),
        (b'{"slot": "09:00", "inner": {"level": 1, "level": 1}}', ["body.inner.level"]),
        (
            b'[{"slot": "09:00"}, {"slot": "10:00", "\\u0073lot": "10:00", "inner": null}]',
            ["body[1].slot"],
        ),
    ],
)
def test_a_key_given_twice_is_refused_naming_where(raw: bytes, fields: list[str]) -> None:
    with pytest.raises(RequestError) as refused:
        PARSER.validate(raw)
    assert refused.value.status == 422
    assert [f["field"] for f in refused.value.fields] == fields
    assert {f["type"] for f in refused.value.fields} == {"duplicate_key"}


def test_duplicates_are_counted_all_and_the_first_listed() -> None:
    raw = b"[" + b", ".join([b'{"a": 1, "a": 2, "b": {"c": 1, "c": 1, "c": 1}}'] * 15) + b"]"
    fields, count = duplicate_keys(raw)
    assert count == 30 and len(fields) == 20
    assert [f["field"] for f in fields[:3]] == ["body[0].a", "body[0].b.c", "body[1].a"]
    assert "given 3 times" in fields[1]["message"]


@pytest.mark.parametrize(
    "raw", [b'{"a": 1, "a": 2', b"[" * 100_000, '{"a": 1, "a": 2}'.encode("utf-16"), b'{"a": 1}']
)
def test_a_body_that_is_no_json_has_no_duplicates_to_name(raw: bytes) -> None:
    """What is wrong with it is pydantic's to say; and no recursion error from a deep body."""
    assert duplicate_keys(raw) == ([], 0)
