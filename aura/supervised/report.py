"""Tables of the metrics `train_all` returns: every number beside its baselines and the floor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from aura.export.exporter import MAX_FOREST_BYTES
from aura.supervised.evaluation import is_classifier_name
from aura.supervised.features import MODEL_NAMES
from aura.supervised.training import (
    TARGET_ACCURACY,
    TARGET_ACCURACY_SHARE,
    TARGET_MSE,
    TARGET_MSE_RATIO,
)

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
    """The supervised models' targets (notebook 04 states them), one row per (model, target):
    the target in words, the forest's number, the bound it is held to, and whether `train_all`
    recorded it as met.

    The verdict is the recorded one, not recomputed here; the two numbers beside it say by how
    much a target is met or missed, which a bare True or False does not.
    """
    rows = [
        {"model": name, "target": target, "forest": forest, "bound": bound, "met": bool(met)}
        for name in MODEL_NAMES
        for key, target, forest, bound in _targets(name, metrics["models"][name])
        if (met := metrics["models"][name].get("checks", {}).get(key)) is not None
    ]
    return pd.DataFrame(rows, columns=["model", "target", "forest", "bound", "met"]).set_index(
        ["model", "target"]
    )


def _targets(name: str, m: Mapping[str, Any]) -> list[tuple[str, str, float, float]]:
    """(key in the recorded checks, target in words, forest's number, bound) of one model."""
    test, checks, base = m["test"], m.get("checks", {}), list(m["baselines"].values())
    limit = MAX_FOREST_BYTES / 2**20
    size = ("onnx_at_most_20MB", f"ONNX file at most {limit:.0f} MiB", _onnx_mib(m), limit)
    nan = float("nan")
    if is_classifier_name(name):
        acc, share = test["accuracy"], checks.get("accuracy_share_of_bayes", nan)
        return [
            (
                "accuracy_at_least_0.85",
                f"accuracy at least {TARGET_ACCURACY}",
                acc,
                TARGET_ACCURACY,
            ),
            (
                "share_at_least_0.97",
                f"accuracy / Bayes accuracy at least {TARGET_ACCURACY_SHARE}",
                share,
                TARGET_ACCURACY_SHARE,
            ),
            (
                "beats_baselines",
                "accuracy above every baseline's, log loss below",
                acc,
                max(b["accuracy"] for b in base),
            ),
            size,
        ]
    mse, ratio = test["mse"], checks.get("mse_ratio_to_bayes", nan)
    return [
        ("mse_below_0.1", f"test MSE below {TARGET_MSE}", mse, TARGET_MSE),
        (
            "ratio_at_most_1.10",
            f"MSE / Bayes MSE at most {TARGET_MSE_RATIO:.2f}",
            ratio,
            TARGET_MSE_RATIO,
        ),
        ("beats_baselines", "MSE below every baseline's", mse, min(b["mse"] for b in base)),
        size,
    ]


def _onnx_mib(m: Mapping[str, Any]) -> float:
    return m["size"]["onnx_bytes"] / 2**20


def size_table(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """Chosen forest settings, size and ONNX parity per model."""
    rows = {}
    for name in MODEL_NAMES:
        m = metrics["models"][name]
        rows[name] = {
            **m["chosen"],
            "nodes": m["size"]["nodes"],
            "onnx_MiB": _onnx_mib(m),
            "onnx_max_abs_diff": m["onnx_max_abs_diff"],
        }
    return pd.DataFrame.from_dict(rows, orient="index")  # each column keeps its type


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
