"""Request ids, Prometheus metrics and structured logs."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient

from aura.api.app import create_app
from aura.api.observability import LOGGER_NAME, JsonFormatter
from aura.api.settings import Settings
from aura.export.manifest import read_manifest

PREDICT = "/api/ml/predict/"


def sample(client: TestClient) -> dict:
    doc = client.get("/openapi.json").json()
    content = doc["paths"][PREDICT + "engagement"]["post"]["requestBody"]["content"]
    return content["application/json"]["examples"]["one record"]["value"]


def metric(client: TestClient, line_start: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_requests_and_latency_are_counted_per_endpoint(client: TestClient) -> None:
    record = sample(client)
    ok = 'aura_api_requests_total{endpoint="/api/ml/predict/engagement",method="POST",status="200"}'
    bad = (
        'aura_api_requests_total{endpoint="/api/ml/predict/engagement",method="POST",status="422"}'
    )
    hist = 'aura_api_request_duration_seconds_count{endpoint="/api/ml/predict/engagement"}'
    before = metric(client, ok), metric(client, bad), metric(client, hist)
    for _ in range(3):
        client.post(PREDICT + "engagement", json=record)
    client.post(PREDICT + "engagement", json={})
    after = metric(client, ok), metric(client, bad), metric(client, hist)
    assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (3, 1, 4)


def test_unknown_paths_share_one_label(client: TestClient) -> None:
    client.get("/no/such/path/123")
    text = client.get("/metrics").text
    assert 'endpoint="unmatched"' in text and "/no/such/path/123" not in text


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    given = client.get("/health", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    generated = {client.get("/health").headers["x-request-id"] for _ in range(3)}
    assert len(generated) == 3


def asgi_post(app: object, path: str, headers: list[tuple[bytes, bytes]]) -> list[dict]:
    """The ASGI messages the app sends for a POST of ``{}``: a test client cannot carry a header
    beyond ASCII back (it encodes them as ASCII)."""
    sent: list[dict] = []
    requests = [{"type": "http.request", "body": b"{}", "more_body": False}]

    async def receive() -> dict:
        return requests.pop(0) if requests else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), *headers],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
    }
    asyncio.run(app(scope, receive, send))  # type: ignore[operator]
    return sent


@pytest.mark.parametrize(
    ("sent", "read"),
    [("café-7".encode(), "café-7"), (b"caf\xe9", "caf\xe9"), ("é".encode() * 130, "é" * 128)],
    ids=["utf-8", "latin-1", "cut to 128 characters"],
)
def test_a_request_id_beyond_ascii_is_the_same_in_header_body_and_log(
    client: TestClient, sent: bytes, read: str
) -> None:
    """Read byte by byte, "café" came back intact in the header but as "cafÃ©" in the error
    body and the log line, so the three no longer matched."""
    with logged() as entries:
        start, body = asgi_post(client.app, PREDICT + "engagement", [(b"x-request-id", sent)])
    (header,) = [v for k, v in start["headers"] if k == b"x-request-id"]
    assert start["status"] == 422 and sent.startswith(header)
    assert json.loads(body["body"])["request_id"] == read == entries[-1]["request_id"]


def test_every_response_carries_the_model_version(client: TestClient, artifacts_dir) -> None:
    version = read_manifest(artifacts_dir).version
    responses = [
        client.get("/health"),
        client.get("/api/ml/models"),
        client.get("/metrics"),
        client.get("/docs"),
        client.get("/no/such/path"),  # 404
        client.post(PREDICT + "engagement", json={}),  # 422
        client.post(PREDICT + "engagement", content=b"x" * 2_000_001),  # 413, body limit
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 404, 422, 413]
    assert all(r.headers["x-model-version"] == version for r in responses)
    assert all(len(r.headers.get_list("x-model-version")) == 1 for r in responses)


@contextmanager
def logged() -> Iterator[list[dict]]:
    """The service's log entries (as JSON objects) written inside the block."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(JsonFormatter().format(record))

    logger = logging.getLogger(LOGGER_NAME)
    handler, level = Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    entries: list[dict] = []
    try:
        yield entries
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        entries.extend(json.loads(line) for line in lines)


