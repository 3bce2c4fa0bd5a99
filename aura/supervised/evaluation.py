"""Splits by learner, metrics, baselines, tuning and feature importances for the three models.

Every split keeps each learner on one side: a learner's sessions share their age, comfort and
attention span, so a row-level split would let a model recognise learners it has already seen
and report an error that no new learner would get.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.calibration import calibration_curve
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.inspection import permutation_importance
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    f1_score,
    log_loss,
    make_scorer,
    mean_absolute_error,
    mean_squared_error,
    r2_score,
)
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    GroupShuffleSplit,
    StratifiedGroupKFold,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from aura.supervised.features import CLASS_LABELS

CLASSIFIER = "difficulty"


class LeakageError(AssertionError):
    """A learner appears on both sides of a split."""


def is_classifier_name(name: str) -> bool:
    """Whether model `name` is the classifier (scored by accuracy and log loss, not MSE)."""
    return name == CLASSIFIER


def check_disjoint(groups: pd.Series | np.ndarray, train: np.ndarray, test: np.ndarray) -> None:
    """Raise LeakageError if any group (learner) has rows in both `train` and `test`."""
    groups = np.asarray(groups)
    shared = np.intersect1d(groups[train], groups[test])
    if shared.size:
        raise LeakageError(
            f"{shared.size} learner(s) on both sides of a split, e.g. {shared[:5].tolist()}"
        )


def grouped_holdout(
    groups: pd.Series | np.ndarray, test_size: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) row indices with every learner on one side (GroupShuffleSplit)."""
    groups = np.asarray(groups)
    splitter = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    train, test = next(splitter.split(np.zeros(len(groups)), groups=groups))
    check_disjoint(groups, train, test)
    return train, test


def cv_splitter(name: str, n_splits: int, seed: int) -> GroupKFold | StratifiedGroupKFold:
    """K folds by learner; stratified by level for the classifier so every fold has all three."""
    if is_classifier_name(name):
        return StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    return GroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)


def regression_metrics(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """MSE, MAE and R² of `pred` against `y`, as plain floats for the metrics JSON. R² needs
    two rows or more (a variance to explain); of one it is NaN, written as null, without
    scikit-learn's warning for each model and baseline."""
    return {
        "mse": float(mean_squared_error(y, pred)),
        "mae": float(mean_absolute_error(y, pred)),
        "r2": float(r2_score(y, pred)) if len(y) > 1 else math.nan,
    }


def classification_metrics(y: np.ndarray, proba: np.ndarray) -> dict[str, Any]:
    """Accuracy, macro F1, log loss and confusion matrix of class probabilities `proba`, over
    every level even when the test set lacks one (so the shapes never depend on the draw). The
    macro F1 averages the levels that the rows hold or the model picks (`macro_f1`)."""
    labels = list(range(len(CLASS_LABELS)))
    pred = np.asarray(proba).argmax(axis=1)
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "macro_f1": macro_f1(y, pred, labels),
        "log_loss": float(log_loss(y, np.clip(proba, 1e-15, 1.0), labels=labels)),
        "confusion_matrix": confusion_matrix(y, pred, labels=labels).tolist(),
    }


def macro_f1(y: np.ndarray, pred: np.ndarray, labels: list[int]) -> float:
    """Macro F1 over `labels`, leaving out a level that no row holds and no prediction picks: it
    has no F1, and scikit-learn's default counted it as 0, a third off a three-level average."""
    return float(f1_score(y, pred, average="macro", labels=labels, zero_division=np.nan))


def score(name: str, model: BaseEstimator, X: pd.DataFrame, y: pd.Series) -> dict[str, Any]:
    """The model's metrics on (X, y): MSE/MAE/R2, or accuracy/macro-F1/log-loss/confusion."""
    if is_classifier_name(name):
        return classification_metrics(np.asarray(y), model.predict_proba(X))
    return regression_metrics(np.asarray(y), model.predict(X))


def calibration(y: np.ndarray, proba: np.ndarray, n_bins: int = 10) -> dict[str, dict]:
    """One-vs-rest reliability curve per class: mean predicted vs observed frequency per bin."""
    curves = {}
    for i, label in enumerate(CLASS_LABELS):
        observed, predicted = calibration_curve(
            np.asarray(y) == i, proba[:, i], n_bins=n_bins, strategy="quantile"
        )
        curves[label] = {"predicted": predicted.tolist(), "observed": observed.tolist()}
    return curves


def baselines(name: str, seed: int) -> dict[str, BaseEstimator]:
    """Unfitted references: the mean (or majority class) and a linear model.

    The majority baseline predicts the commonest class with the class shares as its
    probabilities (``prior``), not a certainty of 1 for that class (``most_frequent``), whose log
    loss counts every other class as an impossible event and says nothing a reader can use."""
    if is_classifier_name(name):
        return {
            "majority": DummyClassifier(strategy="prior"),
            "logistic": make_pipeline(
                StandardScaler(), LogisticRegression(max_iter=2000, random_state=seed)
            ),
        }
    return {
        "mean": DummyRegressor(strategy="mean"),
        "linear": make_pipeline(StandardScaler(), LinearRegression()),
    }


