"""Schema-driven fuzzing: requests generated from the service's own OpenAPI document.

Schemathesis draws valid (positive) and invalid (negative) bodies and query strings for every
operation the document lists. Every response must be no server error and conform to the document
(status code, content type, body schema), and valid input must be answered 200, invalid input
refused with one of the documented statuses (an undocumented query parameter included: the
service names it, 422).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from aura.api.app import create_app
from aura.api.settings import Settings

OPERATIONS = [
    "POST /api/ml/predict/tutor-match",
    "POST /api/ml/predict/difficulty",
    "POST /api/ml/predict/compatibility",
    "POST /api/ml/predict/engagement",
    "GET /health",
    "GET /api/ml/models",
]
EXAMPLES = 40
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            # A list longer than the documented maxItems is refused 413, as documented.
            "negative_data_rejection": {"expected-statuses": ["400", "404", "405", "413", "422"]}
        }
    }
)


@pytest.fixture(scope="module")
def api_schema(artifacts_dir: Path) -> Iterator[schemathesis.BaseSchema]:
    settings = Settings(artifacts_dir=artifacts_dir, max_records=50, log_level="WARNING")
    app = create_app(settings=settings)
    with TestClient(app):
        yield schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


def test_every_documented_operation_is_fuzzed(api_schema) -> None:
    documented = [op.ok().label for op in api_schema.get_all_operations()]
    assert sorted(documented) == sorted(OPERATIONS)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize("label", OPERATIONS)
def test_generated_requests_are_answered_as_documented(api_schema, label, mode) -> None:
    operation = api_schema.find_operation_by_label(label)
    if mode is GenerationMode.NEGATIVE and operation.method.upper() == "GET":
        pytest.skip("GET operations take no input to get wrong")

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:
        response = case.call()
        assert response.status_code < 500, response.text
        if mode is GenerationMode.POSITIVE:
            assert response.status_code == 200, (case.body, response.text)
        case.validate_response(response)

    check()
