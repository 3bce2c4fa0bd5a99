"""The AWS Lambda handler answers API Gateway events as the service answers HTTP requests: the
same statuses, bodies and model version, with the models loaded once per execution environment
(Mangum would otherwise run the startup, and load them, around every invocation)."""

from __future__ import annotations

import base64
import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import aura.api.app as app_module
from aura.api.app import PREFIX, create_app
from aura.export.manifest import read_manifest

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


def rest_api_event(method: str, path: str, body: str | None, base64: bool = False) -> dict:
    """An API Gateway REST API (payload format 1.0) event."""
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json", "Host": "aura.example.com"},
        "multiValueHeaders": None,
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": method,
            "path": "/prod" + path,
            "stage": "prod",
            "identity": {"sourceIp": "10.0.0.1"},
        },
        "body": body,
        "isBase64Encoded": base64,
    }


def test_rest_api_events_and_base64_bodies_are_answered_as_the_service_does(
    lambda_handler, service
) -> None:
    """Payload format 1.0 (a REST API) as well as 2.0, and a body API Gateway sent in base64
    (as it does a binary media type)."""
    handler, _ = lambda_handler
    spec = service.get("/openapi.json").json()
    content = spec["paths"][PREFIX + "engagement"]["post"]["requestBody"]["content"]
    record = json.dumps(content["application/json"]["examples"]["one record"]["value"])
    expected = service.post(PREFIX + "engagement", content=record).json()
    encoded = base64.b64encode(record.encode()).decode()
    v2 = http_api_event("POST", PREFIX + "engagement") | {"body": encoded, "isBase64Encoded": True}
    for event in (
        rest_api_event("POST", PREFIX + "engagement", record),
        rest_api_event("POST", PREFIX + "engagement", encoded, base64=True),
        v2,
    ):
        answer = handler(event, None)
        assert answer["statusCode"] == 200, answer
        assert json.loads(answer["body"]) == expected


class Context:
    """What the handler reads of Lambda's context object."""

    aws_request_id = "8f3c1e52-invocation"


BAD_EVENTS = {
    "empty": ({}, "the event is no HTTP request"),
    "null": (None, "the event is no HTTP request: .* \\(it is null, not a JSON object\\)"),
    "a list": ([1], "\\(it is an array, not a JSON object\\)"),
    "S3": ({"Records": [{"eventSource": "aws:s3"}]}, "the event is no HTTP request"),
    "no source ip": (
        http_api_event("GET", "/health")
        | {"requestContext": {"http": {"method": "GET", "path": "/health"}}},
        "the event lacks 'sourceIp'",
    ),
    "no method": (
        rest_api_event("GET", "/health", None) | {"httpMethod": None},
        "the event names no HTTP method",
    ),
    "bad base64": (
        rest_api_event("POST", PREFIX + "engagement", "{not base64}", base64=True),
        "the event's body is marked isBase64Encoded but is not base64",
    ),
    "headers not an object": (
        http_api_event("GET", "/health") | {"headers": ["host"]},
        "the event cannot be read as an HTTP request",
    ),
}


@pytest.mark.parametrize("name", BAD_EVENTS)
def test_an_event_that_is_no_request_is_answered_400_naming_why(
    lambda_handler, artifacts_dir: Path, name: str
) -> None:
    """Mangum raised on these (or the service answered 500), so the invocation failed with a
    traceback and API Gateway answered a 500 of its own."""
    from test_observability import logged

    handler, _ = lambda_handler
    event, message = BAD_EVENTS[name]
    with logged() as entries:
        answer = handler(event, Context())
    assert answer["statusCode"] == 400
    error = json.loads(answer["body"])
    assert error["error"] == "bad_event"
    assert re.search(message, error["message"]), error["message"]
    assert error["request_id"] == answer["headers"]["x-request-id"] == Context.aws_request_id
    assert answer["headers"]["x-model-version"] == read_manifest(artifacts_dir).version
    assert [(e["level"], e["problem"]) for e in entries] == [("WARNING", error["message"])]


@pytest.mark.parametrize(
    ("event", "sent"),
    [(5, "a number"), (1.5, "a number"), ("ping", "a string"), (True, "true or false")],
)
def test_an_event_that_is_no_json_object_is_named_as_its_sender_wrote_it(
    lambda_handler, event: Any, sent: str
) -> None:
    """A console test event of a bare value is told apart by what JSON calls it, not by
    Python's type name (``int``, ``str``, ``bool``)."""
    handler, _ = lambda_handler
    answer = handler(event, Context())
    assert answer["statusCode"] == 400
    message = json.loads(answer["body"])["message"]
    assert message.endswith(f"(it is {sent}, not a JSON object)"), message


@pytest.mark.parametrize("method", ["", 7, ["GET"]])
def test_a_method_that_is_no_name_is_answered_400(lambda_handler, method: Any) -> None:
    """An empty or non-text ``httpMethod`` names no HTTP method: the event is refused before
    the application sees it."""
    handler, _ = lambda_handler
    answer = handler(rest_api_event("GET", "/health", None) | {"httpMethod": method}, Context())
    assert answer["statusCode"] == 400
    error = json.loads(answer["body"])
    assert (error["error"], error["message"]) == ("bad_event", "the event names no HTTP method")


def test_a_refused_event_is_answered_as_plain_json_and_logged(lambda_handler) -> None:
    """API Gateway passes the refusal on as it is told: a body marked base64 would be decoded
    into bytes no client can read, and a body without its JSON content type is text to them.
    Its log line carries the status and the invocation's id, as a request's line does."""
    from test_observability import logged

    handler, _ = lambda_handler
    with logged() as entries:
        answer = handler({}, Context())
    assert answer["isBase64Encoded"] is False
    assert answer["headers"]["content-type"] == "application/json"
    assert json.loads(answer["body"])["fields"] == []
    [entry] = entries  # the log line a refusal is counted and traced by
    assert (entry["status"], entry["request_id"]) == (400, Context.aws_request_id)


@pytest.mark.parametrize(
    "event",
    [
        rest_api_event("GET", "/health", None) | {"queryStringParameters": ["top_k"]},
        http_api_event("GET", "/health") | {"cookies": 5},
        http_api_event("POST", PREFIX + "engagement") | {"body": 5, "isBase64Encoded": True},
    ],
    ids=["query a list", "cookies a number", "base64 body a number"],
)
def test_an_event_whose_parts_have_the_wrong_type_is_answered_400(
    lambda_handler, event: dict
) -> None:
    """Parts of another JSON type than API Gateway sends, on which Mangum raises TypeError."""
    handler, _ = lambda_handler
    answer = handler(event, Context())
    assert answer["statusCode"] == 400
    message = json.loads(answer["body"])["message"]
    assert message.startswith("the event cannot be read as an HTTP request ("), message
