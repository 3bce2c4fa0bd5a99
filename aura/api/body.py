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
from pydantic_core import from_json, to_json
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from aura.api.errors import (
    MAX_LISTED_ERRORS,
    RequestError,
    clip_name,
    field_errors,
    invalid_fields,
)

THREAD_BYTES = 256 * 1024
"""Bodies at least this large are validated in a worker thread."""
UTF8_BOM = b"\xef\xbb\xbf"


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


def _trimmed(value: Any, known: frozenset[str]) -> Any:
    """``value`` with at most MAX_LISTED_ERRORS unknown keys in each object, the first ones.

    pydantic lists a record's errors field by field and its unknown keys last, in the order
    sent, so the trimmed record has the same first MAX_LISTED_ERRORS errors: a record of a
    million unknown keys is not validated into a million errors a second time.
    """
    if not isinstance(value, dict):
        return value
    kept: dict[str, Any] = {}
    unknown = 0
    for key, item in value.items():
        if key in known:
            kept[key] = _trimmed(item, known)
        elif unknown < MAX_LISTED_ERRORS:
            kept[key] = None  # refused by name; its value is never read
            unknown += 1
    return kept


@dataclass(frozen=True)
class BodyParser:
    """Validates ``record`` or ``[record, ...]`` (1..max_records) of one record type."""

    one: TypeAdapter
    many: TypeAdapter
    max_records: int
    known: frozenset[str]
    """Every field name of the record type, nested ones included."""

    @classmethod
    def for_record(cls, record: Any, max_records: int) -> BodyParser:
        """A parser of one record type, built once per endpoint (pydantic adapters are costly)."""
        one = TypeAdapter(record)
        many = TypeAdapter(Annotated[list[record], Field(min_length=1, max_length=max_records)])
        schema = one.json_schema()
        objects = [schema, *schema.get("$defs", {}).values()]
        known = frozenset(name for s in objects for name in s.get("properties", {}))
        return cls(one=one, many=many, max_records=max_records, known=known)

    async def parse(self, request: Request) -> list[dict[str, Any]]:
        """The request's records as dicts, or a RequestError naming each bad field."""
        check_media_type(request)
        raw = await read_body(request)
        if raw.startswith(UTF8_BOM):
            # RFC 8259 lets a parser ignore a byte order mark; editors on Windows save JSON with
            # one, and such a file sent as it is (curl -d @record.json) was "Invalid JSON".
            raw = raw[len(UTF8_BOM) :]
        if not raw.strip():
            raise RequestError(
                422,
                "validation_error",
                "the request body is empty: send one record or a list of records as JSON",
                [{"field": "body", "message": "Field required", "type": "missing"}],
            )
        if len(raw) < THREAD_BYTES:
            return self.validate(raw)
        # A big body is validated off the event loop, so small requests keep flowing.
        return await run_in_threadpool(self.validate, raw)

    def validate(self, raw: bytes) -> list[dict[str, Any]]:
        """The records of a JSON body, or a RequestError: 413 for a list longer than
        ``max_records``, else 422 listing the first MAX_LISTED_ERRORS errors and counting all."""
        is_list = raw.lstrip()[:1] == b"["
        try:
            return self.many.validate_json(raw) if is_list else [self.one.validate_json(raw)]
        except ValidationError as exc:
            count = exc.error_count()
            # Not pydantic's list of every error as Python objects, which took 18 s for one
            # 6 MB record of 500,000 unknown keys (on the event loop) and 350 MB for 240 kB of
            # empty records: past the listed number, the first ones are found again below.
            listed = count <= MAX_LISTED_ERRORS
            errors = exc.errors(include_url=False, include_input=False) if listed else None
        if errors is None:
            errors = self._first_errors(raw, is_list)
        elif is_list and any(e["type"] == "too_long" and not e["loc"] for e in errors):
            # pydantic stops at the first record past the limit and reports that alone
            raise RequestError(
                413, "too_many_records", f"a request may hold at most {self.max_records} records"
            )
        raise invalid_fields(field_errors(errors, prefix=("body",)), count)

    def _first_errors(self, raw: bytes, is_list: bool) -> list[dict[str, Any]]:
        """The first MAX_LISTED_ERRORS validation errors of a body that has some, found record
        by record (in JSON mode, so that each message is the one the whole body gets), each
        record trimmed of the unknown keys past those listed (`_trimmed`)."""
        body = from_json(raw)
        records = body if is_list else [body]
        found: list[dict[str, Any]] = []
        for index, record in enumerate(records):
            trimmed = to_json(_trimmed(record, self.known), inf_nan_mode="constants")
            try:
                self.one.validate_json(trimmed)
            except ValidationError as exc:
                at = (index,) if is_list else ()
                for error in exc.errors(include_url=False, include_input=False):
                    found.append({**error, "loc": (*at, *error["loc"])})
                if len(found) >= MAX_LISTED_ERRORS:
                    break
        return found[:MAX_LISTED_ERRORS]
