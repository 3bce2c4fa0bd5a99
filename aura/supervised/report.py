"""Tables of the metrics `train_all` returns: every number beside its baselines and the floor."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import pandas as pd

from aura.export.exporter import FOREST_TOLERANCE_TEXT, MAX_FOREST_BYTES
from aura.reports.tables import MISSING, fixed, scientific, with_interval, yes_no
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


METRIC_NAMES = {
    "mse": "MSE",
    "mae": "MAE",
    "r2": "R²",
    "accuracy": "accuracy",
    "macro_f1": "macro F1",
    "log_loss": "log loss",
}
"""Each metric of `metrics_table` as a report names it."""

METRICS_REPORT_COLUMNS = [
    "model",
    "metric",
    "forest",
    "constant baseline",
    "linear baseline",
    "Bayes reference",
    "forest / Bayes",
]
"""The headers of `metrics_report_table`, in order."""


def metrics_report_table(table: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """A `metrics_table` as notebooks 04, 05 and 06 show it: model and metric in columns of
    their own, the metric named in words (MSE, macro F1, where the code has ``mse`` and
    ``macro_f1``), what each column holds in its header, every number to ``digits`` decimals in
    fixed point, and a dash where a model has no Bayes reference."""
    rows = [
        [
            model,
            METRIC_NAMES.get(metric, metric),
            fixed(r["forest"], digits),
            fixed(r.get("constant"), digits),
            fixed(r.get("linear"), digits),
            fixed(r["bayes"], digits),
            fixed(r["forest / bayes"], digits),
        ]
        for (model, metric), r in table.iterrows()
    ]
    return pd.DataFrame(rows, columns=METRICS_REPORT_COLUMNS)


def checks_table(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """The supervised models' targets (notebook 04 states them), one row per (model, target):
    the target in words, the forest's number (with the ends of its 95% interval over learners
    for its ratio to the Bayes reference, NaN elsewhere), the bound it is held to, the bound as
    the target's words write it (None for a bound measured in the run, the best baseline's), and
    whether `train_all` recorded it as met.

    The verdict is the recorded one, not recomputed here; the numbers beside it say by how
    much a target is met or missed, which a bare True or False does not.
    """
    rows = [
        {
            "model": name,
            "target": t.words,
            "forest": t.forest,
            "low": t.low,
            "high": t.high,
            "bound": t.bound,
            "bound stated": t.stated,
            "met": bool(met),
        }
        for name in MODEL_NAMES
        for t in _targets(name, metrics["models"][name])
        if (met := metrics["models"][name].get("checks", {}).get(t.key)) is not None
    ]
    columns = ["model", "target", "forest", "low", "high", "bound", "bound stated", "met"]
    return pd.DataFrame(rows, columns=columns).set_index(["model", "target"])


CHECKS_REPORT_COLUMNS = ["model", "target", "forest (95% CI)", "bound", "met"]
"""The headers of `checks_report_table`, in order."""


def checks_report_table(table: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """A `checks_table` as notebooks 04 and 05 show it: model and target in columns of their
    own, the forest's number and its interval where it has one in one cell, both to ``digits``
    decimals (the interval once read at three beside a number at four), each bound as its
    target's words write it ("20", "0.1", "1.10", where "20.0000" read as a measurement to a
    ten-thousandth of a MiB), a bound measured in the run to ``digits`` decimals like the number
    it is compared with, and "yes" or "no" where pandas printed True and False."""
    rows = [
        [
            model,
            target,
            with_interval(r["forest"], r["low"], r["high"], digits),
            bound_text(r["bound stated"], r["bound"], digits),
            yes_no(r["met"]),
        ]
        for (model, target), r in table.iterrows()
    ]
    return pd.DataFrame(rows, columns=CHECKS_REPORT_COLUMNS)


def bound_text(stated: str | None, bound: float, digits: int = 4) -> str:
    """A bound as the checks table and the conclusion write it: as its target's words write it,
    else (a bound measured in the run, where pandas may hold NaN for None) to ``digits``
    decimals, as the number it is compared with."""
    return stated if isinstance(stated, str) else fixed(bound, digits)


class _Target(NamedTuple):
    """One target of one model, as `checks_table` shows it."""

    key: str
    """The target's key in the recorded checks."""
    words: str
    forest: float
    low: float | None
    """The low end of the forest's number's 95% interval; None where it has none."""
    high: float | None
    bound: float
    stated: str | None
    """The bound as ``words`` write it; None for a bound measured in the run."""


