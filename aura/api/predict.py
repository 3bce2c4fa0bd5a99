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
from pydantic import BaseModel

from aura.api.artifacts import LoadedArtifacts
from aura.api.records import category_codes, normalise, raw_matrix
from aura.sim.matching import eligibility, strategy_scores

SUBJECT_FIELD = "subject_preference"
SLOT_FIELD = "time_preference"
STYLE_FIELD = "learning_style"
LANGUAGE_FIELD = "language"
ADAPTATION_FIELD = "adaptation"
DECIMALS = 6


def _rounded(values: np.ndarray) -> list[Any]:
    return np.round(values.astype(np.float64), DECIMALS).tolist()


def _labelled(probs: np.ndarray, labels: Sequence[str]) -> list[dict[str, float]]:
    rows = _rounded(probs)
    return [dict(zip(labels, row, strict=True)) for row in rows]


class Predictor:
    """The models of one artifacts folder, behind one method per endpoint."""

    def __init__(self, artifacts: LoadedArtifacts) -> None:
        self.artifacts = artifacts
        self.models = artifacts.manifest.models
        self.pool = artifacts.pool
        pool_entry = artifacts.manifest.tutor_pool
        self.vocab = {
            SUBJECT_FIELD: pool_entry.subjects,
            SLOT_FIELD: pool_entry.time_slots,
            STYLE_FIELD: pool_entry.learning_styles,
            LANGUAGE_FIELD: pool_entry.languages,
        }
        self.strategies = pool_entry.strategies
        self.pair_features = [
            pool_entry.pair_features[f.name] for f in self.models["compatibility"].inputs
        ]

    def _run(self, name: str, x: np.ndarray) -> list[np.ndarray]:
        entry = self.models[name]
        return self.artifacts.sessions[name].run(None, {entry.input_name: x.astype(np.float32)})

    def scores(self, name: str, records: Sequence[BaseModel]) -> list[dict[str, float]]:
        """Regressor scores in [0, 1] (compatibility, engagement)."""
        x = raw_matrix(records, self.models[name].inputs)
        return [{"score": s} for s in _rounded(self._score(name, x))]

    def _score(self, name: str, x: np.ndarray) -> np.ndarray:
        return np.clip(self._run(name, x)[0].ravel(), 0.0, 1.0)

    def _policy(self, name: str, raw: np.ndarray) -> np.ndarray:
        obs = normalise(raw, self.models[name].inputs)
        return self._run(name, obs)[1]

    def difficulty(self, records: Sequence[BaseModel]) -> list[dict[str, Any]]:
        """Level with a confidence per class; the adaptation policy's action where the six
        adaptation signals are given."""
        entry = self.models["difficulty"]
        probs = self._run("difficulty", raw_matrix(records, entry.inputs))[1]
        labels = entry.class_labels or []
        out = [
            {"level": labels[i], "confidence": c, "adaptation": None}
            for i, c in zip(probs.argmax(axis=1).tolist(), _labelled(probs, labels), strict=True)
        ]
        rows = [i for i, r in enumerate(records) if getattr(r, ADAPTATION_FIELD) is not None]
        if rows:
            policy = self.models["difficulty_adaptation"]
            signals = [getattr(records[i], ADAPTATION_FIELD) for i in rows]
            p = self._policy("difficulty_adaptation", raw_matrix(signals, policy.inputs))
            actions = policy.class_labels or []
            for i, a, pr in zip(
                rows, p.argmax(axis=1).tolist(), _labelled(p, actions), strict=True
            ):
                out[i]["adaptation"] = {"action": actions[a], "probabilities": pr}
        return out

    def tutor_match(self, records: Sequence[BaseModel], top_k: int) -> list[dict[str, Any]]:
        """The policy's strategy and probabilities, and the strategy's top-k eligible tutors
        with their predicted compatibility."""
        policy = self.models["tutor_matching"]
        raw = raw_matrix(records, policy.inputs)
        probs = self._policy("tutor_matching", raw)
        strategy = probs.argmax(axis=1)
        codes = {k: category_codes(records, k, v) for k, v in self.vocab.items()}
        subject, style, language = codes[SUBJECT_FIELD], codes[STYLE_FIELD], codes[LANGUAGE_FIELD]
        pool = self.pool
        mask = eligibility(pool, subject, codes[SLOT_FIELD])  # type: ignore[arg-type]
        scores = np.full(mask.shape, -np.inf)
        for k in np.unique(strategy).tolist():
            rows = np.flatnonzero(strategy == k)
            s = strategy_scores(pool, k, subject[rows], style[rows], language[rows])  # type: ignore[arg-type]
            scores[rows] = np.where(mask[rows], s, -np.inf)
        k = min(top_k, len(pool))
        # Stable sort: equal scores keep the lowest index first, as choose_tutors' argmax does.
        top = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        top_scores = np.take_along_axis(scores, top, axis=1)
        compat = self._score(
            "compatibility", self._pair_matrix(records, top, subject, style, language)
        ).reshape(top.shape)
        ids = pool.tutor_id[top].tolist()
        compat_l, score_l = (
            _rounded(compat),
            _rounded(np.where(np.isfinite(top_scores), top_scores, 0)),
        )
        eligible = np.isfinite(top_scores).tolist()
        labelled = _labelled(probs, self.strategies)
        out = []
        for i, s in enumerate(strategy.tolist()):
            tutors = [
                {
                    "tutor_id": ids[i][j],
                    "compatibility": compat_l[i][j],
                    "strategy_score": score_l[i][j],
                }
                for j in range(k)
                if eligible[i][j]
            ]
            out.append(
                {"strategy": self.strategies[s], "probabilities": labelled[i], "tutors": tutors}
            )
        return out

    def _pair_matrix(
        self,
        records: Sequence[BaseModel],
        top: np.ndarray,
        subject: np.ndarray,
        style: np.ndarray,
        language: np.ndarray,
    ) -> np.ndarray:
        """Compatibility inputs of every (learner, chosen tutor) pair, rows learner-major."""
        pool = self.pool
        k = top.shape[1]
        t = top.ravel()
        row = np.repeat(np.arange(len(records)), k)
        columns = []
        for source in self.pair_features:
            side, name = source.split(":")
            if side == "learner":
                values = np.fromiter((getattr(r, name) for r in records), np.float64, len(records))
                columns.append(values[row])
            elif side == "tutor":
                columns.append(getattr(pool, name)[t].astype(np.float64))
            elif name == "style_match":
                columns.append((pool.teaching_style[t] == style[row]).astype(np.float64))
            elif name == "language_match":
                columns.append((pool.language[t] == language[row]).astype(np.float64))
            else:
                columns.append(pool.expertise_observed[t, subject[row]])
        return np.column_stack(columns)
