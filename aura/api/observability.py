"""Request ids, Prometheus metrics and one structured log line per request.

A pure ASGI middleware rather than Starlette's BaseHTTPMiddleware, which would add a task and a
stream per request and cost a measurable share of a sub-millisecond budget. The request id is
taken from the ``X-Request-ID`` header when a caller sends one (so ids follow a request across
services) or generated, and is returned in the response header, in error bodies and in the log.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOGGER_NAME = "aura.api"
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
MAX_REQUEST_ID = 128
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CLIENT_CLOSED = 499
"""The status logged and counted when a client hangs up before its request is read whole
(nginx's "client closed request"); nothing is sent."""


def _utc(timestamp: float) -> str:
    """``2026-12-06T03:16:27.123Z``: the local time to the second, without a zone, could not be
    lined up with other services' logs."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


SEVERITIES = {
    logging.CRITICAL: "CRITICAL",
    logging.ERROR: "ERROR",
    logging.WARNING: "WARNING",
    logging.INFO: "INFO",
    logging.DEBUG: "DEBUG",
}
"""Python's levels, highest first, and the name of each in Google Cloud Logging's LogSeverity."""


def severity(levelno: int) -> str:
    """The LogSeverity of a record at ``levelno``: that of the highest standard level it reaches,
    DEFAULT below DEBUG (uvicorn's TRACE), so a level of a library's own is still one a log
    platform knows."""
    return next((name for level, name in SEVERITIES.items() if levelno >= level), "DEFAULT")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, to the millisecond, as log stores sort it), level and
    severity, message, the process id and any structured fields.

    ``severity`` is the field Google Cloud Logging takes a JSON line's severity from (Datadog
    reads it as well as ``level``); without it, GKE filed every line the service writes on
    stderr at ERROR, a request answered 200 included. ``level`` stays for the readers of the
    earlier lines. The process id tells apart the lines of ``aura serve --workers N``, whose
    workers share one stderr.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": _utc(record.created),
            "level": record.levelname,
            "severity": severity(record.levelno),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(level: str) -> logging.Logger:
    """The service logger, writing JSON lines to stderr (configured once per process)."""
    logger = logging.getLogger(LOGGER_NAME)
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
        logger.propagate = False
    logger.setLevel(level)
    return logger


UVICORN_LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    # uvicorn's own names, which it sets colours on when asked to
    "formatters": {"default": {"()": JsonFormatter}, "access": {"()": JsonFormatter}},
    "handlers": {
        "default": {
            "formatter": "default",
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stderr",
        },
    },
    "loggers": {
        "uvicorn": {"handlers": ["default"], "level": "INFO", "propagate": False},
        "uvicorn.error": {"level": "INFO"},
        "uvicorn.access": {"handlers": ["default"], "level": "INFO", "propagate": False},
    },
}
"""uvicorn's logging (its ``log_config``, as `aura serve` and the Docker image run it): its own
lines, its start and stop and the errors it catches, in the service's JSON on the same stderr.
With uvicorn's default they came as text (``INFO:     Started server process [1]``) between the
JSON lines, and a traceback over many lines, which a log pipeline that reads one JSON object a
line cannot parse."""


class Metrics:
    """The service's Prometheus metrics, in their own registry (one per app).

    With several workers each process counts only the requests it answered, so a scrape would
    see one worker's share. When ``PROMETHEUS_MULTIPROC_DIR`` is set (``aura serve --workers N``
    sets it to a fresh folder), prometheus-client keeps the values in files there and
    ``exposition`` is a registry that adds up every worker's files.
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.exposition = self.registry
        if os.environ.get(MULTIPROC_ENV):
            self.exposition = CollectorRegistry()
            MultiProcessCollector(self.exposition)
        self.requests = Counter(
            "aura_api_requests",
            "HTTP requests by endpoint, method and status code.",
            ("endpoint", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "aura_api_request_duration_seconds",
            "Time from request to complete response, by endpoint.",
            ("endpoint",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        # The earliest worker's start is the service's: a worker restarted, or every worker
        # replaced after `kill -HUP`, does not restart the service's counts either.
        self.started = Gauge(
            "aura_api_start_time_seconds",
            "Unix time the service started (its first worker's start under --workers N).",
            registry=self.registry,
            multiprocess_mode="min",
        )
        self.started.set_to_current_time()


def _request_id(headers: Iterable[tuple[bytes, bytes]]) -> tuple[str, bytes]:
    """The request's id (its first MAX_REQUEST_ID characters) as text, for the error body and
    the log, and as the bytes the response header sends back; a new one if none was sent.

    An id sent in UTF-8 is read as UTF-8: read byte by byte (latin-1), "café" was echoed
    intact in the header but written "cafÃ©" in the body and the log, so the three no longer
    matched. Bytes that are not UTF-8 are still read one character per byte."""
    for name, value in headers:
        if name == b"x-request-id" and value:
            try:
                text, codec = value.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                text, codec = value.decode("latin-1"), "latin-1"
            text = text[:MAX_REQUEST_ID]
            return text, text.encode(codec)
    request_id = uuid.uuid4().hex
    return request_id, request_id.encode("ascii")


async def _internal_error(send: Send, request_id: str) -> None:
    """A failure of the service's own answered in the API's error format, with its headers,
    rather than Starlette's plain-text "Internal Server Error" without them; the log line
    above it, under the same request id, holds the traceback."""
    body = json.dumps(
        {
            "error": "internal_error",
            "message": "the service failed on this request; its log names the cause under "
            "this request id",
            "fields": [],
            "request_id": request_id,
        }
    ).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 500, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ObservabilityMiddleware:
    """Assigns the request id, then counts, times and logs every HTTP request.

    ``headers`` are added to every response, errors included (the app puts the model version
    there once the artifacts are loaded; the list is read at each response, not copied).
    A startup that fails with one of ``refusals``, errors the app has logged in one line, is
    reported to the server without its traceback (`_without_traceback`).
    """

    def __init__(
        self,
        app: ASGIApp,
        metrics: Metrics,
        logger: logging.Logger,
        endpoints: Iterable[str],
        headers: list[tuple[bytes, bytes]],
        refusals: tuple[type[Exception], ...] = (),
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.logger = logger
        self.endpoints = frozenset(endpoints)
        self.headers = headers
        self.refusals = refusals

    def _without_traceback(self, send: Send) -> Send:
        """The lifespan's ``send``, with a startup failed by one of ``refusals`` reported
        without a message. Starlette reports a failed startup with its traceback as the
        message, which uvicorn logs at ERROR: after `kill -HUP` over a broken artifacts folder,
        the new worker's one line saying what is wrong was followed by the traceback of that
        same error. uvicorn still logs that the startup failed, and any other error keeps its
        traceback, which is a bug's only account."""

        async def send_quietly(message: Message) -> None:
            # Starlette sends the failure from its `except` block: the error is the one in hand
            if message["type"] == "lifespan.startup.failed" and isinstance(
                sys.exc_info()[1], self.refusals
            ):
                message = {**message, "message": ""}
            await send(message)

        return send_quietly

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan" and self.refusals:
                send = self._without_traceback(send)
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id, id_header = _request_id(scope["headers"])
        scope.setdefault("state", {})["request_id"] = request_id
        status, started = 500, False  # a response never started is the server's 500

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                headers = list(message.get("headers", ()))
                headers.append((b"x-request-id", id_header))
                headers.extend(self.headers)
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:  # gone mid-body: the client's doing, and nobody to answer
            status = CLIENT_CLOSED
        except Exception:
            self.logger.exception("unhandled error", extra={"fields": {"request_id": request_id}})
            if started:  # the response has begun: the server can only close the connection
                raise
            await _internal_error(send_with_id, request_id)
        finally:
            elapsed = time.perf_counter() - start
            path = scope["path"]
            endpoint = path if path in self.endpoints else "unmatched"
            self.metrics.requests.labels(endpoint, scope["method"], str(status)).inc()
            self.metrics.latency.labels(endpoint).observe(elapsed)
            if self.logger.isEnabledFor(logging.INFO):
                self.logger.info(
                    "request",
                    extra={
                        "fields": {
                            "request_id": request_id,
                            "method": scope["method"],
                            "path": path,
                            "status": status,
                            "duration_ms": round(elapsed * 1000, 3),
                        }
                    },
                )
