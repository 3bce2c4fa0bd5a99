"""AWS Lambda entry point: the prediction API behind API Gateway or a function URL (Mangum).

Set the function's handler to ``aura.api.aws_lambda.handler`` and ``AURA_ARTIFACTS`` to the
artifacts folder shipped with it; the other settings are read from the environment as by
``aura serve``. Mangum runs an application's lifespan around every invocation, which would load
the models for every request, so the application loads them here, once per execution
environment (the cold start), and Mangum runs with the lifespan off. Requests, responses and
errors are the service's own: the same application answers them.

Behind an HTTP API with a named stage (not ``$default``), every path arrives under the stage's
name (``/prod/health``) and would be a 404: set ``AURA_BASE_PATH`` to it (``/prod``).
"""

from __future__ import annotations

import os

from mangum import Mangum

from aura.api.app import create_app

BASE_PATH_ENV = "AURA_BASE_PATH"

handler = Mangum(
    create_app(eager=True), lifespan="off", api_gateway_base_path=os.environ.get(BASE_PATH_ENV, "/")
)