def test_each_request_is_logged_as_json_with_its_id(client: TestClient) -> None:
    with logged() as entries:
        client.post(PREDICT + "engagement", json={}, headers={"X-Request-ID": "req-42"})
    assert {
        "request_id": "req-42",
        "method": "POST",
        "path": PREDICT + "engagement",
        "status": 422,
    }.items() <= entries[-1].items()
    assert entries[-1]["duration_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", entries[-1]["time"])
    assert entries[-1]["pid"] == os.getpid()


def test_each_request_line_carries_the_severity_a_log_platform_reads(client: TestClient) -> None:
    """Google Cloud Logging reads a JSON line's severity from ``severity``: without it, GKE filed
    every line of the service's stderr at ERROR, a request answered 200 included."""
    with logged() as entries:
        client.get("/health")
    assert (entries[-1]["message"], entries[-1]["level"], entries[-1]["severity"]) == (
        "request",
        "INFO",
        "INFO",
    )


@pytest.mark.parametrize(
    ("levelno", "level", "severity"),
    [
        (logging.DEBUG, "DEBUG", "DEBUG"),
        (logging.INFO, "INFO", "INFO"),
        (logging.WARNING, "WARNING", "WARNING"),
        (logging.ERROR, "ERROR", "ERROR"),
        (logging.CRITICAL, "CRITICAL", "CRITICAL"),
        (5, "TRACE", "DEFAULT"),  # uvicorn's level below DEBUG, a name no log platform knows
        (25, "Level 25", "INFO"),  # a level of a library's own, between INFO and WARNING
    ],
)
def test_every_level_is_written_with_a_standard_severity(
    levelno: int, level: str, severity: str
) -> None:
    record = logging.LogRecord("uvicorn.error", levelno, __file__, 1, "a line", None, None)
    record.levelname = level  # as uvicorn names its TRACE
    entry = json.loads(JsonFormatter().format(record))
    assert (entry["level"], entry["severity"]) == (level, severity)


def test_a_client_gone_mid_body_is_logged_as_499_not_as_a_server_error(artifacts_dir) -> None:
    """A client that hung up mid-upload was logged at ERROR with a traceback and counted as a
    500, so any alert on server errors fired on a dropped mobile connection."""
    app = create_app(settings=Settings(artifacts_dir=artifacts_dir), eager=True)
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": PREDICT + "engagement",
        "raw_path": (PREDICT + "engagement").encode(),
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"100")],
        "http_version": "1.1",
        "scheme": "http",
        "server": ("127.0.0.1", 8000),
        "client": ("127.0.0.1", 50000),
        "root_path": "",
    }
    with logged() as entries:
        asyncio.run(app(scope, receive, send))
    assert sent == []  # nobody to answer
    assert [(e["level"], e["message"], e.get("status")) for e in entries] == [
        ("INFO", "request", 499)
    ]
    with TestClient(app) as client:
        counted = metric(
            client,
            'aura_api_requests_total{endpoint="/api/ml/predict/engagement",method="POST",'
            'status="499"}',
        )
    assert counted == 1


