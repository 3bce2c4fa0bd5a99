"""Parse a request body holding one record or a list of records, straight from bytes.

pydantic-core parses and validates the JSON in one pass (``validate_json``), which is what makes
a 100,000-record batch affordable; doing it here rather than through a FastAPI body parameter
also lets a list that is too long be answered 413 rather than 422. A key given twice in one
object is refused too (`duplicate_keys`): pydantic, like most JSON parsers, keeps the last value
and says nothing, so ``{"grade_level": 3, "grade_level": 9}`` was answered for grade 9.
"""

from __future__ import annotations

import json
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
    field_path,
    invalid_fields,
    plural_records,
)
from aura.api.json_faults import json_fault
from aura.json_encoding import UTF8_BOM, wide_encoding

THREAD_BYTES = 256 * 1024
"""Bodies at least this large are validated in a worker thread."""
JITER_REFUSALS = ("number out of range", "hex escape")
"""Words of pydantic's "Invalid JSON" for JSON that is well formed but holds a value its parser
cannot (`aura.api.json_faults`): only such a body is read a second time to name the field."""
DUPLICATE_KEY = "duplicate_key"
"""The ``type`` of a field error for a key given more than once in one object."""


class _Duplicate(Exception):
    """Some object of the body has a key twice (raised by the quick pass, which has no path)."""


def _distinct(pairs: list[tuple[str, Any]]) -> None:
    """``json.loads``' hook for each object: raise `_Duplicate` if a key comes twice. Nothing is
    kept (the records are pydantic's), so the pass builds no tree of dicts."""
    if len(dict(pairs)) != len(pairs):
        raise _Duplicate


class _Pairs(list):
    """An object of the body as its (key, value) pairs in order, repeated keys kept."""


_DISTINCT = json.JSONDecoder(object_pairs_hook=_distinct)
_PAIRS = json.JSONDecoder(object_pairs_hook=_Pairs)
"""Built once: ``json.loads`` with a hook builds a decoder at every call, a third of its time
on one record."""


def duplicate_keys(raw: bytes) -> tuple[list[dict[str, Any]], int]:
    """The field errors of the keys given more than once in an object of the JSON ``raw``, in
    the order they come (the first MAX_LISTED_ERRORS), and how many there are in all: each
    repeated key once per object, at its path (``body[3].age``). A quick pass finds whether
    there is any; only then is the body read again, keeping its pairs, to say where. A body
    that is no UTF-8 JSON has none: what is wrong with it is pydantic's to say (read as UTF-8
    here, as pydantic reads it, not in the UTF-16 or -32 that ``json.loads`` would detect)."""
    try:
        text = raw.decode("utf-8")
        _DISTINCT.decode(text)
        return [], 0
    except _Duplicate:
        pass
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return [], 0
    try:
        tree = _PAIRS.decode(text)
    except (ValueError, RecursionError):
        return [], 0
    found: list[dict[str, Any]] = []
    count = 0
    pending: list[tuple[tuple[str | int, ...], Any]] = [((), tree)]
    while pending:  # depth first, in document order; no recursion for a deeply nested body
        loc, node = pending.pop()
        if isinstance(node, _Pairs):
            times: dict[str, int] = {}
            for key, _ in node:
                times[key] = times.get(key, 0) + 1
            for key, n in times.items():
                if n > 1:
                    count += 1
                    if len(found) < MAX_LISTED_ERRORS:
                        found.append(
                            {
                                "field": field_path(("body", *loc, key)),
                                "message": f"Duplicate key {clip_name(key)!r}: given {n} "
                                "times in one object; send each key once",
                                "type": DUPLICATE_KEY,
                            }
                        )
            children = [((*loc, key), value) for key, value in node]
        elif isinstance(node, list):
            children = [((*loc, index), value) for index, value in enumerate(node)]
        else:
            continue
        pending.extend(reversed(children))
    return found, count


def _keys_once(raw: bytes) -> bytes | None:
    """The JSON ``raw`` with each object's keys once, the last value kept (as pydantic keeps
    it), or None where pydantic cannot read a value of it (`JITER_REFUSALS`)."""
    try:
        return to_json(from_json(raw), inf_nan_mode="constants")
    except ValueError:
        return None


def _unreadable_value(error: dict[str, Any]) -> bool:
    """Whether pydantic refused the body over a value it cannot read (`JITER_REFUSALS`),
    answered at a line and column without the field's name."""
    return error["type"] == "json_invalid" and any(w in error["msg"] for w in JITER_REFUSALS)


def check_media_type(request: Request) -> None:
    """Refuse a body declared as anything but JSON (415). A request without a Content-Type is
    read as JSON; one that says it is a form or text is not, which also keeps a browser's
    cross-site form posts, which need no preflight, from reaching a model. A compressed body
    is refused too, naming its coding: read as it came, a gzipped batch was answered "Invalid
    JSON" at its first byte, and a body declared compressed but sent plain was answered as if
    the header were not there."""
    for key, value in request.scope["headers"]:
        if key == b"content-type":
            media, _, parameters = value.partition(b";")
            media = media.strip().lower()
            if media == b"application/json" or media.endswith(b"+json"):
                _check_charset(parameters)
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


