"""Tables of the metrics `train_all` returns: every number beside its baselines and the floor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from aura.supervised.evaluation import is_classifier_name
from aura.supervised.features import MODEL_NAMES

REGRESSION_METRICS = ("mse", "mae", "r2")
CLASSIFICATION_METRICS = ("accuracy", "macro_f1", "log_loss")
BASELINE_COLUMNS = {
    "mean": "constant",
    "majority": "constant",
    "linear": "linear",
    "logistic": "linear",
}
"""Baselines by kind: the constant one (mean / majority class) and the linear one (least squares /
logistic regression), so the regressors and the classifier share one table."""
_BAYES_KEY = {
    "mse": "bayes_mse",
    "mae": "bayes_realised_mae",
    "r2": "bayes_r2",
    "accuracy": "bayes_accuracy",
    "macro_f1": "bayes_macro_f1",
    "log_loss": "bayes_log_loss",
}


def metrics_table(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """One row per (model, metric): the forest on the test set, each baseline, the Bayes
    reference, and the forest as a ratio of the reference (MSE / floor, accuracy / ceiling)."""
    rows = []
    for name in MODEL_NAMES:
        m = metrics["models"][name]
        keys = CLASSIFICATION_METRICS if is_classifier_name(name) else REGRESSION_METRICS
        for key in keys:
            row = {"model": name, "metric": key, "forest": m["test"][key]}
            for base, values in m["baselines"].items():
                row[BASELINE_COLUMNS[base]] = values[key]
            bayes = m["bayes"].get(_BAYES_KEY[key]) if m["bayes"] else None
            row["bayes"] = bayes
            row["forest / bayes"] = m["test"][key] / bayes if bayes else None
            rows.append(row)
    return pd.DataFrame(rows).set_index(["model", "metric"])


def checks_table(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """The issue's targets per model, as recorded by `train_all`."""
    return pd.DataFrame({name: metrics["models"][name].get("checks", {}) for name in MODEL_NAMES}).T


def size_table(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """Chosen forest settings, size and ONNX parity per model."""
    rows = {}
    for name in MODEL_NAMES:
        m = metrics["models"][name]
        rows[name] = {
            **m["chosen"],
            "nodes": m["size"]["nodes"],
            "onnx_MB": m["size"]["onnx_bytes"] / 1e6,
            "onnx_max_abs_diff": m["onnx_max_abs_diff"],
        }
    return pd.DataFrame(rows).T


def out_of_sample_table(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """Per dataset and model: the primary metric, the floor there, the ratio there and on the
    test set. The ratio (MSE / Bayes MSE, or accuracy / Bayes accuracy) is what comparable
    across populations means: each population has its own noise floor."""
    rows = []
    for population, entry in metrics.get("out_of_sample", {}).items():
        for name in MODEL_NAMES:
            m, test = entry[name], metrics["models"][name]
            if is_classifier_name(name):
                value, floor = m["accuracy"], m["bayes"]["bayes_accuracy"]
                in_ratio = test["test"]["accuracy"] / test["bayes"]["bayes_accuracy"]
                metric = "accuracy"
            else:
                value, floor = m["mse"], m["bayes"]["bayes_mse"]
                in_ratio = test["test"]["mse"] / test["bayes"]["bayes_mse"]
                metric = "mse"
            rows.append(
                {
                    "dataset": population,
                    "model": name,
                    "metric": metric,
                    "value": value,
                    "bayes": floor,
                    "ratio": value / floor,
                    "ratio on test set": in_ratio,
                    "rows": m["rows"],
                }
            )
    return pd.DataFrame(rows).set_index(["dataset", "model"])
