"""The FastAPI application: the spec's four prediction endpoints, health, models, metrics and
the dashboard.

Models are loaded in the lifespan (``app.state.service``) from the folder in ``AURA_ARTIFACTS``
(default ``artifacts``). Each prediction endpoint takes one record or a list of up to
``max_records`` and answers with the artifacts' ``model_version``. Small requests are answered
on the event loop (a thread hop would cost more than the prediction), those that arrive together
in one model call (`aura.api.batching`); big batches are parsed and predicted in a worker thread
so other requests keep flowing.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import Field, TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response

from aura.api.artifacts import ArtifactError, load_artifacts
from aura.api.body_limit import BodyLimitMiddleware
from aura.api.dashboard import CONTENT_SECURITY_POLICY, read_snapshot, render
from aura.api.errors import (
    MAX_LISTED_ERRORS,
    RequestError,
    field_errors,
    field_path,
    handle_http_error,
    handle_request_error,
    invalid_fields,
    plural_records,
)
from aura.api.observability import Metrics, ObservabilityMiddleware, configure_logging
from aura.api.schemas import (
    DifficultyResponse,
    ErrorResponse,
    Health,
    ScoreResponse,
    TutorMatchResponse,
)
from aura.api.service import Service, predict_json
from aura.api.settings import Settings
from aura.export.manifest import Manifest

PREFIX = "/api/ml/predict/"
INLINE_RECORDS = 256
"""Requests up to this size are predicted on the event loop, together with the other small
requests in hand (`aura.api.batching`); larger ones in a thread."""
MAX_TOP_K = 20
DEFAULT_TOP_K = 3
TOP_K = TypeAdapter(Annotated[int, Field(ge=1, le=MAX_TOP_K)])
UNKNOWN_PARAMETER = "Extra inputs are not permitted"
"""pydantic's message for an unknown body field, given to an unknown query parameter too."""
TOP_K_PARAMETER = {
    "name": "top_k",
    "in": "query",
    "required": False,
    "description": "How many tutors to return per learner.",
    "schema": {
        "type": "integer",
        "minimum": 1,
        "maximum": MAX_TOP_K,
        "default": DEFAULT_TOP_K,
        "title": "Top K",
    },
}
HEADERS = {
    "X-Model-Version": {
        "description": "The artifacts' version (manifest.version), on every response.",
        "schema": {"type": "string"},
    },
    "X-Request-ID": {
        "description": "The request's id: the one sent, or a new one; it is in the log line.",
        "schema": {"type": "string"},
    },
}
ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorResponse, "description": "Body too large or more records than allowed."},
    415: {"model": ErrorResponse, "description": "A body declared as anything but JSON."},
    422: {
        "model": ErrorResponse,
        "description": "A field is missing, mistyped, out of range or given twice.",
    },
    500: {
        "model": ErrorResponse,
        "description": "A failure of the service's own; its log holds the cause under the "
        "request id.",
    },
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"headers": HEADERS},
    **{status: {**response, "headers": HEADERS} for status, response in ERRORS.items()},
}
"""A prediction endpoint's documented responses: the success and the errors above, each with the
headers every response carries."""
DESCRIPTION = """Predictions of the AURA models, served from ONNX artifacts.

Every prediction endpoint accepts **one record** (a JSON object) or **a list of records** (up to
the configured maximum, 100,000 by default) and returns one prediction per record, in order,
with the `model_version` of the artifacts that produced it. Every response, errors included,
carries that version in its `X-Model-Version` header. Bad input is answered **422** with the
offending fields, an oversized request **413**.
"""


def _service(request: Request) -> Service:
    return request.app.state.service


def _query(request: Request, takes_top_k: bool = False) -> tuple[int, list[dict[str, Any]]]:
    """``top_k`` and the query string's errors: a parameter the endpoint does not take (as an
    unknown body field is refused, so a misspelt ``topk`` is not silently ignored) and a bad
    ``top_k``. Validated here rather than as a FastAPI parameter, whose per-request machinery
    took about 5% of tutor-match's time under load; same rules (last value wins), except that
    ``top_k`` is decimal digits alone. A request without a query string, the common case, skips
    building Starlette's query-parameter mapping."""
    if not request.scope["query_string"]:
        return DEFAULT_TOP_K, []
    params = request.query_params
    errors = [
        {
            "field": field_path(("query", name)),
            "message": UNKNOWN_PARAMETER,
            "type": "extra_forbidden",
        }
        for name in dict.fromkeys(params)
        if not (takes_top_k and name == "top_k")
    ]
    raw = params.get("top_k") if takes_top_k else None
    if raw is None:
        return DEFAULT_TOP_K, errors
    digits = raw.removeprefix("-")  # a negative number is one, out of range ("-1" was "no integer")
    try:
        # decimal digits only: Python's int() read "2_0" as 20 and " 2" or "+2" as 2
        return TOP_K.validate_python(raw if digits.isascii() and digits.isdigit() else "x"), errors
    except ValidationError as exc:
        errors += field_errors(exc.errors(include_url=False), prefix=("query", "top_k"))
        return DEFAULT_TOP_K, errors


