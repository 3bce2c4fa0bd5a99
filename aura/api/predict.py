"""Predictions: one onnxruntime call per model per request, vectorised over a batch.

A request of one record, the product's common case, takes a path of plain Python floats and
lists instead: numpy's fixed cost per operation (a few microseconds) would otherwise outweigh the
models themselves. Both paths do the same arithmetic in the same order (float64, rounded as
`numpy.round` rounds), so a record gets the same answer alone as in a batch; a test holds them
to that.

Tutor matching reproduces the simulator's platform: the exported policy picks a strategy from the
learner's normalised observation, `aura.sim.matching` ranks the eligible tutors of the pool by
that strategy's score (the code that chose tutors in the generated data and the environment),
and the compatibility model scores each of the top-k (learner, tutor) pairs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from aura.api.artifacts import RANKING_INPUTS, LoadedArtifacts
from aura.api.records import Normaliser, raw_matrix
from aura.export.tutor_pool import TutorPool
from aura.sim.matching import eligibility, strategy_scores

SUBJECT_FIELD, SLOT_FIELD, STYLE_FIELD = RANKING_INPUTS  # every served manifest gives them
LANGUAGE_FIELD = "language"
ADAPTATION_FIELD = "adaptation"
MATCH_FIELDS = (SUBJECT_FIELD, SLOT_FIELD, STYLE_FIELD, LANGUAGE_FIELD)
"""What a strategy's choice depends on, in the order `Rankings` indexes them."""
DECIMALS = 6
_SCALE = 10.0**DECIMALS


def _rounded(values: np.ndarray) -> list[Any]:
    return np.round(values.astype(np.float64), DECIMALS).tolist()


def _round(value: float) -> float:
    """`numpy.round(value, DECIMALS)` for one float: scale, round half to even, unscale."""
    return round(value * _SCALE) / _SCALE


def _clip01(value: float) -> float:
    return 0.0 if value < 0.0 else 1.0 if value > 1.0 else value


def _labelled(probs: np.ndarray, labels: Sequence[str]) -> list[dict[str, float]]:
    return [dict(zip(labels, row, strict=True)) for row in _rounded(probs)]


def _labelled_one(probs: list[float], labels: Sequence[str]) -> dict[str, float]:
    return {label: _round(p) for label, p in zip(labels, probs, strict=True)}


def _row(record: dict[str, Any], names: Sequence[str]) -> np.ndarray:
    """One record as a (1, fields) model input."""
    return np.array([[record[n] for n in names]], dtype=np.float32)


