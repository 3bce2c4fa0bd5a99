"""What one loaded artifacts folder serves: record types, body parsers, predictor, and the
request-body part of the OpenAPI document, all derived from the manifest at startup."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, TypeAdapter
from pydantic_core import to_json
from starlette.responses import Response

from aura.api.artifacts import LoadedArtifacts
from aura.api.batching import MicroBatcher, Predict
from aura.api.body import BodyParser
from aura.api.predict import ADAPTATION_FIELD, LANGUAGE_FIELD, Predictor
from aura.api.records import category_type, example_record, optional, record_type
from aura.api.settings import Settings

ENDPOINT_MODELS = {
    "tutor-match": "TutorMatchRecord",
    "difficulty": "DifficultyRecord",
    "compatibility": "CompatibilityRecord",
    "engagement": "EngagementRecord",
}
REF = "#/components/schemas/{model}"
CHUNK_RECORDS = 4096
"""Records predicted and encoded together in a large batch (`predict_json`)."""


def _json(content: Any) -> bytes:
    """Compact JSON bytes, encoded by pydantic-core (about ten times faster than `json`)."""
    return to_json(content)


class Service:
    """Built once per process in the app's lifespan and kept in ``app.state.service``."""

    def __init__(self, artifacts: LoadedArtifacts, settings: Settings) -> None:
        manifest = artifacts.manifest
        models = manifest.models
        self.version = manifest.version
        self.created_at = manifest.created_at
        self.predictor = Predictor(artifacts)
        pool = manifest.tutor_pool
        adaptation = record_type("AdaptationSignals", models["difficulty_adaptation"].inputs)
        # The only request field that is no model input, so the manifest has no description
        # of it: one here, as every other field of the document has.
        language = Annotated[
            category_type(pool.languages),
            Field(
                description="The learner's language; a tutor who speaks it is a language match "
                "(the cultural_match and balanced strategies rank by it)."
            ),
        ]
        self.records: dict[str, Any] = {
            "tutor-match": record_type(
                ENDPOINT_MODELS["tutor-match"],
                models["tutor_matching"].inputs,
                {LANGUAGE_FIELD: language},
            ),
            "difficulty": record_type(
                ENDPOINT_MODELS["difficulty"],
                models["difficulty"].inputs,
                {ADAPTATION_FIELD: optional(adaptation)},
            ),
            "compatibility": record_type(
                ENDPOINT_MODELS["compatibility"], models["compatibility"].inputs
            ),
            "engagement": record_type(ENDPOINT_MODELS["engagement"], models["engagement"].inputs),
        }
        self.parsers = {
            name: BodyParser.for_record(record, settings.max_records)
            for name, record in self.records.items()
        }
        tm_example = example_record(models["tutor_matching"].inputs)
        tm_example[LANGUAGE_FIELD] = pool.languages[0]
        diff_example = example_record(models["difficulty"].inputs)
        self.examples = {
            "tutor-match": tm_example,
            "difficulty": {
                **diff_example,
                ADAPTATION_FIELD: example_record(models["difficulty_adaptation"].inputs),
            },
            "compatibility": example_record(models["compatibility"].inputs),
            "engagement": example_record(models["engagement"].inputs),
        }
        self.health = _json(
            {"status": "ok", "model_version": self.version, "models": sorted(models)}
        )
        # manifest.json as exported, so it validates against docs/manifest.schema.json (an
        # added `model_version` did not: the schema allows no other key; it is `version` here)
        self.manifest = _json(manifest.model_dump(mode="json"))
        self.batchers: dict[tuple[str, int], MicroBatcher] = {}

    def batcher(self, endpoint: str, variant: int, predict: Predict) -> MicroBatcher:
        """The micro-batcher of an endpoint variant, made with ``predict`` on first use (every
        request of a variant brings the same prediction function)."""
        key = (endpoint, variant)
        if key not in self.batchers:
            self.batchers[key] = MicroBatcher(predict)
        return self.batchers[key]

    def respond(self, model: str, predictions: list[Any]) -> Response:
        """The prediction body every endpoint answers with: model, export version, count."""
        body = _json(
            {
                "model": model,
                "model_version": self.version,
                "count": len(predictions),
                "predictions": predictions,
            }
        )
        return Response(body, media_type="application/json")

    def respond_json(self, model: str, count: int, predictions: list[bytes]) -> Response:
        """`respond` for a large batch whose predictions come already encoded as a JSON array in
        pieces (`predict_json`), joined once; the same bytes as `respond`."""
        head = b'{"model":%b,"model_version":%b,"count":%d,"predictions":' % (
            _json(model),
            _json(self.version),
            count,
        )
        return Response(b"".join([head, *predictions, b"}"]), media_type="application/json")

    def output_labels(self) -> dict[str, dict[str, list[str]]]:
        """The labels each response field can take, per response schema and field, from the
        manifest: a label (``level``) is one of them, a mapping (``confidence``) is keyed by
        them. For the OpenAPI document, so that a generated client knows them."""
        models = self.predictor.models
        levels = list(models["difficulty"].class_labels or [])
        actions = list(models["difficulty_adaptation"].class_labels or [])
        strategies = list(self.predictor.strategies)
        return {
            "DifficultyPrediction": {"level": levels, "confidence": levels},
            "Adaptation": {"action": actions, "probabilities": actions},
            "TutorMatch": {"strategy": strategies, "probabilities": strategies},
        }

    def openapi_bodies(self, max_records: int) -> tuple[dict[str, Any], dict[str, Any]]:
        """(request body per endpoint, component schemas) for the OpenAPI document."""
        components: dict[str, Any] = {}
        bodies = {}
        for name, record in self.records.items():
            schema = TypeAdapter(record).json_schema(ref_template=REF)
            components.update(schema.pop("$defs", {}))
            components[record.__name__] = schema
            ref = {"$ref": REF.format(model=record.__name__)}
            example = self.examples[name]
            bodies[name] = {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "anyOf": [
                                ref,
                                {
                                    "type": "array",
                                    "items": ref,
                                    "minItems": 1,
                                    "maxItems": max_records,
                                },
                            ]
                        },
                        "examples": {
                            "one record": {"value": example},
                            "a batch": {"value": [example, example]},
                        },
                    }
                },
            }
        return bodies, components


def predict_json(run: Predict, records: list[Any], chunk: int = CHUNK_RECORDS) -> list[bytes]:
    """Predict a large batch chunk by chunk, encoding each chunk's predictions as soon as they
    are made: the JSON array of all predictions, in pieces to be joined once.

    A prediction as Python objects (dicts of probabilities, lists of tutors) takes several times
    its JSON size; a 100,000-record tutor-match batch held that way took the service's peak
    memory to about 600 MB. Chunks keep one chunk's objects alive at a time, and records are
    dropped from ``records`` (which the caller hands over) as they are predicted. Predictions do
    not depend on the batch (`aura.api.predict`), so chunking changes memory, never answers.
    """
    pieces = [b"["]
    while records:
        head = records[:chunk]
        del records[:chunk]
        if len(pieces) > 1:
            pieces.append(b",")
        pieces.append(_json(run(head))[1:-1])  # the chunk's items, without their brackets
    pieces.append(b"]")
    return pieces
