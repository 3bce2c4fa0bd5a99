"""Vectorised predictions for whole batches: one onnxruntime call per model per request.

Tutor matching reproduces the simulator's platform: the exported policy picks a strategy from the
learner's normalised observation, `aura.sim.matching` ranks the eligible tutors of the pool by
that strategy's score (the code that chose tutors in the generated data and the environment),
and the compatibility model scores each of the top-k (learner, tutor) pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from aura.api.artifacts import LoadedArtifacts
from aura.api.records import Normaliser, raw_matrix
from aura.sim.matching import eligibility, strategy_scores

SUBJECT_FIELD = "subject_preference"
SLOT_FIELD = "time_preference"
STYLE_FIELD = "learning_style"
LANGUAGE_FIELD = "language"
ADAPTATION_FIELD = "adaptation"
MATCH_FIELDS = (SUBJECT_FIELD, SLOT_FIELD, STYLE_FIELD, LANGUAGE_FIELD)
DECIMALS = 6
MATCH_CHUNK = 8192
"""Learners ranked per step: bounds the (learners, tutors) matrices to a few tens of MB."""


def _rounded(values: np.ndarray) -> list[Any]:
    return np.round(values.astype(np.float64), DECIMALS).tolist()


def _labelled(probs: np.ndarray, labels: Sequence[str]) -> list[dict[str, float]]:
    return [dict(zip(labels, row, strict=True)) for row in _rounded(probs)]


class Predictor:
    """The models of one artifacts folder, behind one method per endpoint."""

    def __init__(self, artifacts: LoadedArtifacts) -> None:
        self.sessions = artifacts.sessions
        self.models = artifacts.manifest.models
        self.pool = artifacts.pool
        self.inputs = {name: [f.name for f in m.inputs] for name, m in self.models.items()}
        self.normalisers = {
            name: Normaliser(self.models[name].inputs)
            for name in ("tutor_matching", "difficulty_adaptation")
        }
        pool_entry = artifacts.manifest.tutor_pool
        self.strategies = pool_entry.strategies
        self.pair_sources = [
            pool_entry.pair_features[f.name].split(":") for f in self.models["compatibility"].inputs
        ]
        self.match_fields = [*self.inputs["tutor_matching"], LANGUAGE_FIELD]
        for field in MATCH_FIELDS:
            if field not in self.match_fields:
                raise ValueError(f"the tutor-matching policy has no {field!r} input")

    def _run(self, name: str, x: np.ndarray) -> list[np.ndarray]:
        feed = {self.models[name].input_name: x.astype(np.float32, copy=False)}
        return self.sessions[name].run(None, feed)

    def _score(self, name: str, x: np.ndarray) -> np.ndarray:
        return np.clip(self._run(name, x)[0].ravel(), 0.0, 1.0)

    def scores(self, name: str, records: Sequence[dict[str, Any]]) -> list[dict[str, float]]:
        """Regressor scores in [0, 1] (compatibility, engagement)."""
        x = raw_matrix(records, self.inputs[name])
        return [{"score": s} for s in _rounded(self._score(name, x))]

    def _policy(self, name: str, raw: np.ndarray) -> np.ndarray:
        return self._run(name, self.normalisers[name](raw))[1]

    def difficulty(self, records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Level with a confidence per class; the adaptation policy's action where the six
        adaptation signals are given."""
        probs = self._run("difficulty", raw_matrix(records, self.inputs["difficulty"]))[1]
        labels = self.models["difficulty"].class_labels or []
        out = [
            {"level": labels[i], "confidence": c, "adaptation": None}
            for i, c in zip(probs.argmax(axis=1).tolist(), _labelled(probs, labels), strict=True)
        ]
        rows = [i for i, r in enumerate(records) if r.get(ADAPTATION_FIELD) is not None]
        if rows:
            signals = [records[i][ADAPTATION_FIELD] for i in rows]
            raw = raw_matrix(signals, self.inputs["difficulty_adaptation"])
            p = self._policy("difficulty_adaptation", raw)
            actions = self.models["difficulty_adaptation"].class_labels or []
            for i, a, pr in zip(
                rows, p.argmax(axis=1).tolist(), _labelled(p, actions), strict=True
            ):
                out[i]["adaptation"] = {"action": actions[a], "probabilities": pr}
        return out

    def tutor_match(self, records: Sequence[dict[str, Any]], top_k: int) -> list[dict[str, Any]]:
        """The policy's strategy and probabilities, and the strategy's top-k eligible tutors
        with their predicted compatibility (in chunks, so the (records, tutors) score matrices
        of a large batch never all sit in memory at once)."""
        out: list[dict[str, Any]] = []
        for start in range(0, len(records), MATCH_CHUNK):
            out += self._tutor_match(records[start : start + MATCH_CHUNK], top_k)
        return out

    def _tutor_match(self, records: Sequence[dict[str, Any]], top_k: int) -> list[dict[str, Any]]:
        raw = raw_matrix(records, self.match_fields)
        learner = {name: raw[:, j] for j, name in enumerate(self.match_fields)}
        probs = self._policy("tutor_matching", raw[:, :-1])
        strategy = probs.argmax(axis=1)
        code = {f: learner[f].astype(np.int64) for f in MATCH_FIELDS}
        subject, style, language = code[SUBJECT_FIELD], code[STYLE_FIELD], code[LANGUAGE_FIELD]
        pool = self.pool
        mask = eligibility(pool, subject, code[SLOT_FIELD])  # type: ignore[arg-type]
        scores = np.full(mask.shape, -np.inf)
        for k in np.unique(strategy).tolist():
            rows = np.flatnonzero(strategy == k)
            s = strategy_scores(pool, k, subject[rows], style[rows], language[rows])  # type: ignore[arg-type]
            scores[rows] = np.where(mask[rows], s, -np.inf)
        k = min(top_k, len(pool))
        # Stable sort: equal scores keep the lowest index first, as choose_tutors' argmax does.
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        top_scores = np.take_along_axis(scores, top, axis=1)
        pairs = self._pair_matrix(learner, top.ravel(), np.repeat(np.arange(len(records)), k))
        compat = _rounded(self._score("compatibility", pairs).reshape(top.shape))
        eligible = np.isfinite(top_scores)
        score = _rounded(np.where(eligible, top_scores, 0.0))
        ids, eligible_l = pool.tutor_id[top].tolist(), eligible.tolist()
        labelled = _labelled(probs, self.strategies)
        return [
            {
                "strategy": self.strategies[s],
                "probabilities": labelled[i],
                "tutors": [
                    {
                        "tutor_id": ids[i][j],
                        "compatibility": compat[i][j],
                        "strategy_score": score[i][j],
                    }
                    for j in range(k)
                    if eligible_l[i][j]
                ],
            }
            for i, s in enumerate(strategy.tolist())
        ]

    def _pair_matrix(
        self, learner: dict[str, np.ndarray], t: np.ndarray, row: np.ndarray
    ) -> np.ndarray:
        """Compatibility inputs of (learner row, tutor t) pairs, from the manifest's sources."""
        pool = self.pool
        out = np.empty((len(t), len(self.pair_sources)))
        for j, (side, name) in enumerate(self.pair_sources):
            if side == "learner":
                out[:, j] = learner[name][row]
            elif side == "tutor":
                out[:, j] = getattr(pool, name)[t]
            elif name == "style_match":
                out[:, j] = pool.teaching_style[t] == learner[STYLE_FIELD][row]
            elif name == "language_match":
                out[:, j] = pool.language[t] == learner[LANGUAGE_FIELD][row]
            else:
                out[:, j] = pool.expertise_observed[t, learner[SUBJECT_FIELD][row].astype(np.int64)]
        return out