def test_a_failure_of_the_service_is_answered_in_the_error_format_with_its_headers(
    artifacts_dir, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It was Starlette's plain-text "Internal Server Error", without the request id or the
    model version every other response carries."""
    app = create_app(settings=Settings(artifacts_dir=artifacts_dir), eager=True)

    def fail(*args: object) -> None:
        raise RuntimeError("an onnxruntime failure")

    monkeypatch.setattr(app.state.service.predictor, "scores", fail)
    with logged() as entries, TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(
            PREDICT + "engagement", json=sample(client), headers={"X-Request-ID": "req-500"}
        )
    assert response.status_code == 500
    assert response.json() == {
        "error": "internal_error",
        "message": "the service failed on this request; its log names the cause under this "
        "request id",
        "fields": [],
        "request_id": "req-500",
    }
    assert response.headers["x-request-id"] == "req-500"
    assert response.headers["x-model-version"] == read_manifest(artifacts_dir).version
    failed = [e for e in entries if e["level"] == "ERROR"]
    assert failed[0]["request_id"] == "req-500"
    assert "RuntimeError: an onnxruntime failure" in failed[0]["exception"]


def test_a_request_s_duration_is_logged_in_milliseconds_and_timed_in_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The log's ``duration_ms`` and the histogram (in seconds, as its buckets are) read the same
    clock: a request that took 12.5 ms is logged as 12.5 and falls in the 25 ms bucket, not the
    10 ms one."""
    from aura.api import observability

    ticks = iter([100.0, 100.0125])
    monkeypatch.setattr(observability.time, "perf_counter", lambda: next(ticks))

    async def ok(scope: dict, receive: object, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def send(message: dict) -> None:
        pass

    metrics = observability.Metrics()
    logger = logging.getLogger(LOGGER_NAME)
    middleware = observability.ObservabilityMiddleware(ok, metrics, logger, ["/health"], [])
    scope = {"type": "http", "method": "GET", "path": "/health", "headers": []}
    with logged() as entries:
        asyncio.run(middleware(scope, None, send))  # type: ignore[arg-type]
    assert entries[-1]["duration_ms"] == 12.5
    value = metrics.registry.get_sample_value
    name = "aura_api_request_duration_seconds"
    assert value(f"{name}_sum", {"endpoint": "/health"}) == pytest.approx(0.0125)
    assert value(f"{name}_bucket", {"endpoint": "/health", "le": "0.01"}) == 0
    assert value(f"{name}_bucket", {"endpoint": "/health", "le": "0.025"}) == 1


def test_an_empty_request_id_header_gets_a_generated_id(client: TestClient) -> None:
    """An ``X-Request-ID:`` sent empty is no id: the request gets a generated one (32 hex
    digits) in its header, its error body and its log line, not an empty string in all three."""
    with logged() as entries:
        start, body = asgi_post(client.app, PREDICT + "engagement", [(b"x-request-id", b"")])
    (header,) = [v for k, v in start["headers"] if k == b"x-request-id"]
    assert re.fullmatch(rb"[0-9a-f]{32}", header)
    assert json.loads(body["body"])["request_id"] == header.decode() == entries[-1]["request_id"]


def test_the_service_logger_writes_each_line_once_and_not_through_the_root_logger(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A host that gives the root logger a handler of its own (text, say) must not get the
    service's lines a second time there: they are written once, as JSON, on stderr."""
    from aura.api.observability import configure_logging

    logger = logging.getLogger(LOGGER_NAME)
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "propagate", True)
    monkeypatch.setattr(logger, "level", logger.level)
    root_lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            root_lines.append(record.getMessage())

    root = logging.getLogger()
    handler = Collect()
    root.addHandler(handler)
    try:
        configure_logging("INFO").info("once")
    finally:
        root.removeHandler(handler)
    lines = capsys.readouterr().err.splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["once"]
    assert root_lines == []


def test_a_failure_after_the_response_began_is_raised_not_answered_twice() -> None:
    """Once a response has started, a second (500) start would break the protocol: the error
    goes up to the server, which closes the connection, and the request is logged with the
    status it began with."""
    from aura.api import observability

    async def fails_mid_body(scope: dict, receive: object, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("mid-body failure")

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    metrics = observability.Metrics()
    logger = logging.getLogger(LOGGER_NAME)
    middleware = observability.ObservabilityMiddleware(
        fails_mid_body, metrics, logger, ["/health"], []
    )
    scope = {"type": "http", "method": "GET", "path": "/health", "headers": []}
    with logged() as entries, pytest.raises(RuntimeError, match="mid-body failure"):
        asyncio.run(middleware(scope, None, send))  # type: ignore[arg-type]
    assert [m["type"] for m in sent] == ["http.response.start"]
    assert [(e["level"], e["message"], e.get("status")) for e in entries] == [
        ("ERROR", "unhandled error", None),
        ("INFO", "request", 200),
    ]