async def _predict(
    request: Request,
    endpoint: str,
    run: Callable[[list], list],
    variant: int = 0,
    query_errors: list[dict[str, Any]] | None = None,
) -> Response:
    """Parse, predict, answer. Small requests join the endpoint's micro-batch (one per
    ``variant``, e.g. tutor-match's ``top_k``), big ones are predicted in a worker thread,
    chunk by chunk (`predict_json`). The query's errors are answered together with the body's,
    in one 422."""
    service = _service(request)
    try:
        records = await service.parsers[endpoint].parse(request)
    except RequestError as exc:
        if query_errors and exc.status == 422:
            fields = (query_errors + exc.fields)[:MAX_LISTED_ERRORS]
            raise invalid_fields(fields, len(query_errors) + exc.count) from None
        raise
    if query_errors:
        raise invalid_fields(query_errors)
    if len(records) <= INLINE_RECORDS:
        predictions = await service.batcher(endpoint, variant, run)(records)
        return service.respond(endpoint, predictions)
    count = len(records)
    body = await run_in_threadpool(predict_json, run, records)
    return service.respond_json(endpoint, count, body)


async def health(request: Request) -> Response:
    """Liveness and the version of the loaded models."""
    return Response(_service(request).health, media_type="application/json")


async def models(request: Request) -> Response:
    """The manifest: every model's inputs, outputs, metrics with references and versions."""
    return Response(_service(request).manifest, media_type="application/json")


async def prometheus(request: Request) -> Response:
    """The metrics in Prometheus' text format (every worker's, summed, under ``--workers N``)."""
    metrics: Metrics = request.app.state.metrics
    return Response(generate_latest(metrics.exposition), media_type=CONTENT_TYPE_LATEST)


async def dashboard(request: Request) -> Response:
    """The figures of `/metrics` as a page that reloads itself: the served export, uptime, and
    per endpoint and method the requests, errors and latency percentiles (`aura.api.dashboard`).
    Not stored by the browser or a proxy, whose copy would be out of date at the next look."""
    metrics: Metrics = request.app.state.metrics
    service = _service(request)
    page = render(
        read_snapshot(metrics.exposition), service.version, service.created_at, time.time()
    )
    headers = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-store"}
    return HTMLResponse(page, headers=headers)


async def tutor_match(request: Request) -> Response:
    """Learner profile in: the matching policy's strategy with its probabilities, and the
    top-k eligible tutors that strategy picks (teaching the learner's preferred subject, free
    at the preferred time), each with its predicted compatibility."""
    top_k, query_errors = _query(request, takes_top_k=True)
    predictor = _service(request).predictor
    return await _predict(
        request,
        "tutor-match",
        lambda r: predictor.tutor_match(r, top_k),
        variant=top_k,
        query_errors=query_errors,
    )


async def difficulty(request: Request) -> Response:
    """Learner profile in: the level (Beginner/Intermediate/Advanced) with a confidence per
    level; with the optional `adaptation` signals, also decrease / maintain / increase."""
    predictor = _service(request).predictor
    return await _predict(
        request, "difficulty", predictor.difficulty, query_errors=_query(request)[1]
    )


async def compatibility(request: Request) -> Response:
    """Learner and tutor attributes in: predicted compatibility score in [0, 1]."""
    predictor = _service(request).predictor
    run = partial(predictor.scores, "compatibility")
    return await _predict(request, "compatibility", run, query_errors=_query(request)[1])


async def engagement(request: Request) -> Response:
    """Session attributes in: predicted engagement score in [0, 1]."""
    predictor = _service(request).predictor
    run = partial(predictor.scores, "engagement")
    return await _predict(request, "engagement", run, query_errors=_query(request)[1])


