"""The AWS Lambda handler answers API Gateway events as the service answers HTTP requests: the
same statuses, bodies and model version, with the models loaded once per execution environment
(Mangum would otherwise run the startup, and load them, around every invocation)."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import aura.api.app as app_module
from aura.api.app import PREFIX, create_app

ENDPOINTS = ("compatibility", "engagement", "difficulty", "tutor-match")


def http_api_event(method: str, path: str, body: Any = None, query: str = "") -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event, as a function URL also sends."""
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"content-type": "application/json", "host": "aura.example.com"},
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "10.0.0.1"}
        },
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


@pytest.fixture(scope="module")
def service(artifacts_dir: Path) -> Any:
    with TestClient(create_app(artifacts_dir)) as client:
        yield client


@pytest.fixture
def lambda_handler(artifacts_dir: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list]:
    """The handler as a new execution environment imports it, with its model loads counted."""
    monkeypatch.setenv("AURA_ARTIFACTS", str(artifacts_dir))
    loads: list[Path] = []
    load = app_module.load_artifacts

    def counted(folder: Path, **kwargs: Any) -> Any:
        loads.append(folder)
        return load(folder, **kwargs)

    monkeypatch.setattr(app_module, "load_artifacts", counted)
    monkeypatch.delitem(sys.modules, "aura.api.aws_lambda", raising=False)
    return importlib.import_module("aura.api.aws_lambda").handler, loads


def test_every_endpoint_answers_as_the_service_does(lambda_handler, service) -> None:
    handler, loads = lambda_handler
    spec = service.get("/openapi.json").json()
    for name in ENDPOINTS:
        content = spec["paths"][PREFIX + name]["post"]["requestBody"]["content"]
        record = content["application/json"]["examples"]["one record"]["value"]
        query = "top_k=2" if name == "tutor-match" else ""
        expected = service.post(PREFIX + name + (f"?{query}" if query else ""), json=record)
        answer = handler(http_api_event("POST", PREFIX + name, record, query), None)
        assert answer["statusCode"] == expected.status_code == 200
        assert json.loads(answer["body"]) == expected.json()
        assert answer["headers"]["x-model-version"] == expected.headers["x-model-version"]
    health = handler(http_api_event("GET", "/health"), None)
    assert health["statusCode"] == 200
    assert json.loads(health["body"]) == service.get("/health").json()
    assert len(loads) == 1  # at import, not per invocation


def test_bad_input_gets_the_service_own_error(lambda_handler, service) -> None:
    handler, _ = lambda_handler
    for path, body in [
        (PREFIX + "compatibility", {"learner_id": "L1"}),
        (PREFIX + "engagement", [1, 2]),
    ]:
        expected = service.post(path, json=body)
        answer = handler(http_api_event("POST", path, body), None)
        assert answer["statusCode"] == expected.status_code == 422
        error, wanted = json.loads(answer["body"]), expected.json()
        assert error.pop("request_id") != wanted.pop("request_id")  # one per request
        assert error == wanted and error["error"] == "validation_error"


def test_a_missing_artifacts_folder_stops_the_cold_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The function fails at its start, naming the folder, not at its first request."""
    monkeypatch.setenv("AURA_ARTIFACTS", str(tmp_path / "none"))
    monkeypatch.delitem(sys.modules, "aura.api.aws_lambda", raising=False)
    with pytest.raises(Exception, match=str(tmp_path / "none")):
        importlib.import_module("aura.api.aws_lambda")


def test_a_named_stage_is_served_with_its_base_path(
    lambda_handler, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An HTTP API stage other than `$default` sends `/prod/health`: a 404 on every path until
    AURA_BASE_PATH names the stage."""
    handler, _ = lambda_handler
    assert handler(http_api_event("GET", "/prod/health"), None)["statusCode"] == 404
    monkeypatch.setenv("AURA_BASE_PATH", "/prod")
    monkeypatch.delitem(sys.modules, "aura.api.aws_lambda")
    staged = importlib.import_module("aura.api.aws_lambda").handler
    health = staged(http_api_event("GET", "/prod/health"), None)
    assert (health["statusCode"], json.loads(health["body"])["status"]) == (200, "ok")
