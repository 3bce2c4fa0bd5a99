"""The best any model could do from a feature table: the simulator's Bayes reference.

The simulator draws each target from exactly the default features plus noise of known form:
the two scores are sigmoid(f(x) + N(0, 0.8^2)), the level is an ordered logit. So for any table
with those features, E[y | x], Var[y | x] and P(level | x) follow from `aura.sim` alone, and
with them the lowest MSE and the highest accuracy a model can reach on that table. The truth
files the simulator writes hold the same numbers; computing them from the features means the
reference exists for any dataset, including shifted ones drawn for out-of-sample tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, log_loss

from aura.sim import outcomes as oc
from aura.sim.placement import PLACEMENT_FEATURES, placement_probabilities
from aura.sim.rng import logit_normal_moments
from aura.supervised.features import FEATURES, SUBJECT_EXPERTISE


class BayesUnavailableError(ValueError):
    """The table lacks a feature the simulator draws the target from, so no floor is known."""


def _columns(X: pd.DataFrame, name: str) -> dict[str, np.ndarray]:
    missing = [c for c in FEATURES[name] if c not in X]
    if missing:
        raise BayesUnavailableError(
            f"{name}: the Bayes reference needs the simulator's inputs; missing {missing}"
        )
    return {c: X[c].to_numpy(dtype=float) for c in FEATURES[name]}


def compatibility_moments(X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """E[y | x] and Var[y | x] of compatibility_score for each row."""
    c = _columns(X, "compatibility")
    logit = oc.compatibility_logit(
        c["age"],
        c["comfort_level_online"],
        c["style_match"],
        c["language_match"],
        c["rating"],
        c["years_experience"],
        c["communication_rating"],
        c[SUBJECT_EXPERTISE],
    )
    return logit_normal_moments(logit, oc.COMPATIBILITY_NOISE)


def engagement_moments(X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """E[y | x] and Var[y | x] of engagement_score for each row."""
    c = _columns(X, "engagement")
    logit = oc.engagement_logit(
        c["duration_hours"],
        c["attention_span_minutes"],
        c["comfort_level_online"],
        c["style_match"],
        c["language_match"],
        c["exercise_success_rate"],
    )
    return logit_normal_moments(logit, oc.ENGAGEMENT_NOISE)


def difficulty_probabilities(X: pd.DataFrame) -> np.ndarray:
    """(rows, 3) exact P(Beginner / Intermediate / Advanced | x)."""
    c = _columns(X, "difficulty")
    return placement_probabilities({f: c[f] for f in PLACEMENT_FEATURES})


def regression_reference(mean: np.ndarray, var: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The Bayes regressor E[y | x] on these rows: its expected MSE (mean Var[y | x], the floor
    `bayes_mse`), and what it actually scored on the realised targets."""
    y = np.asarray(y, dtype=float)
    resid = y - mean
    total = float(np.var(y))
    return {
        "bayes_mse": float(np.mean(var)),
        "bayes_realised_mse": float(np.mean(resid**2)),
        "bayes_realised_mae": float(np.mean(np.abs(resid))),
        "bayes_r2": float(1.0 - np.mean(var) / total) if total > 0 else float("nan"),
    }


def classification_reference(probs: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """The Bayes classifier (argmax P(level | x)) on these rows: its expected accuracy (mean of
    the largest class probability, the ceiling `bayes_accuracy`), its realised accuracy and
    macro-F1, and the log-loss of the true probabilities."""
    y = np.asarray(y, dtype=int)
    pred = probs.argmax(axis=1)
    labels = list(range(probs.shape[1]))
    return {
        "bayes_accuracy": float(probs.max(axis=1).mean()),
        "bayes_realised_accuracy": float(np.mean(pred == y)),
        "bayes_macro_f1": float(f1_score(y, pred, average="macro", labels=labels)),
        "bayes_log_loss": float(log_loss(y, np.clip(probs, 1e-15, 1.0), labels=labels)),
    }


def bayes_reference(name: str, X: pd.DataFrame, y: pd.Series | np.ndarray) -> dict[str, float]:
    """The Bayes reference of model `name` on rows (X, y)."""
    if name == "difficulty":
        return classification_reference(difficulty_probabilities(X), np.asarray(y))
    moments = {"compatibility": compatibility_moments, "engagement": engagement_moments}
    if name not in moments:
        raise ValueError(f"unknown model {name!r}; expected compatibility, difficulty, engagement")
    mean, var = moments[name](X)
    return regression_reference(mean, var, np.asarray(y))
