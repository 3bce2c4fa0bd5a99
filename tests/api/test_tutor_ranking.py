"""Tutor-match's whole answer, every tutor of the top k, against a reference built beside the
service: the ranking from the simulator's own scoring (`aura.sim.matching`), sorted here, and
each tutor's compatibility from the ONNX model run on inputs read from the pool file by name.

The endpoint tests check the first tutor and the policy; a wrong pair input (a style match
compared the wrong way, the expertise of another subject), a ranking cut one short or an
ineligible tutor listed changed every other part of the answer without failing them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from fastapi.testclient import TestClient
from test_endpoints import PREDICT, learner

from aura.export.manifest import read_manifest
from aura.export.tutor_pool import load_pool
from aura.sim import vocab
from aura.sim.matching import eligibility, strategy_scores

TOP_K = 20
"""The most tutors a request may ask for; the smoke pool has 25, so the lists run past the
tutors some learners may take and the cut of the ineligible ones shows."""


def _pair(name: str, rec: dict[str, Any], columns: dict[str, Any], t: int) -> float:
    """A pair input of learner ``rec`` and tutor ``t``, from the pool file's columns by name."""
    if name == "style_match":
        return float(columns["teaching_style"][t] == rec["learning_style"])
    if name == "language_match":
        return float(columns["language"][t] == rec["language"])
    assert name == "subject_expertise", name
    return columns["expertise"][rec["subject_preference"]][t]


def _reference(artifacts_dir: Path, records: list[dict[str, Any]]) -> list[list[dict]]:
    """Each learner's expected tutors under the strategy the service named: eligible ones by
    descending strategy score, ties to the lower pool index, each with its compatibility."""
    manifest = read_manifest(artifacts_dir)
    p = manifest.tutor_pool
    file = artifacts_dir / p.file
    pool = load_pool(
        file,
        subjects=p.subjects,
        time_slots=p.time_slots,
        styles=p.learning_styles,
        languages=p.languages,
    )
    columns = json.loads(file.read_text())
    compatibility = manifest.models["compatibility"]
    session = ort.InferenceSession(str(artifacts_dir / compatibility.file))
    out = []
    for rec in records:
        subject = np.array([vocab.SUBJECTS.index(rec["subject_preference"])])
        slot = np.array([vocab.TIME_SLOTS.index(rec["time_preference"])])
        style = np.array([vocab.LEARNING_STYLES.index(rec["learning_style"])])
        language = np.array([vocab.LANGUAGES.index(rec["language"])])
        strategy = vocab.STRATEGIES.index(rec["strategy"])
        eligible = eligibility(pool, subject, slot)[0]  # type: ignore[arg-type]
        scores = strategy_scores(pool, strategy, subject, style, language)[0]  # type: ignore[arg-type]
        ranked = sorted(np.flatnonzero(eligible).tolist(), key=lambda t: (-scores[t], t))
        tutors = ranked[:TOP_K]
        rows = []
        for t in tutors:
            row = []
            for f in compatibility.inputs:
                side, name = p.pair_features[f.name].split(":")
                if side == "learner":
                    row.append(rec[name])
                elif side == "tutor":
                    row.append(columns[name][t])
                else:
                    row.append(_pair(name, rec, columns, t))
            rows.append(row)
        compat = session.run(None, {compatibility.input_name: np.array(rows, np.float32)})[0]
        out.append(
            [
                {
                    "tutor_id": columns["tutor_id"][t],
                    "compatibility": float(np.clip(c, 0.0, 1.0)),
                    "strategy_score": float(scores[t]),
                }
                for t, c in zip(tutors, compat.ravel(), strict=True)
            ]
        )
    return out


def _check(got: list[dict], expected: list[dict]) -> None:
    assert [t["tutor_id"] for t in got] == [t["tutor_id"] for t in expected]
    for field in ("compatibility", "strategy_score"):
        np.testing.assert_allclose(
            [t[field] for t in got], [t[field] for t in expected], atol=5e-7, err_msg=field
        )


@pytest.fixture(scope="module")
def learners() -> list[dict[str, Any]]:
    rng = np.random.default_rng(2024)
    return [learner(rng) for _ in range(120)]


def test_every_tutor_of_a_batch_answer_is_the_reference(
    client: TestClient, artifacts_dir: Path, learners: list[dict[str, Any]]
) -> None:
    response = client.post(PREDICT + f"tutor-match?top_k={TOP_K}", json=learners)
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    named = [{**r, "strategy": p["strategy"]} for r, p in zip(learners, predictions, strict=True)]
    expected = _reference(artifacts_dir, named)
    assert {len(e) for e in expected} - {TOP_K}, "some learner has fewer eligible tutors than k"
    for got, want in zip(predictions, expected, strict=True):
        _check(got["tutors"], want)


@pytest.mark.parametrize("top_k", [1, 4, TOP_K])
def test_every_tutor_of_a_one_record_answer_is_the_reference(
    client: TestClient, artifacts_dir: Path, learners: list[dict[str, Any]], top_k: int
) -> None:
    for rec in learners[:15]:
        response = client.post(PREDICT + f"tutor-match?top_k={top_k}", json=rec)
        assert response.status_code == 200, response.text
        (prediction,) = response.json()["predictions"]
        (expected,) = _reference(artifacts_dir, [{**rec, "strategy": prediction["strategy"]}])
        _check(prediction["tutors"], expected[:top_k])
