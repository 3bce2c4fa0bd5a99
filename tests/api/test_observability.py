"""Request ids, Prometheus metrics and structured logs."""

from __future__ import annotations

import json
import logging
import os

from fastapi.testclient import TestClient

from aura.api.observability import LOGGER_NAME, JsonFormatter
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


def test_each_request_is_logged_as_json_with_its_id(client: TestClient) -> None:
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(JsonFormatter().format(record))

    logger = logging.getLogger(LOGGER_NAME)
    handler, level = Collect(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        client.post(PREDICT + "engagement", json={}, headers={"X-Request-ID": "req-42"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    entries = [json.loads(line) for line in lines]
    assert {
        "request_id": "req-42",
        "method": "POST",
        "path": PREDICT + "engagement",
        "status": 422,
    }.items() <= entries[-1].items()
    assert entries[-1]["duration_ms"] >= 0
    assert entries[-1]["pid"] == os.getpid()
