"""Response models of the API (request records are built from the manifest, see records.py).

Handlers serialise responses themselves for speed; these models document them in the OpenAPI
description and are what the endpoint tests validate responses against.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorField(BaseModel):
    field: str = Field(description="Path of the offending value, e.g. body[3].age.")
    message: str
    type: str = Field(
        description="Machine-readable error kind: pydantic's error type, or duplicate_key for a "
        "key given twice in one object."
    )


class ErrorResponse(BaseModel):
    error: str = Field(
        description=(
            "validation_error, unsupported_media_type, payload_too_large, too_many_records, "
            "not_found, method_not_allowed, internal_error, http_error or (on AWS Lambda) "
            "bad_event."
        )
    )
    message: str
    fields: list[ErrorField]
    request_id: str | None


class _Envelope(BaseModel):
    model: str = Field(description="Which model answered.")
    model_version: str = Field(description="Version of the artifacts set (manifest.version).")
    count: int = Field(description="Number of predictions, one per record, in request order.")


class Score(BaseModel):
    score: float = Field(ge=0.0, le=1.0)


class ScoreResponse(_Envelope):
    predictions: list[Score]


class Adaptation(BaseModel):
    action: str = Field(description="decrease, maintain or increase the difficulty.")
    probabilities: dict[str, float]


class DifficultyPrediction(BaseModel):
    level: str = Field(description="Most probable level.")
    confidence: dict[str, float] = Field(description="Probability of each level.")
    adaptation: Adaptation | None = Field(
        description="The difficulty policy's move, when the six adaptation signals were sent."
    )


class DifficultyResponse(_Envelope):
    predictions: list[DifficultyPrediction]


class RankedTutor(BaseModel):
    tutor_id: int
    compatibility: float = Field(ge=0.0, le=1.0, description="Predicted compatibility score.")
    strategy_score: float = Field(description="The score the chosen strategy ranked by.")


class TutorMatch(BaseModel):
    strategy: str = Field(description="The strategy the matching policy picks.")
    probabilities: dict[str, float] = Field(description="The policy's probability per strategy.")
    tutors: list[RankedTutor] = Field(
        description="The top_k best eligible tutors, best first; fewer where fewer are eligible."
    )


class TutorMatchResponse(_Envelope):
    predictions: list[TutorMatch]


class Health(BaseModel):
    status: str
    model_version: str
    models: list[str]
