"""Scores leave the service in [0, 1] whatever the regressor returns.

A forest's prediction is a mean of training targets, so the smoke models never leave [0, 1] and
the clip of each answer never acts in the endpoint tests; here the regressors are replaced by a
stand-in that answers a fixed value outside the range, through both the one-record path and the
batch path of `Predictor`.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from test_endpoints import learner

from aura.api.artifacts import load_artifacts
from aura.api.predict import Predictor


class _Constant:
    """An onnxruntime session stand-in: a regressor that answers ``value`` for every row."""

    def __init__(self, value: float) -> None:
        self.value = value

    def run(self, outputs: Any, feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        (x,) = feed.values()
        return [np.full((len(x), 1), self.value, dtype=np.float32)]


def _predictor(artifacts_dir: Path, value: float) -> Predictor:
    loaded = load_artifacts(artifacts_dir)
    sessions = {
        **loaded.sessions,
        "compatibility": _Constant(value),
        "engagement": _Constant(value),
    }
    return Predictor(replace(loaded, sessions=sessions))


def _record(predictor: Predictor, name: str) -> dict[str, Any]:
    return {f.name: f.low for f in predictor.models[name].inputs}


@pytest.mark.parametrize(("raw", "served"), [(1.75, 1.0), (-0.25, 0.0), (0.375, 0.375)])
@pytest.mark.parametrize("name", ["compatibility", "engagement"])
def test_a_score_outside_the_unit_range_is_clipped(
    artifacts_dir: Path, name: str, raw: float, served: float
) -> None:
    predictor = _predictor(artifacts_dir, raw)
    record = _record(predictor, name)
    assert predictor.scores(name, [record]) == [{"score": served}]
    assert predictor.scores(name, [record] * 3) == [{"score": served}] * 3


@pytest.mark.parametrize(("raw", "served"), [(1.75, 1.0), (-0.25, 0.0)])
def test_a_tutor_compatibility_outside_the_unit_range_is_clipped(
    client: TestClient, artifacts_dir: Path, raw: float, served: float
) -> None:
    predictor = _predictor(artifacts_dir, raw)
    rng = np.random.default_rng(5)
    parser = client.app.state.service.parsers["tutor-match"]  # categories as their indices
    records = parser.many.validate_python([learner(rng) for _ in range(4)])
    for answer in [*predictor.tutor_match(records[:1], 5), *predictor.tutor_match(records, 5)]:
        assert answer["tutors"]
        assert {t["compatibility"] for t in answer["tutors"]} == {served}