def _targets(name: str, m: Mapping[str, Any]) -> list[_Target]:
    """The targets of one model, each bound written once, for the target's words and the bound's
    cell to agree; a number read in expectation over the noise (`against_truth`) says so."""
    test, truth = m["test"], m.get("against_truth") or {}
    if not truth:  # no Bayes reference, no checks recorded
        return []
    base = list(truth["baselines"].values())
    low, high = truth["ratio_low"], truth["ratio_high"]
    limit = MAX_FOREST_BYTES / 2**20
    mib = f"{limit:.0f}"
    size = _Target(
        "onnx_at_most_20MB", f"ONNX file at most {mib} MiB", _onnx_mib(m), None, None, limit, mib
    )
    if is_classifier_name(name):
        accuracy, share = f"{TARGET_ACCURACY}", f"{TARGET_ACCURACY_SHARE}"
        return [
            _Target(
                "accuracy_at_least_0.85",
                f"test accuracy at least {accuracy}",
                test["accuracy"],
                None,
                None,
                TARGET_ACCURACY,
                accuracy,
            ),
            _Target(
                "share_at_least_0.97",
                f"expected accuracy / Bayes accuracy at least {share}",
                truth["ratio"],
                low,
                high,
                TARGET_ACCURACY_SHARE,
                share,
            ),
            _Target(
                "beats_baselines",
                "expected accuracy above every baseline's, expected log loss below",
                truth["expected_accuracy"],
                None,
                None,
                max(b["expected_accuracy"] for b in base),
                None,
            ),
            size,
        ]
    mse, ratio = f"{TARGET_MSE}", f"{TARGET_MSE_RATIO:.2f}"
    return [
        _Target("mse_below_0.1", f"test MSE below {mse}", test["mse"], None, None, TARGET_MSE, mse),
        _Target(
            "ratio_at_most_1.10",
            f"expected MSE / Bayes MSE at most {ratio}",
            truth["ratio"],
            low,
            high,
            TARGET_MSE_RATIO,
            ratio,
        ),
        _Target(
            "beats_baselines",
            "expected MSE below every baseline's",
            truth["expected_mse"],
            None,
            None,
            min(b["expected_mse"] for b in base),
            None,
        ),
        size,
    ]


def _onnx_mib(m: Mapping[str, Any]) -> float:
    return m["size"]["onnx_bytes"] / 2**20


FOREST_SETTING_NAMES = {
    "n_estimators": "trees",
    "min_samples_leaf": "min samples per leaf",
    "max_features": "features per split",
    "max_depth": "max depth",
}
"""Each forest setting as a report names it; a setting not named here shows with spaces for its
underscores."""


def _setting_name(setting: str) -> str:
    return FOREST_SETTING_NAMES.get(setting, setting.replace("_", " "))


def _setting(value: Any) -> str:
    """A forest setting as a cell: a count as one (60, not 60.0), a share as it was set (0.5),
    `MISSING` where a grid row has none (``max_depth`` None is a setting: "None")."""
    if isinstance(value, float) and math.isnan(value):
        return MISSING
    if isinstance(value, float) and value.is_integer() and value > 1:
        return str(int(value))
    return str(value)