def _check_charset(parameters: bytes) -> None:
    """Refuse a JSON body declared in a character set other than UTF-8 (415), which JSON does
    not have (RFC 8259, section 8.1): one declared ``charset=iso-8859-1`` was read as UTF-8 and
    answered "Invalid JSON: invalid unicode code point" at its first accented letter."""
    for parameter in parameters.split(b";"):
        name, _, charset = parameter.partition(b"=")
        charset = charset.strip().strip(b'"').lower()
        if name.strip().lower() == b"charset" and charset not in (b"utf-8", b"utf8"):
            declared = clip_name(charset.decode("latin-1"))
            raise RequestError(
                415,
                "unsupported_media_type",
                f"the body is declared in the character set {declared!r}; JSON is UTF-8: send "
                "it so, as 'Content-Type: application/json' or with 'charset=utf-8'",
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
    nested: bool
    """Whether a record holds objects of its own (difficulty's ``adaptation``)."""

    @classmethod
    def for_record(cls, record: Any, max_records: int) -> BodyParser:
        """A parser of one record type, built once per endpoint (pydantic adapters are costly)."""
        one = TypeAdapter(record)
        many = TypeAdapter(Annotated[list[record], Field(min_length=1, max_length=max_records)])
        schema = one.json_schema()
        objects = [schema, *schema.get("$defs", {}).values()]
        known = frozenset(name for s in objects for name in s.get("properties", {}))
        nested = bool(schema.get("$defs"))
        return cls(one=one, many=many, max_records=max_records, known=known, nested=nested)

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
        ``max_records``, else 422 listing the first MAX_LISTED_ERRORS errors and counting all,
        keys given twice in an object (`duplicate_keys`) first. Those are looked for once pydantic
        has read the body, so a valid body is scanned with its shape known: records, not some
        deeply nested document."""
        is_list = raw.lstrip()[:1] == b"["
        try:
            records = self.many.validate_json(raw) if is_list else [self.one.validate_json(raw)]
        except ValidationError as exc:
            if encoding := wide_encoding(raw):
                # pydantic read its first byte as UTF-8: "expected value at line 1 column 1"
                raise invalid_fields(
                    [
                        {
                            "field": "body",
                            "message": f"Invalid JSON: the body is encoded as {encoding}; send "
                            "it as UTF-8",
                            "type": "json_invalid",
                        }
                    ]
                ) from None
            duplicates, times = duplicate_keys(raw)
            if times and (once := _keys_once(raw)):
                # pydantic reads every pair, and refused an unknown key once for each time it
                # was given: 200,000 times "a" were 200,000 errors, of which one was listed. The
                # body's errors are those of its keys taken once, each with its last value.
                raw, exc = once, self._error(once, is_list) or exc
            count = exc.error_count()
            # Not pydantic's list of every error as Python objects, which took 18 s for one
            # 6 MB record of 500,000 unknown keys (on the event loop) and 350 MB for 240 kB of
            # empty records: past the listed number, the first ones are found again below.
            listed = count <= MAX_LISTED_ERRORS
            errors = exc.errors(include_url=False, include_input=False) if listed else None
        else:
            if raw.count(b":") == self._keys(records):
                return records  # every colon a key that was kept: none came twice (`_keys`)
            duplicates, times = duplicate_keys(raw)
            if duplicates:
                raise invalid_fields(duplicates, times)
            return records
        if errors is None:
            errors = self._first_errors(raw, is_list)
        elif is_list and any(e["type"] == "too_long" and not e["loc"] for e in errors):
            # pydantic stops at the first record past the limit and reports that alone
            raise RequestError(
                413,
                "too_many_records",
                f"a request may hold at most {plural_records(self.max_records)}",
            )
        if _unreadable_value(errors[0]) and (fault := json_fault(raw)):
            raise invalid_fields(duplicates[: MAX_LISTED_ERRORS - 1] + [fault], times + count)
        fields = duplicates + field_errors(errors, prefix=("body",))
        raise invalid_fields(fields[:MAX_LISTED_ERRORS], times + count)

    def _error(self, raw: bytes, is_list: bool) -> ValidationError | None:
        """What validating ``raw`` raises, if anything."""
        try:
            self.many.validate_json(raw) if is_list else self.one.validate_json(raw)
        except ValidationError as exc:
            return exc
        return None

    def _keys(self, records: list[dict[str, Any]]) -> int:
        """How many keys the validated records hold, those of their nested objects included.

        A record keeps exactly the keys its JSON object gave, once each (a TypedDict that
        refuses unknown keys and fills in none), and a valid body's strings are field names and
        vocabulary words. So a body with as many colons as this count has one key per colon
        and none twice, and the scan of `duplicate_keys` (0.2-0.4 s for 100,000 records, 3-5 us
        for one; this count takes 10-60 ms and 1-2 us) is skipped; a colon more, a key sent
        twice or a colon inside a word, and the scan says which."""
        count = 0
        level = records
        while level:  # the records, then the objects they hold, and so on down
            count += sum(map(len, level))
            level = [v for d in level for v in d.values() if type(v) is dict] if self.nested else []
        return count

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
