"""AWS Lambda entry point: the prediction API behind API Gateway or a function URL (Mangum).

Set the function's handler to ``aura.api.aws_lambda.handler`` and ``AURA_ARTIFACTS`` to the
artifacts folder shipped with it; the other settings are read from the environment as by
``aura serve``. Mangum runs an application's lifespan around every invocation, which would load
the models for every request, so the application loads them here, once per execution
environment (the cold start), and Mangum runs with the lifespan off. Requests, responses and
errors are the service's own: the same application answers them.

An event that is no HTTP request the handler can read (a console test event, an S3
notification, a body marked base64 that is not) is answered 400 ``bad_event`` in the API's
error format, naming what is wrong, and logged in one line: Mangum raised, and the invocation
failed with a traceback, which API Gateway passes on as a 500 of its own.

Behind an HTTP API with a named stage (not ``$default``), every path arrives under the stage's
name (``/prod/health``) and would be a 404: set ``AURA_BASE_PATH`` to it (``/prod``).
"""

from __future__ import annotations

import binascii
import logging
import os
import uuid
from typing import Any

from mangum import Mangum
from mangum.types import LambdaContext, LambdaEvent

from aura.api.app import create_app
from aura.api.observability import LOGGER_NAME
from aura.api.schemas import ErrorResponse

BASE_PATH_ENV = "AURA_BASE_PATH"
BAD_EVENT_STATUS = 400
NO_HTTP_EVENT = (
    "the event is no HTTP request: the handler reads API Gateway (REST API or HTTP API), "
    "function URL and Application Load Balancer events"
)
JSON_TYPES = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true or false",
}
"""What an event that is no JSON object is, as its sender wrote it."""


class ServiceAdapter(Mangum):
    """Mangum over the service, refusing an event it cannot read as a request with a 400."""

    def __call__(self, event: LambdaEvent, context: LambdaContext) -> dict[str, Any]:
        problem = self.event_problem(event, context)
        if problem is not None:
            return self.refuse(problem, context)
        return super().__call__(event, context)

    def event_problem(self, event: Any, context: LambdaContext) -> str | None:
        """What keeps ``event`` from being read as an HTTP request, or None. The request is
        read as Mangum will read it, so that whatever it would raise on is found here."""
        if not isinstance(event, dict):
            sent = "null" if event is None else JSON_TYPES.get(type(event), type(event).__name__)
            return f"{NO_HTTP_EVENT} (it is {sent}, not a JSON object)"
        try:
            request = self.infer(event, context)
        except RuntimeError:  # Mangum's "unable to infer a handler"
            return NO_HTTP_EVENT
        try:
            scope = request.scope
            request.body  # noqa: B018 (read for what it raises)
        except KeyError as exc:
            return f"the event lacks {exc.args[0]!r}"
        except binascii.Error as exc:
            return f"the event's body is marked isBase64Encoded but is not base64 ({exc})"
        except (AttributeError, TypeError, ValueError) as exc:
            return f"the event cannot be read as an HTTP request ({exc})"
        if not isinstance(scope["method"], str) or not scope["method"]:
            return "the event names no HTTP method"
        return None

    def refuse(self, problem: str, context: LambdaContext) -> dict[str, Any]:
        """The 400 for an unreadable event, as the service answers a refused request (the
        error body, its request id and model version headers), and its one log line. The id
        is the invocation's own, which Lambda's log lines carry too."""
        request_id = getattr(context, "aws_request_id", None) or uuid.uuid4().hex
        logging.getLogger(LOGGER_NAME).warning(
            "bad event",
            extra={
                "fields": {"request_id": request_id, "status": BAD_EVENT_STATUS, "problem": problem}
            },
        )
        body = ErrorResponse(error="bad_event", message=problem, fields=[], request_id=request_id)
        headers = {
            "content-type": "application/json",
            "x-request-id": request_id,
            "x-model-version": self.app.state.service.version,
        }
        return {
            "statusCode": BAD_EVENT_STATUS,
            "headers": headers,
            "body": body.model_dump_json(),
            "isBase64Encoded": False,
        }


handler = ServiceAdapter(
    create_app(eager=True), lifespan="off", api_gateway_base_path=os.environ.get(BASE_PATH_ENV, "/")
)