class Rankings:
    """Every strategy's ranking of the pool for every kind of learner, computed once.

    A strategy's choice depends on the learner only through subject, time slot, learning style
    and language, so the pool's order for each of those few hundred combinations is computed at
    startup with `aura.sim.matching` (ineligible tutors last, ties to the lowest index, as
    `choose_tutors` breaks them) and a request only looks its rows up.
    """

    def __init__(self, pool: TutorPool, n_strategies: int, n_styles: int, n_languages: int) -> None:
        self.shape = (pool.teaches.shape[1], pool.available.shape[1], n_styles, n_languages)
        subject, slot, style, language = (g.ravel() for g in np.indices(self.shape))
        mask = eligibility(pool, subject, slot)  # type: ignore[arg-type]
        n = (n_strategies, len(subject), len(pool))
        self.order = np.empty(n, dtype=np.int64)
        self.scores = np.empty(n)
        for k in range(n_strategies):
            s = strategy_scores(pool, k, subject, style, language)  # type: ignore[arg-type]
            s = np.where(mask, s, -np.inf)
            self.order[k] = np.argsort(-s, axis=1, kind="stable")
            self.scores[k] = np.take_along_axis(s, self.order[k], axis=1)

    def top(
        self,
        strategy: np.ndarray,
        subject: np.ndarray,
        slot: np.ndarray,
        style: np.ndarray,
        language: np.ndarray,
        k: int,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, k) tutor indices, best first, and their strategy scores (-inf: ineligible)."""
        codes = [c.astype(np.int64) for c in (subject, slot, style, language)]
        combo = np.ravel_multi_index(codes, self.shape)
        return self.order[strategy, combo, :k], self.scores[strategy, combo, :k]

    def top_one(
        self, strategy: int, subject: int, slot: int, style: int, language: int, k: int
    ) -> tuple[list[int], list[float]]:
        """`top` for one learner, as lists."""
        _, n_slots, n_styles, n_languages = self.shape
        combo = ((subject * n_slots + slot) * n_styles + style) * n_languages + language
        return self.order[strategy, combo, :k].tolist(), self.scores[strategy, combo, :k].tolist()


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
        self.rankings = Rankings(
            self.pool,
            len(self.strategies),
            len(pool_entry.learning_styles),
            len(pool_entry.languages),
        )
        self.tutor_ids: list[int] = self.pool.tutor_id.tolist()
        self.pool_lists = {
            name: getattr(self.pool, name).tolist()
            for name in {n for side, n in self.pair_sources if side == "tutor"}
            | {"teaching_style", "language", "expertise_observed"}
        }

    def _run(self, name: str, x: np.ndarray) -> list[np.ndarray]:
        feed = {self.models[name].input_name: x.astype(np.float32, copy=False)}
        return self.sessions[name].run(None, feed)

    def _score(self, name: str, x: np.ndarray) -> np.ndarray:
        return np.clip(self._run(name, x)[0].ravel(), 0.0, 1.0)

    def scores(self, name: str, records: Sequence[dict[str, Any]]) -> list[dict[str, float]]:
        """Regressor scores in [0, 1] (compatibility, engagement)."""
        if len(records) == 1:
            score = float(self._run(name, _row(records[0], self.inputs[name]))[0].flat[0])
            return [{"score": _round(_clip01(score))}]
        x = raw_matrix(records, self.inputs[name])
        return [{"score": s} for s in _rounded(self._score(name, x))]

    def _policy(self, name: str, raw: np.ndarray) -> np.ndarray:
        return self._run(name, self.normalisers[name](raw))[1]

    def difficulty(self, records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Level with a confidence per class; the adaptation policy's action where the six
        adaptation signals are given."""
        if len(records) == 1:
            return [self._difficulty_one(records[0])]
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
        with their predicted compatibility."""
        if len(records) == 1:
            return [self._tutor_match_one(records[0], top_k)]
        raw = raw_matrix(records, self.match_fields)
        learner = {name: raw[:, j] for j, name in enumerate(self.match_fields)}
        probs = self._policy("tutor_matching", raw[:, :-1])
        strategy = probs.argmax(axis=1)
        k = min(top_k, len(self.pool))
        top, top_scores = self.rankings.top(strategy, *(learner[f] for f in MATCH_FIELDS), k)
        pairs = self._pair_matrix(learner, top.ravel(), np.repeat(np.arange(len(records)), k))
        compat = _rounded(self._score("compatibility", pairs).reshape(top.shape))
        eligible = np.isfinite(top_scores)
        score = _rounded(np.where(eligible, top_scores, 0.0))
        ids = self.pool.tutor_id[top].tolist()
        rows = zip(ids, compat, score, eligible.tolist(), strict=True)
        tutors = [
            [
                {"tutor_id": t, "compatibility": c, "strategy_score": v}
                for t, c, v, ok in zip(*row, strict=True)
                if ok
            ]
            for row in rows
        ]
        labelled = _labelled(probs, self.strategies)
        names = [self.strategies[s] for s in strategy.tolist()]
        return [
            {"strategy": n, "probabilities": p, "tutors": t}
            for n, p, t in zip(names, labelled, tutors, strict=True)
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

    # -- one record: the same arithmetic on Python floats (see the module docstring) -------------

    def _policy_one(self, name: str, raw: list[float]) -> list[float]:
        obs = np.array([self.normalisers[name].one(raw)], dtype=np.float32)
        return self._run(name, obs)[1][0].tolist()

    def _difficulty_one(self, record: dict[str, Any]) -> dict[str, Any]:
        probs = self._run("difficulty", _row(record, self.inputs["difficulty"]))[1][0].tolist()
        labels = self.models["difficulty"].class_labels or []
        out: dict[str, Any] = {
            "level": labels[probs.index(max(probs))],
            "confidence": _labelled_one(probs, labels),
            "adaptation": None,
        }
        signals = record.get(ADAPTATION_FIELD)
        if signals is not None:
            name = "difficulty_adaptation"
            p = self._policy_one(name, [signals[n] for n in self.inputs[name]])
            actions = self.models[name].class_labels or []
            out["adaptation"] = {
                "action": actions[p.index(max(p))],
                "probabilities": _labelled_one(p, actions),
            }
        return out

    def _tutor_match_one(self, record: dict[str, Any], top_k: int) -> dict[str, Any]:
        policy_inputs = self.inputs["tutor_matching"]
        probs = self._policy_one("tutor_matching", [record[n] for n in policy_inputs])
        strategy = probs.index(max(probs))
        k = min(top_k, len(self.pool))
        codes = (int(record[f]) for f in MATCH_FIELDS)
        top, top_scores = self.rankings.top_one(strategy, *codes, k)
        pairs = np.array([self._pair_row(record, t) for t in top], dtype=np.float32)
        compat = self._run("compatibility", pairs)[0].ravel().tolist()
        tutors = [
            {
                "tutor_id": self.tutor_ids[t],
                "compatibility": _round(_clip01(c)),
                "strategy_score": _round(v),
            }
            for t, c, v in zip(top, compat, top_scores, strict=True)
            if math.isfinite(v)
        ]
        return {
            "strategy": self.strategies[strategy],
            "probabilities": _labelled_one(probs, self.strategies),
            "tutors": tutors,
        }

    def _pair_row(self, record: dict[str, Any], t: int) -> list[float]:
        """`_pair_matrix` for one (learner, tutor) pair."""
        pool = self.pool_lists
        row = []
        for side, name in self.pair_sources:
            if side == "learner":
                row.append(record[name])
            elif side == "tutor":
                row.append(pool[name][t])
            elif name == "style_match":
                row.append(float(pool["teaching_style"][t] == record[STYLE_FIELD]))
            elif name == "language_match":
                row.append(float(pool["language"][t] == record[LANGUAGE_FIELD]))
            else:
                row.append(pool["expertise_observed"][t][record[SUBJECT_FIELD]])
        return row
