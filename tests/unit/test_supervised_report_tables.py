"""The supervised models' tables as notebooks 04, 05 and 06 show them: headers in words,
fixed-point numbers, "yes" or "no" for a target met, the tables themselves left as they were."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from aura.reports.tables import MISSING
from aura.supervised.report import (
    checks_report_table,
    checks_table,
    cv_report_table,
    importance_report_table,
    metrics_report_table,
    out_of_sample_report_table,
    size_report_table,
)


def test_the_metrics_report_table_names_metrics_and_references_in_words() -> None:
    """Notebook 05 showed `metrics_table` under the code's names (mse, macro_f1, bayes) with
    model and metric as an index, and a model without a Bayes reference as None."""
    index = pd.MultiIndex.from_tuples(
        [("compatibility", "mse"), ("compatibility", "r2"), ("difficulty", "macro_f1")],
        names=["model", "metric"],
    )
    table = pd.DataFrame(
        {
            "forest": [0.02871, 0.61234, 0.93501],
            "constant": [0.07412, -0.00003, 0.31],
            "linear": [0.03101, 0.58, 0.9],
            "bayes": [0.02721, 0.63, None],
            "forest / bayes": [1.05513, 0.97197, None],
        },
        index=index,
    )
    before = table.copy()
    shown = metrics_report_table(table)
    assert list(shown.columns) == [
        "model",
        "metric",
        "forest",
        "constant baseline",
        "linear baseline",
        "Bayes reference",
        "forest / Bayes",
    ]
    assert shown.values.tolist() == [
        ["compatibility", "MSE", "0.0287", "0.0741", "0.0310", "0.0272", "1.0551"],
        ["compatibility", "R²", "0.6123", "-0.0000", "0.5800", "0.6300", "0.9720"],
        ["difficulty", "macro F1", "0.9350", "0.3100", "0.9000", MISSING, MISSING],
    ]
    pd.testing.assert_frame_equal(table, before)


def test_the_checks_report_table_puts_the_interval_beside_its_number() -> None:
    """Notebook 05 printed `checks_table` with its interval in a column of its own, left empty
    on most rows, and True or False for a target met."""
    index = pd.MultiIndex.from_tuples(
        [
            ("compatibility", "test MSE below 0.1"),
            ("compatibility", "expected MSE / Bayes MSE at most 1.10"),
            ("compatibility", "expected MSE below every baseline's"),
            ("difficulty", "ONNX file at most 20 MiB"),
        ],
        names=["model", "target"],
    )
    table = pd.DataFrame(
        {
            "forest": [0.02871, 1.05532, 0.02731, 0.23518],
            "low": [np.nan, 1.04612, np.nan, np.nan],
            "high": [np.nan, 1.06688, np.nan, np.nan],
            "bound": [0.1, 1.1, 0.02744, 20.0],
            "bound stated": ["0.1", "1.10", None, "20"],
            "met": [True, np.False_, True, True],
        },
        index=index,
    )
    before = table.copy()
    shown = checks_report_table(table)
    assert list(shown.columns) == ["model", "target", "forest (95% CI)", "bound", "met"]
    assert shown.values.tolist() == [
        ["compatibility", "test MSE below 0.1", "0.0287", "0.1", "yes"],
        [
            "compatibility",
            "expected MSE / Bayes MSE at most 1.10",
            "1.0553 [1.0461, 1.0669]",
            "1.10",
            "no",
        ],
        ["compatibility", "expected MSE below every baseline's", "0.0273", "0.0274", "yes"],
        ["difficulty", "ONNX file at most 20 MiB", "0.2352", "20", "yes"],
    ]
    pd.testing.assert_frame_equal(table, before)


def test_each_checks_cell_reads_at_one_precision_and_each_bound_as_its_target_words_it() -> None:
    """The checks table read "1.0322 [1.029, 1.036]" (the number to four decimals, its interval
    to three) and each bound to four decimals ("20.0000" beside "ONNX file at most 20 MiB"):
    with the targets `checks_table` writes, every number in a cell has the same decimals, and
    a bound the target's words state reads as they write it."""
    truth = {"ratio": 1.03217, "ratio_low": 1.02861, "ratio_high": 1.03594}
    regressor = {
        "test": {"mse": 0.02871},
        "size": {"onnx_bytes": 326_000},
        "against_truth": {
            **truth,
            "expected_mse": 0.02731,
            "baselines": {"mean": {"expected_mse": 0.07}, "linear": {"expected_mse": 0.02744}},
        },
        "checks": {k: True for k in ("mse_below_0.1", "ratio_at_most_1.10", "beats_baselines")}
        | {"onnx_at_most_20MB": True},
    }
    classifier = {
        "test": {"accuracy": 0.935},
        "size": {"onnx_bytes": 246_600},
        "against_truth": {
            **truth,
            "expected_accuracy": 0.9151,
            "baselines": {
                "majority": {"expected_accuracy": 0.4},
                "logistic": {"expected_accuracy": 0.8562},
            },
        },
        "checks": {
            k: True
            for k in (
                "accuracy_at_least_0.85",
                "share_at_least_0.97",
                "beats_baselines",
                "onnx_at_most_20MB",
            )
        },
    }
    metrics = {
        "models": {
            "compatibility": regressor,
            "difficulty": classifier,
            "engagement": regressor,
        }
    }
    shown = checks_report_table(checks_table(metrics))
    for cell in shown["forest (95% CI)"]:
        decimals = {len(n.split(".")[1]) for n in re.findall(r"-?\d+\.\d+", cell)}
        assert decimals == {4}, cell
    assert "1.0322 [1.0286, 1.0359]" in shown["forest (95% CI)"].tolist()
    for target, bound in zip(shown["target"], shown["bound"], strict=True):
        if "baseline" in target:  # measured in the run: to the decimals of its number
            assert re.fullmatch(r"\d\.\d{4}", bound), (target, bound)
        else:
            assert re.search(rf" {re.escape(bound)}( MiB)?$", target), (target, bound)
    assert sorted(set(shown["bound"])) == ["0.0274", "0.1", "0.85", "0.8562", "0.97", "1.10", "20"]


