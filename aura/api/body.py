"""Parse a request body holding one record or a list of records, straight from bytes.

pydantic-core parses and validates the JSON in one pass (``validate_json``), which is what makes
a 100,000-record batch affordable; doing it here rather than through a FastAPI body parameter
also lets a list that is too long be answered 413 rather than 422.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Request
from pydantic import Field, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from aura.api.errors import RequestError, clip_name, field_errors, invalid_fields

THREAD_BYTES = 256 * 1024
"""Bodies at least this large are validated in a worker thread."""


def check_media_type(request: Request) -> None:
    """Refuse a body declared as anything but JSON (415). A request without a Content-Type is
    read as JSON; one that says it is a form or text is not, which also keeps a browser's
    cross-site form posts, which need no preflight, from reaching a model. A compressed body
    is refused too, naming its coding: read as it came, a gzipped batch was answered "Invalid
    JSON" at its first byte, and a body declared compressed but sent plain was answered as if
    the header were not there."""
    for key, value in request.scope["headers"]:
        if key == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            if media == b"application/json" or media.endswith(b"+json"):
                continue
            declared = clip_name(media.decode("latin-1"))
            raise RequestError(
                415,
                "unsupported_media_type",
                f"the body is declared as {declared!r}; send JSON with "
                "'Content-Type: application/json'",
            )
        if key == b"content-encoding" and value.strip().lower() not in (b"", b"identity"):
            coding = clip_name(value.strip().decode("latin-1"))
            raise RequestError(
                415,
                "unsupported_media_type",
                f"the body is encoded as {coding!r}; send it uncompressed, without a "
                "Content-Encoding",
                headers={"Accept-Encoding": "identity"},
            )


async def read_body(request: Request) -> bytes:
    """The whole request body, read from the ASGI channel. ``Request.body`` does the same
    through an async generator whose overhead, a few microseconds, is a measurable share of a
    small request; a body in one message (the common case) is returned as it came."""
    chunks = []
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


@dataclass(frozen=True)
class BodyParser:
    """Validates ``record`` or ``[record, ...]`` (1..max_records) of one record type."""

    one: TypeAdapter
    many: TypeAdapter
    max_records: int

    @classmethod
    def for_record(cls, record: Any, max_records: int) -> BodyParser:
        """A parser of one record type, built once per endpoint (pydantic adapters are costly)."""
        many = TypeAdapter(Annotated[list[record], Field(min_length=1, max_length=max_records)])
        return cls(one=TypeAdapter(record), many=many, max_records=max_records)

    async def parse(self, request: Request) -> list[dict[str, Any]]:
        """The request's records as dicts, or a RequestError naming each bad field."""
        check_media_type(request)
        raw = await read_body(request)
        if not raw.strip():
            raise RequestError(
                422,
                "validation_error",
                "the request body is empty: send one record or a list of records as JSON",
                [{"field": "body", "message": "Field required", "type": "missing"}],
            )
        is_list = raw.lstrip()[:1] == b"["
        try:
            if not is_list:
                return [self.one.validate_json(raw)]
            if len(raw) < THREAD_BYTES:
                return self.many.validate_json(raw)
            # A big batch is validated off the event loop, so small requests keep flowing.
            return await run_in_threadpool(self.many.validate_json, raw)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_input=False)
            if is_list and any(e["type"] == "too_long" and not e["loc"] for e in errors):
                raise RequestError(
                    413,
                    "too_many_records",
                    f"a request may hold at most {self.max_records} records",
                ) from None
            fields = field_errors(errors, prefix=("body",))
            raise invalid_fields(fields, exc.error_count()) from None
