"""Tutor-match's whole answer, every tutor of the top k, against a reference built beside the
service: the ranking from the simulator's own scoring (`aura.sim.matching`), sorted here, and
each tutor's compatibility from the ONNX model run on inputs read from the pool file by name.

The endpoint tests check the first tutor and the policy; a wrong pair input (a style match
compared the wrong way, the expertise of another subject), a ranking cut one short or an
ineligible tutor listed changed every other part of the answer without failing them. The
rankings of a four-tutor pool are also worked by hand, over three styles and two languages
(the smoke vocabularies have four of each, so the two counts could be swapped unseen), and a
tutor whose strategy score is 0 must still be listed.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from fastapi.testclient import TestClient
from test_endpoints import PREDICT, learner

from aura.api.artifacts import load_artifacts
from aura.api.predict import Predictor, Rankings
from aura.export.manifest import read_manifest
from aura.export.tutor_pool import TutorPool, load_pool
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


def _hand_pool() -> TutorPool:
    """Four tutors over two subjects, two slots, three styles and two languages (a style count
    other than the language count, so the two cannot be confused)."""
    return TutorPool(
        tutor_id=np.array([10, 11, 12, 13]),
        years_experience=np.array([1.0, 2.0, 3.0, 4.0]),
        rating=np.array([5.0, 3.0, 1.0, 5.0]),  # scaled (r - 1) / 4: 1.0, 0.5, 0.0, 1.0
        communication_rating=np.array([4.0, 4.0, 4.0, 4.0]),
        teaching_style=np.array([0, 2, 2, 1]),
        language=np.array([0, 1, 0, 1]),
        teaches=np.array([[1, 0], [1, 1], [0, 1], [1, 0]], dtype=bool),
        available=np.array([[1, 0], [1, 1], [0, 1], [1, 0]], dtype=bool),
        expertise_observed=np.array([[0.2, 0.0], [0.9, 0.5], [0.0, 0.7], [0.2, 0.0]]),
    )


# A learner of subject 0 in slot 0, style 2, language 1: tutors 0, 1 and 3 teach it then,
# tutor 2 does not (last, -inf). Each strategy's scores, worked by hand from its definition:
HAND_RANKINGS = {
    # best rating: scaled rating; tutors 0 and 3 tie at 1.0, the lower index first
    0: ([0, 3, 1, 2], [1.0, 1.0, 0.5, -np.inf]),
    # subject expert: expertise + 0.01 * scaled rating = 0.21, 0.905, 0.21
    1: ([1, 0, 3, 2], [0.905, 0.21, 0.21, -np.inf]),
    # cultural match: language match + scaled rating = 1.0, 1.5, 2.0
    2: ([3, 1, 0, 2], [2.0, 1.5, 1.0, -np.inf]),
    # style match: style match + scaled rating = 1.0, 1.5, 1.0
    3: ([1, 0, 3, 2], [1.5, 1.0, 1.0, -np.inf]),
    # balanced: (scaled rating + expertise + style match + language match) / 4
    4: ([1, 3, 0, 2], [0.85, 0.55, 0.3, -np.inf]),
}


@pytest.mark.parametrize("strategy", sorted(HAND_RANKINGS))
def test_rankings_of_a_pool_worked_by_hand(strategy: int) -> None:
    rankings = Rankings(_hand_pool(), n_strategies=5, n_styles=3, n_languages=2)
    order, scores = HAND_RANKINGS[strategy]
    one = rankings.top_one(strategy, 0, 0, 2, 1, k=4)
    assert one[0] == order
    np.testing.assert_allclose(one[1], scores)
    codes = [np.array([v]) for v in (0, 0, 2, 1)]
    top, top_scores = rankings.top(np.array([strategy]), *codes, k=3)
    assert top.tolist() == [order[:3]]
    np.testing.assert_allclose(top_scores, [scores[:3]])


def test_an_eligible_tutor_scoring_zero_is_listed(client: TestClient, artifacts_dir: Path) -> None:
    """A score of 0 is a score: tutor 0 given the lowest rating and no listed expertise, and a
    learner of another style and language, scores 0 under every strategy and is still one of
    the eligible tutors the answer lists, on both prediction paths."""
    loaded = load_artifacts(artifacts_dir)
    pool = loaded.pool
    rating, expertise = pool.rating.copy(), pool.expertise_observed.copy()
    rating[0], expertise[0] = 1.0, 0.0
    pool = replace(pool, rating=rating, expertise_observed=expertise)
    predictor = Predictor(replace(loaded, pool=pool))
    subject = int(np.flatnonzero(pool.teaches[0])[0])
    slot = int(np.flatnonzero(pool.available[0])[0])
    record = {
        **learner(np.random.default_rng(8)),
        "subject_preference": vocab.SUBJECTS[subject],
        "time_preference": vocab.TIME_SLOTS[slot],
        "learning_style": vocab.LEARNING_STYLES[(pool.teaching_style[0] + 1) % 4],
        "language": vocab.LANGUAGES[(pool.language[0] + 1) % 4],
    }
    eligible = int(eligibility(pool, np.array([subject]), np.array([slot])).sum())  # type: ignore[arg-type]
    assert eligible <= TOP_K
    records = client.app.state.service.parsers["tutor-match"].many.validate_python([record] * 2)
    for answer in [
        *predictor.tutor_match(records[:1], TOP_K),
        *predictor.tutor_match(records, TOP_K),
    ]:
        listed = {t["tutor_id"]: t["strategy_score"] for t in answer["tutors"]}
        assert len(listed) == eligible
        assert listed[int(pool.tutor_id[0])] == 0.0
