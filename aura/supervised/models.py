"""The three pipelines: clip and scale each feature to its documented range, then a forest.

Clipping and scaling live inside the pipeline so that a served model (the pipeline, or its ONNX
export) needs nothing else: raw feature values in, score or class probabilities out. The scaler
is fitted on the documented ranges (`FEATURE_RANGES`), not on the training rows, so the clip
limits are the same for every training set and match what the API documents. For a forest,
scaling changes no prediction; clipping makes out-of-range inputs behave like the nearest
documented value instead of whatever the edge leaf happens to hold.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.validation import check_is_fitted, validate_data

from aura.supervised.features import FEATURE_RANGES

FOREST_DEFAULTS: dict[str, dict[str, Any]] = {
    "compatibility": {"n_estimators": 200, "min_samples_leaf": 40, "max_features": 0.5},
    "difficulty": {"n_estimators": 200, "min_samples_leaf": 10, "max_features": 0.8},
    "engagement": {"n_estimators": 200, "min_samples_leaf": 40, "max_features": 0.5},
}
"""Forest settings per model before tuning: leaves of tens of rows because every target is
noisy (a leaf averages the noise away), which also keeps each ONNX file a few megabytes.
max_features is the better of 0.5 and 0.8 by grouped CV at the spec's scale (0.5 for the
regressors' MSE, 0.8 for the classifier's log-loss)."""


class RangeScaler(MinMaxScaler):
    """MinMaxScaler(clip=True) whose range is fixed by `lower` and `upper`, not by the data.

    It subclasses MinMaxScaler so that skl2onnx converts it with the MinMaxScaler converter
    (Mul, Add, Clip), registered for this class in `aura.supervised.convert`. `transform`
    computes in float32, exactly as that ONNX graph does: a forest compares its input with
    thresholds that lie between neighbouring training values, so a last-bit difference in the
    scaled value could send a row down another branch and break sklearn/ONNX parity.
    """

    def __init__(
        self, lower: Sequence[float] = (), upper: Sequence[float] = (), copy: bool = True
    ) -> None:
        super().__init__(feature_range=(0.0, 1.0), copy=copy, clip=True)
        self.lower = lower
        self.upper = upper

    def fit(self, X: ArrayLike, y: None = None) -> RangeScaler:  # noqa: D102 - as MinMaxScaler.fit
        lower = np.asarray(self.lower, dtype=float)
        upper = np.asarray(self.upper, dtype=float)
        n_columns = np.shape(X)[1]
        if lower.shape != (n_columns,) or upper.shape != (n_columns,):
            raise ValueError(
                f"RangeScaler: {n_columns} input columns but {lower.size} lower and "
                f"{upper.size} upper bounds"
            )
        if np.any(upper <= lower):
            raise ValueError(f"RangeScaler: every upper bound must exceed its lower bound: {upper}")
        bounds = np.vstack([lower, upper])
        columns = getattr(X, "columns", None)
        return super().fit(bounds if columns is None else pd.DataFrame(bounds, columns=columns))

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Scale to [0, 1] over the bounds and clip, in float32 (x * scale + min, then clip)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float32, copy=True)
        scaled = X * self.scale_.astype(np.float32) + self.min_.astype(np.float32)
        return np.clip(scaled, np.float32(0.0), np.float32(1.0))


def range_scaler(features: Sequence[str]) -> RangeScaler:
    """A RangeScaler over the documented ranges of `features`, in that order."""
    return RangeScaler(
        lower=tuple(FEATURE_RANGES[f][0] for f in features),
        upper=tuple(FEATURE_RANGES[f][1] for f in features),
    )


def make_pipeline(
    name: str,
    features: Sequence[str],
    forest: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
) -> Pipeline:
    """Unfitted pipeline for model `name`: RangeScaler, then the forest with `forest` settings
    over the defaults.

    The forest runs on one thread. On several, scikit-learn adds the trees' predictions into
    one array in whichever order the threads finish, so the same forest's scores differed in
    the last bits from run to run; parallel work is spread over the grid search's fits instead
    (`evaluation.tune`)."""
    if name not in FOREST_DEFAULTS:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(FOREST_DEFAULTS)}")
    settings = {**FOREST_DEFAULTS[name], **(forest or {})}
    model = _forest_class(name)(**settings, random_state=seed, n_jobs=1)
    return Pipeline([("scale", range_scaler(features)), ("forest", model)])


def _forest_class(name: str) -> type[RandomForestClassifier | RandomForestRegressor]:
    return RandomForestClassifier if name == "difficulty" else RandomForestRegressor


def forest_settings(name: str) -> set[str]:
    """The settings a params file may give model `name`'s forest: the scikit-learn estimator's
    own parameters, less the seed and the thread count, which AURA sets."""
    return set(_forest_class(name)().get_params()) - {"random_state", "n_jobs"}


def check_forest(name: str, settings: Mapping[str, Any]) -> None:
    """Raise scikit-learn's own error for a forest setting it would refuse (``n_estimators: 0``,
    ``max_features: 5.0``) without fitting: otherwise the refusal came at the fit, after the
    models before it had been trained. Uses the estimator's parameter validation, the same that
    ``fit`` runs first."""
    _forest_class(name)(**{**FOREST_DEFAULTS[name], **settings})._validate_params()


def forest_nodes(pipeline: Pipeline) -> int:
    """Total tree nodes of a fitted pipeline's forest: what its ONNX size grows with."""
    return int(sum(tree.tree_.node_count for tree in pipeline[-1].estimators_))
