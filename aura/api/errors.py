"""One error format for every refused request: what is wrong, where, and the request id.

Validation errors (422) list each offending field as a path such as ``body[3].age`` beside
pydantic's message; oversized requests get 413. Nothing a client sends can produce a 500: input
problems are all caught at validation, before any model runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

MAX_LISTED_ERRORS = 20
MAX_NAME_CHARS = 100
"""A client's own names (an unknown field, a query parameter) are quoted back cut to this many
characters, so a megabyte-long key is not answered twice over."""


class RequestError(Exception):
    """A request refused with a status code and a message (and, for 422, field errors, of which
    ``count`` were found: at most MAX_LISTED_ERRORS are listed), and any header the status
    calls for (a 415 for a compressed body names the coding it takes)."""

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        fields: list[dict] | None = None,
        count: int | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message
        self.fields = fields or []
        self.count = len(self.fields) if count is None else count
        self.headers = headers or {}


def plural_records(count: int) -> str:
    """``count`` records, in the words a limit is told in ("1 record", "1000 records"): a
    service run with ``AURA_MAX_RECORDS=1`` said "at most 1 records"."""
    return f"{count} record{'' if count == 1 else 's'}"


def invalid_fields(fields: list[dict], count: int | None = None) -> RequestError:
    """The 422 of ``fields`` (``count`` errors in all, if more were found than listed), its
    message counting them and naming the listed ones."""
    count = len(fields) if count is None else count
    message = f"{count} invalid field(s): " + ", ".join(f["field"] for f in fields)
    return RequestError(422, "validation_error", message, fields, count)


def clip_name(name: str) -> str:
    """A name as quoted back: whole, or its first MAX_NAME_CHARS characters and an ellipsis."""
    return name if len(name) <= MAX_NAME_CHARS else name[:MAX_NAME_CHARS] + "..."


def field_path(loc: Sequence[Any]) -> str:
    """``("body", 3, "age")`` -> ``body[3].age``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            name = clip_name(str(part))
            path += f".{name}" if path else name
    return path


def field_errors(errors: Iterable[dict[str, Any]], prefix: Sequence[Any] = ()) -> list[dict]:
    """Pydantic errors as ``{"field", "message", "type"}``; at most MAX_LISTED_ERRORS."""
    out = []
    for err in errors:
        loc = [*prefix, *err.get("loc", ())]
        out.append({"field": field_path(loc), "message": err["msg"], "type": err["type"]})
        if len(out) == MAX_LISTED_ERRORS:
            break
    return out


def error_response(request: Request, exc: RequestError) -> JSONResponse:
    """A RequestError in the API's one error format, with the request id to quote in a report."""
    content = {
        "error": exc.error,
        "message": exc.message,
        "fields": exc.fields,
        "request_id": getattr(request.state, "request_id", None),
    }
    return JSONResponse(content, status_code=exc.status, headers=exc.headers)


async def handle_request_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestError)
    return error_response(request, exc)


def _allowed_methods(request: Request) -> str:
    """Every method the path takes. Starlette names only those of the first route that matches
    the path: `/health` answered a PUT with "Allow: GET" though it serves HEAD as well."""
    methods = [
        method
        for route in request.app.router.routes
        if route.matches(request.scope)[0] == Match.PARTIAL
        for method in sorted(getattr(route, "methods", None) or ())
    ]
    return ", ".join(dict.fromkeys(methods))


async def handle_http_error(request: Request, exc: Exception) -> JSONResponse:
    """The router's own refusals (no such path, a method the path does not take) in the same
    format as every other error, naming the path and what it takes, not ``{"detail": ...}``."""
    assert isinstance(exc, HTTPException)
    path, headers = clip_name(request.url.path), dict(exc.headers or {})
    if exc.status_code == 404:
        error, message = "not_found", f"no endpoint at {path}; /docs lists them"
    elif exc.status_code == 405:
        allowed = _allowed_methods(request) or next(
            (v for k, v in headers.items() if k.lower() == "allow"), ""
        )
        headers = {k: v for k, v in headers.items() if k.lower() != "allow"} | {"Allow": allowed}
        error = "method_not_allowed"
        message = f"{clip_name(request.method)} is not allowed on {path}; it takes {allowed}"
    else:
        error, message = "http_error", str(exc.detail)
    response = error_response(request, RequestError(exc.status_code, error, message))
    response.headers.update(headers)
    return response