def cv_report_table(table: pd.DataFrame, name: str, digits: int = 4) -> pd.DataFrame:
    """One model's grid search (``metrics["models"][name]["cv"]``: ``cv_loss``,
    ``cv_loss_std``, ``cv_mean_absolute_error`` or ``cv_accuracy``, ``fit_seconds``) as
    notebook 04 shows it: each searched setting in words, the loss named for what it is (MSE for
    a regressor, log loss for the classifier: the code calls both ``cv_loss``), fixed-point
    numbers to ``digits`` decimals, the fit time to two."""
    loss = "log loss" if is_classifier_name(name) else "MSE"
    named = {
        "cv_loss": f"CV {loss}",
        "cv_loss_std": f"sd of CV {loss} over folds",
        "cv_mean_absolute_error": "CV MAE",
        "cv_accuracy": "CV accuracy",
        "fit_seconds": "mean fit time (s)",
    }
    settings = [c for c in table.columns if c not in named]
    scores = [c for c in named if c in table.columns]
    rows = [
        [
            *(_setting(r[c]) for c in settings),
            *(fixed(r[c], 2 if c == "fit_seconds" else digits) for c in scores),
        ]
        for _, r in table.iterrows()
    ]
    return pd.DataFrame(rows, columns=[*map(_setting_name, settings), *(named[c] for c in scores)])


PARITY_HEADER = f"max |ONNX - scikit-learn| (tolerance {FOREST_TOLERANCE_TEXT})"
"""The header of `size_report_table`'s parity column: what the number is and its tolerance."""