def tune(
    name: str,
    pipeline: Pipeline,
    X: pd.DataFrame,
    y: pd.Series,
    groups: pd.Series,
    grid: Mapping[str, Sequence[Any]],
    *,
    n_splits: int,
    tolerance: float,
    seed: int,
    n_jobs: int = 1,
) -> tuple[Pipeline, pd.DataFrame, dict[str, Any], float]:
    """Grouped K-fold grid search over forest settings, choosing with model size in view, its
    fits spread over ``n_jobs`` processes.

    The choice is the candidate with the largest `min_samples_leaf` (the smallest forest, and so
    the smallest ONNX file) whose mean CV loss is within `tolerance` (relative) of the best;
    among equals, the lower loss. Returns the pipeline refitted on all of (X, y) with the
    choice, the grid table, the choice, and the seconds the refit took.
    """
    scoring = "neg_log_loss" if is_classifier_name(name) else "neg_mean_squared_error"
    secondary = "accuracy" if is_classifier_name(name) else "neg_mean_absolute_error"

    def choose(results: Mapping[str, Any]) -> int:
        loss = -np.asarray(results[f"mean_test_{scoring}"])
        leaf = np.asarray(results["param_forest__min_samples_leaf"], dtype=float)
        ok = np.flatnonzero(loss <= loss.min() * (1.0 + tolerance))
        return int(ok[np.lexsort((loss[ok], -leaf[ok]))[0]])

    search = GridSearchCV(
        pipeline,
        {f"forest__{k}": list(v) for k, v in grid.items()},
        scoring=[scoring, secondary],
        refit=choose,
        cv=cv_splitter(name, n_splits, seed),
        n_jobs=n_jobs,
    )
    search.fit(X, y, groups=groups)
    results = pd.DataFrame(search.cv_results_)
    table = pd.DataFrame(
        {
            **{k: results[f"param_forest__{k}"].to_numpy() for k in grid},
            "cv_loss": -results[f"mean_test_{scoring}"],
            "cv_loss_std": results[f"std_test_{scoring}"],
            f"cv_{secondary.removeprefix('neg_')}": results[f"mean_test_{secondary}"].abs(),
            "fit_seconds": results["mean_fit_time"],
        }
    )
    chosen = {k: _plain(search.best_params_[f"forest__{k}"]) for k in grid}
    return search.best_estimator_, table, chosen, float(search.refit_time_)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def importances(
    name: str, model: BaseEstimator, X: pd.DataFrame, y: pd.Series, *, n_repeats: int, seed: int
) -> pd.DataFrame:
    """Permutation importance on held-out rows: how much the loss grows when a feature is
    shuffled (log-loss for the classifier, MSE for the regressors).

    The log loss is taken over every level, as `classification_metrics` takes it: scikit-learn's
    ``neg_log_loss`` reads the levels from the rows, and refused held-out rows that lack one."""
    scoring = (
        make_scorer(
            log_loss,
            greater_is_better=False,
            response_method="predict_proba",
            labels=list(range(len(CLASS_LABELS))),
        )
        if is_classifier_name(name)
        else "neg_mean_squared_error"
    )
    result = permutation_importance(
        model, X, y, scoring=scoring, n_repeats=n_repeats, random_state=seed
    )
    return pd.DataFrame(
        {"importance": result.importances_mean, "std": result.importances_std}, index=X.columns
    ).sort_values("importance", ascending=False)


NOISE_FEATURE = "uniform noise"
"""The column of pure noise behind `importance_floor`."""


def importance_floor(
    name: str,
    model: Pipeline,
    train: tuple[pd.DataFrame, pd.Series],
    rows: tuple[pd.DataFrame, pd.Series],
    *,
    n_repeats: int,
    seed: int,
) -> dict[str, float]:
    """The permutation importance a forest gives an input that carries nothing: the noise floor
    the importances of `model` stand beside (scikit-learn's own check, a random column added).

    A copy of the fitted pipeline's forest, with its settings, is fitted on the pipeline's scaled
    training inputs plus one column of uniform noise drawn from ``seed``, and scored like the
    served model (`importances`, the same held-out ``rows`` and repeats). A forest splits on
    noise too, so an input's importance means something only above that column's. The served
    model itself is not touched: a column it never saw would score exactly zero.
    Returns the noise column's importance and its standard deviation over the repeats."""
    rng = np.random.default_rng(seed)

    def with_noise(X: pd.DataFrame) -> pd.DataFrame:
        scaled = pd.DataFrame(model[:-1].transform(X), columns=X.columns, index=X.index)
        return scaled.assign(**{NOISE_FEATURE: rng.random(len(X))})

    (X_train, y_train), (X_rows, y_rows) = train, rows
    probe = clone(model[-1]).fit(with_noise(X_train), y_train)
    scored = importances(name, probe, with_noise(X_rows), y_rows, n_repeats=n_repeats, seed=seed)
    return {k: float(v) for k, v in scored.loc[NOISE_FEATURE].items()}