def test_the_cv_report_table_names_the_loss_the_search_minimised() -> None:
    """Notebook 04 showed each grid search as the code names it (cv_loss, cv_loss_std,
    fit_seconds), the loss unnamed: MSE for a regressor, log loss for the classifier."""
    table = pd.DataFrame(
        {
            "min_samples_leaf": [10, 20],
            "cv_loss": [0.23754, 0.27381],
            "cv_loss_std": [0.00791, 0.00617],
            "cv_accuracy": [0.90812, 0.88694],
            "fit_seconds": [0.1849, 0.2151],
        }
    )
    before = table.copy()
    shown = cv_report_table(table, "difficulty")
    assert list(shown.columns) == [
        "min samples per leaf",
        "CV log loss",
        "sd of CV log loss over folds",
        "CV accuracy",
        "mean fit time (s)",
    ]
    assert shown.values.tolist() == [
        ["10", "0.2375", "0.0079", "0.9081", "0.18"],
        ["20", "0.2738", "0.0062", "0.8869", "0.22"],
    ]
    pd.testing.assert_frame_equal(table, before)
    regressor = table.drop(columns="cv_accuracy").assign(cv_mean_absolute_error=[0.1353, 0.1368])
    assert list(cv_report_table(regressor, "engagement").columns) == [
        "min samples per leaf",
        "CV MSE",
        "sd of CV MSE over folds",
        "CV MAE",
        "mean fit time (s)",
    ]