def size_report_table(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """A `size_table` as notebook 04 shows it: the model in a column of its own, the chosen
    settings and the node count in words, the ONNX file's size in MiB to ``digits`` decimals,
    and its largest difference from scikit-learn in scientific notation ("1.2e-07"), under a
    header naming the export's tolerance: in fixed point it read "0.000", agreement that was
    never measured to be exact."""
    settings = [c for c in table.columns if c not in ("nodes", "onnx_MiB", "onnx_max_abs_diff")]
    rows = [
        [
            str(model),
            *(_setting(r[c]) for c in settings),
            _setting(r["nodes"]),
            fixed(r["onnx_MiB"], digits),
            scientific(r["onnx_max_abs_diff"]),
        ]
        for model, r in table.iterrows()
    ]
    columns = ["model", *map(_setting_name, settings), "nodes", "ONNX file (MiB)", PARITY_HEADER]
    return pd.DataFrame(rows, columns=columns)


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


OUT_OF_SAMPLE_COLUMNS = [
    "dataset",
    "model",
    "metric",
    "value",
    "bayes",
    "ratio",
    "ratio 95% CI",
    "constant ratio",
    "linear ratio",
    "ratio on test set",
    "rows",
]


def out_of_sample_table(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """Per dataset and model: the primary metric, the floor there, the ratio there beside the
    same ratio of the constant and the linear baseline on the same draw, and the ratio on the
    test set. The ratio (MSE / Bayes MSE, or accuracy / Bayes accuracy, each in expectation over
    the noise: `against_truth`) is what comparable across populations means: each population
    has its own noise floor. A model without a Bayes reference has no row."""
    rows = []
    for population, entry in metrics.get("out_of_sample", {}).items():
        for name in MODEL_NAMES:
            m, test = entry.get(name, {}), metrics["models"][name]
            if "against_truth" not in m:  # not the simulator's tables or inputs: no floor
                continue
            metric = "accuracy" if is_classifier_name(name) else "mse"
            floor = m["bayes"][_BAYES_KEY[metric]]
            truth = m["against_truth"]
            rows.append(
                {
                    "dataset": population,
                    "model": name,
                    "metric": metric,
                    "value": m[metric],
                    "bayes": floor,
                    "ratio": truth["ratio"],
                    "ratio 95% CI": f"[{truth['ratio_low']:.3f}, {truth['ratio_high']:.3f}]",
                    **{
                        f"{BASELINE_COLUMNS[b]} ratio": values["ratio"]
                        for b, values in m["baselines"].items()
                    },
                    "ratio on test set": test["against_truth"]["ratio"],
                    "rows": m["rows"],
                }
            )
    return pd.DataFrame(rows, columns=OUT_OF_SAMPLE_COLUMNS).set_index(["dataset", "model"])


DATASET_NAMES = {
    "new_seed": "new seed",
    "older_learners": "older learners (15-18)",
    "younger_learners": "younger learners (8-10)",
}
"""Each out-of-sample draw (`aura.supervised.shift.POPULATIONS`) as a report names it."""

OUT_OF_SAMPLE_REPORT_COLUMNS = [
    "dataset",
    "model",
    "metric",
    "forest",
    "Bayes reference",
    "forest / Bayes (95% CI)",
    "constant baseline / Bayes",
    "linear baseline / Bayes",
    "forest / Bayes on test set",
    "rows",
]
"""The headers of `out_of_sample_report_table`, in order."""


def out_of_sample_report_table(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """An `out_of_sample_table` as notebook 04 shows it: dataset and model in columns of their
    own, the dataset and the metric in words, every ratio named for what it divides (each is
    over the draw's Bayes reference, in expectation over the noise), the forest's ratio with its
    interval in one cell, ratios to ``digits`` decimals in fixed point, the metric and its
    reference to one more (an MSE of 0.028 against 0.023)."""
    rows = [
        [
            DATASET_NAMES.get(dataset, dataset.replace("_", " ")),
            model,
            METRIC_NAMES.get(r["metric"], r["metric"]),
            fixed(r["value"], digits + 1),
            fixed(r["bayes"], digits + 1),
            f"{fixed(r['ratio'], digits)} {r['ratio 95% CI']}",
            fixed(r.get("constant ratio"), digits),
            fixed(r.get("linear ratio"), digits),
            fixed(r["ratio on test set"], digits),
            str(int(r["rows"])),
        ]
        for (dataset, model), r in table.iterrows()
    ]
    return pd.DataFrame(rows, columns=OUT_OF_SAMPLE_REPORT_COLUMNS)


def out_of_sample_ratios(shown: pd.DataFrame) -> pd.DataFrame:
    """The ratios of an `out_of_sample_report_table` (``shown``), each over the draw's Bayes
    reference, beside their dataset and model: what notebook 04's summary and `aura
    train-supervised` print, within a terminal's width; the metrics are in the whole table."""
    return shown[["dataset", "model", *(c for c in shown.columns if "/ Bayes" in c)]]


def importance_table(metrics: Mapping[str, Any]) -> pd.DataFrame:
    """One row per (model, feature): its permutation importance and standard deviation over the
    repeats, beside the noise floor (`evaluation.importance_floor`: what the same forest gives a
    column of pure noise), and whether it stands above it: by more than twice the two standard
    deviations combined, so an input the forest only splits on by chance does not pass."""
    rows = []
    for name in MODEL_NAMES:
        m = metrics["models"][name]
        floor = m["importance_floor"]
        for feature, value in m["importance"].items():
            spread = math.hypot(value["std"], floor["std"])
            rows.append(
                {
                    "model": name,
                    "feature": feature,
                    "importance": value["importance"],
                    "std": value["std"],
                    "noise floor": floor["importance"],
                    "floor std": floor["std"],
                    "above noise": value["importance"] - floor["importance"] > 2 * spread,
                }
            )
    return pd.DataFrame(rows).set_index(["model", "feature"])


IMPORTANCE_REPORT_COLUMNS = [
    "model",
    "feature",
    "importance",
    "sd over repeats",
    "noise floor",
    "noise floor's sd",
    "above noise",
]
"""The headers of `importance_report_table`, in order."""


def importance_report_table(table: pd.DataFrame, digits: int = 6) -> pd.DataFrame:
    """An `importance_table` as notebook 04 shows it: model and feature in columns of their own,
    "yes" or "no" for above noise, and every number in fixed point to ``digits`` decimals: six,
    because a floor's spread is a few millionths (3.3e-06), which fewer decimals would show as a
    spread of zero."""
    rows = [
        [
            model,
            feature,
            fixed(r["importance"], digits),
            fixed(r["std"], digits),
            fixed(r["noise floor"], digits),
            fixed(r["floor std"], digits),
            yes_no(r["above noise"]),
        ]
        for (model, feature), r in table.iterrows()
    ]
    return pd.DataFrame(rows, columns=IMPORTANCE_REPORT_COLUMNS)
