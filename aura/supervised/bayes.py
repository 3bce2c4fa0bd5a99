"""The best any model could do from a feature table: the simulator's Bayes reference.

The simulator draws each target from exactly the default features plus noise of known form:
the two scores are sigmoid(f(x) + N(0, 0.8^2)), the level is an ordered logit. So for any table
with those features, E[y | x], Var[y | x] and P(level | x) follow from `aura.sim` alone, and
with them the lowest MSE and the highest accuracy a model can reach on that table. The truth
files the simulator writes hold the same numbers; computing them from the features means the
reference exists for any dataset, including shifted ones drawn for out-of-sample tests.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import log_loss

from aura.sim import outcomes as oc
from aura.sim.placement import PLACEMENT_FEATURES, placement_probabilities
from aura.sim.rng import logit_normal_moments
from aura.supervised.evaluation import macro_f1
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
        "bayes_macro_f1": macro_f1(y, pred, labels),
        "bayes_log_loss": float(log_loss(y, np.clip(probs, 1e-15, 1.0), labels=labels)),
    }


BAYES_MODELS: tuple[str, ...] = ("compatibility", "difficulty", "engagement")
"""The models with a Bayes reference: those whose target this module knows the simulator's
distribution of. Another model is trained and scored against its baselines alone, as on data the
simulator did not write; `bayes_reference` used to refuse it once every model had been trained."""


def bayes_reference(name: str, X: pd.DataFrame, y: pd.Series | np.ndarray) -> dict[str, float]:
    """The Bayes reference of model `name` on rows (X, y)."""
    if name == "difficulty":
        return classification_reference(difficulty_probabilities(X), np.asarray(y))
    moments = {"compatibility": compatibility_moments, "engagement": engagement_moments}
    if name not in moments:
        raise ValueError(f"unknown model {name!r}; expected one of {', '.join(BAYES_MODELS)}")
    mean, var = moments[name](X)
    return regression_reference(mean, var, np.asarray(y))


N_BOOTSTRAP = 1000
"""Learner resamples behind the interval of a model's ratio to its Bayes reference."""
BOOTSTRAP_CHUNK = 100
"""Resamples drawn at once: at 10,000 learners (the out-of-sample sets) a thousand at once
held some 240 MB of indices and gathers."""


def _model_outputs(name: str, model: Any, X: pd.DataFrame) -> np.ndarray:
    return model.predict_proba(X) if name == "difficulty" else model.predict(X)


def truth_terms(name: str, model: Any, X: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per row, what a fitted model scores in expectation over the target's noise, given the
    simulator's truth at x, beside the Bayes reference's expectation on the same row.

    A regressor f: ``model`` = (f - E[y|x])^2 + Var[y|x], its expected squared error, and
    ``bayes`` = Var[y|x]. The classifier: ``model`` = P(level = its pick | x), its expected
    accuracy, ``bayes`` = max P(level | x), and ``cross_entropy`` = its expected log loss.
    Scored this way, a test set's label noise drops out: a realised test MSE over the floor
    moved by several hundredths between draws of a few hundred learners, enough to turn a verdict.
    """
    out = _model_outputs(name, model, X)
    if name == "difficulty":
        probs = difficulty_probabilities(X)
        q = np.clip(np.asarray(out, dtype=float), 1e-15, 1.0)
        return {
            "model": probs[np.arange(len(probs)), q.argmax(axis=1)],
            "bayes": probs.max(axis=1),
            "cross_entropy": -(probs * np.log(q)).sum(axis=1),
        }
    moments = {"compatibility": compatibility_moments, "engagement": engagement_moments}
    mean, var = moments[name](X)
    return {"model": (np.asarray(out, dtype=float) - mean) ** 2 + var, "bayes": var}


def against_truth(
    name: str,
    model: Any,
    X: pd.DataFrame,
    groups: np.ndarray | pd.Series,
    *,
    seed: int,
    n_bootstrap: int = N_BOOTSTRAP,
) -> dict[str, Any]:
    """The model's expected score over the target's noise (`truth_terms`) on rows X, and its
    ratio to the Bayes reference there (MSE / floor for a regressor, accuracy / ceiling for the
    classifier) with a 95% interval from resampling learners (``groups``), the unit the test set
    was drawn by."""
    terms = truth_terms(name, model, X)
    learners, index = np.unique(np.asarray(groups), return_inverse=True)
    sums = {k: np.bincount(index, weights=v, minlength=len(learners)) for k, v in terms.items()}
    rng = np.random.default_rng(seed)
    ratios = []
    for size in np.diff(np.r_[0:n_bootstrap:BOOTSTRAP_CHUNK, n_bootstrap]):  # bounded memory
        draws = rng.integers(0, len(learners), size=(size, len(learners)))
        ratios.append(sums["model"][draws].sum(axis=1) / sums["bayes"][draws].sum(axis=1))
    low, high = np.percentile(np.concatenate(ratios), [2.5, 97.5])
    return {
        **_expected(name, terms),
        "ratio": float(terms["model"].sum() / terms["bayes"].sum()),
        "ratio_low": float(low),
        "ratio_high": float(high),
        "n_learners": len(learners),
    }


def expected_scores(name: str, model: Any, X: pd.DataFrame) -> dict[str, float]:
    """A fitted model's expected MSE, or expected accuracy and log loss, on rows X
    (`truth_terms`): how a baseline is compared with the forest without the test set's noise."""
    return _expected(name, truth_terms(name, model, X))


def baseline_against_truth(name: str, model: Any, X: pd.DataFrame) -> dict[str, float]:
    """A baseline's `expected_scores` on rows X with its ratio to the Bayes reference there, the
    forest's `against_truth` ratio without the interval: on a dataset with its own noise floor
    (the out-of-sample draws) only ratios compare, so the baselines stand beside the forest in
    the same unit."""
    terms = truth_terms(name, model, X)
    return {**_expected(name, terms), "ratio": float(terms["model"].sum() / terms["bayes"].sum())}


def _expected(name: str, terms: dict[str, np.ndarray]) -> dict[str, float]:
    if name == "difficulty":
        return {
            "expected_accuracy": float(terms["model"].mean()),
            "expected_log_loss": float(terms["cross_entropy"].mean()),
        }
    return {"expected_mse": float(terms["model"].mean())}