def test_the_size_report_table_keeps_a_tiny_parity_difference_readable() -> None:
    """A difference of 1.3e-07 between ONNX and scikit-learn read as 0.000 in fixed point:
    it stays in scientific notation, under a header naming the export's tolerance."""
    table = pd.DataFrame(
        {
            "n_estimators": [60, 60],
            "min_samples_leaf": [20, 10],
            "max_features": [0.5, 0.8],
            "nodes": [8826, 5156],
            "onnx_MiB": [0.31107, 0.23518],
            "onnx_max_abs_diff": [1.2517e-07, 0.0],
        },
        index=["compatibility", "difficulty"],
    )
    before = table.copy()
    shown = size_report_table(table)
    assert list(shown.columns) == [
        "model",
        "trees",
        "min samples per leaf",
        "features per split",
        "nodes",
        "ONNX file (MiB)",
        "max |ONNX - scikit-learn| (tolerance 1e-4)",
    ]
    assert shown.values.tolist() == [
        ["compatibility", "60", "20", "0.5", "8826", "0.311", "1.3e-07"],
        ["difficulty", "60", "10", "0.8", "5156", "0.235", "0.0e+00"],
    ]
    pd.testing.assert_frame_equal(table, before)


def test_the_out_of_sample_report_table_names_each_ratio_and_draw() -> None:
    """Notebook 04 printed the draws as new_seed and younger_learners, the metric as mse, and
    four columns each called a ratio without saying of what to what."""
    index = pd.MultiIndex.from_tuples(
        [("new_seed", "compatibility"), ("younger_learners", "difficulty")],
        names=["dataset", "model"],
    )
    table = pd.DataFrame(
        {
            "metric": ["mse", "accuracy"],
            "value": [0.02761, 0.94201],
            "bayes": [0.02314, 0.92512],
            "ratio": [1.19213, 0.98967],
            "ratio 95% CI": ["[1.182, 1.204]", "[0.985, 0.995]"],
            "constant ratio": [1.93201, 0.50312],
            "linear ratio": [1.07489, None],
            "ratio on test set": [1.05532, 0.99151],
            "rows": [4000, 571],
        },
        index=index,
    )
    before = table.copy()
    shown = out_of_sample_report_table(table)
    assert list(shown.columns) == [
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
    assert shown.values.tolist() == [
        [
            "new seed",
            "compatibility",
            "MSE",
            "0.0276",
            "0.0231",
            "1.192 [1.182, 1.204]",
            "1.932",
            "1.075",
            "1.055",
            "4000",
        ],
        [
            "younger learners (8-10)",
            "difficulty",
            "accuracy",
            "0.9420",
            "0.9251",
            "0.990 [0.985, 0.995]",
            "0.503",
            MISSING,
            "0.992",
            "571",
        ],
    ]
    pd.testing.assert_frame_equal(table, before)


def test_the_importance_report_table_shows_a_floor_spread_of_millionths() -> None:
    """Notebook 04 printed importances to three significant digits, -4e-05 beside 2.4, and
    True or False for above noise; fixed point to six decimals keeps a spread of 3.3e-06."""
    index = pd.MultiIndex.from_tuples(
        [("difficulty", "learning_progress_score"), ("engagement", "comfort_level_online")],
        names=["model", "feature"],
    )
    table = pd.DataFrame(
        {
            "importance": [2.40229, 0.00035104],
            "std": [0.024651, 0.00014],
            "noise floor": [-0.00077812, 0.000132],
            "floor std": [0.000186, 3.34e-06],
            "above noise": [True, False],
        },
        index=index,
    )
    before = table.copy()
    shown = importance_report_table(table)
    assert list(shown.columns) == [
        "model",
        "feature",
        "importance",
        "sd over repeats",
        "noise floor",
        "noise floor's sd",
        "above noise",
    ]
    assert shown.values.tolist() == [
        [
            "difficulty",
            "learning_progress_score",
            "2.402290",
            "0.024651",
            "-0.000778",
            "0.000186",
            "yes",
        ],
        [
            "engagement",
            "comfort_level_online",
            "0.000351",
            "0.000140",
            "0.000132",
            "0.000003",
            "no",
        ],
    ]
    pd.testing.assert_frame_equal(table, before)