def _openapi_with_bodies(app: FastAPI, settings: Settings) -> Callable[[], dict[str, Any]]:
    """FastAPI's document plus the request bodies and the response labels, which come from the
    loaded manifest (so the document is cached only once the models are loaded), and the
    configured limits a 413 answers (the body's bytes were in no part of the document)."""
    too_large = (
        f"A body above {settings.max_body_bytes} bytes (payload_too_large) or more than "
        f"{plural_records(settings.max_records)} (too_many_records)."
    )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        service: Service | None = getattr(app.state, "service", None)
        if service is not None:
            bodies, components = service.openapi_bodies(settings.max_records)
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(components)
            for name, fields in service.output_labels().items():
                for field, labels in fields.items():
                    spec = schemas[name]["properties"][field]
                    if spec.get("type") == "object":
                        spec["propertyNames"] = {"enum": labels}
                    else:
                        spec["enum"] = labels
            for endpoint, body in bodies.items():
                operation = schema["paths"][PREFIX + endpoint]["post"]
                operation["requestBody"] = body
                operation["responses"]["413"]["description"] = too_large
            app.openapi_schema = schema
        return schema

    return openapi


def create_app(
    artifacts_dir: Path | None = None, settings: Settings | None = None, *, eager: bool = False
) -> FastAPI:
    """The application over one artifacts folder (settings from the environment by default).

    The models load at startup (the lifespan), or here with ``eager``: an AWS Lambda adapter
    runs the lifespan around every invocation, so there they load once, with the function
    (`aura.api.aws_lambda`)."""
    settings = settings or Settings.from_env(artifacts_dir)
    logger = configure_logging(settings.log_level)
    metrics = Metrics()
    headers: list[tuple[bytes, bytes]] = []  # on every response once loaded: the model version

    def load(app: FastAPI) -> None:
        try:
            artifacts = load_artifacts(settings.artifacts_dir, threads=settings.ort_threads)
            service = Service(artifacts, settings)
        except Exception as exc:
            logger.error("startup failed: %s", exc)
            raise
        app.state.service = service
        headers[:] = [(b"x-model-version", artifacts.manifest.version.encode("latin-1"))]
        logger.info(
            "serving artifacts",
            extra={
                "fields": {
                    "folder": str(settings.artifacts_dir),
                    "version": artifacts.manifest.version,
                }
            },
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not eager:
            load(app)
        yield

    app = FastAPI(
        title="AURA prediction API",
        version="1",
        description=DESCRIPTION,
        lifespan=lifespan,
        # `/health/` is no endpoint: a 404 in the API's format, not a redirect to a URL built
        # from the request's Host header
        redirect_slashes=False,
    )
    app.state.metrics = metrics
    app.add_exception_handler(RequestError, handle_request_error)
    app.add_exception_handler(HTTPException, handle_http_error)
    app.get(
        "/health", response_model=Health, tags=["service"], responses={200: {"headers": HEADERS}}
    )(health)
    app.head("/health", include_in_schema=False)(health)  # for probes that send HEAD
    app.get(
        "/api/ml/models",
        response_model=Manifest,
        tags=["service"],
        responses={200: {"headers": HEADERS}},
    )(models)
    app.get("/metrics", tags=["service"], include_in_schema=False)(prometheus)
    app.post(
        PREFIX + "tutor-match",
        response_model=TutorMatchResponse,
        responses=RESPONSES,
        tags=["predict"],
        openapi_extra={"parameters": [TOP_K_PARAMETER]},
    )(tutor_match)
    for endpoint, handler, response in (
        ("difficulty", difficulty, DifficultyResponse),
        ("compatibility", compatibility, ScoreResponse),
        ("engagement", engagement, ScoreResponse),
    ):
        register = app.post(
            PREFIX + endpoint, response_model=response, responses=RESPONSES, tags=["predict"]
        )
        register(handler)
    # A page for people, like /docs: no operation of the prediction API's document. Routed
    # after the prediction endpoints, so a prediction is matched after no more routes than before.
    app.get("/dashboard", include_in_schema=False, response_class=HTMLResponse)(dashboard)
    app.openapi = _openapi_with_bodies(app, settings)  # type: ignore[method-assign]
    endpoints = [route.path for route in app.routes if hasattr(route, "path")]
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        ObservabilityMiddleware,
        metrics=metrics,
        logger=logger,
        endpoints=endpoints,
        headers=headers,
        refusals=(ArtifactError,),  # the folder cannot be served: `load` logged why
    )
    if eager:
        load(app)
    return app


app = create_app()
