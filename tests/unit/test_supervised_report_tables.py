"""The supervised models' tables as notebooks 04, 05 and 06 show them: headers in words,
fixed-point numbers, "yes" or "no" for a target met, the tables themselves left as they were."""

from __future__ import annotations

import numpy as np
import pandas as pd

from aura.reports.tables import MISSING
from aura.supervised.report import checks_report_table, metrics_report_table


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
            ("difficulty", "ONNX file at most 20 MiB"),
        ],
        names=["model", "target"],
    )
    table = pd.DataFrame(
        {
            "forest": [0.02871, 1.05532, 0.23518],
            "95% CI": ["", "[1.046, 1.067]", ""],
            "bound": [0.1, 1.1, 20.0],
            "met": [True, np.False_, True],
        },
        index=index,
    )
    before = table.copy()
    shown = checks_report_table(table)
    assert list(shown.columns) == ["model", "target", "forest (95% CI)", "bound", "met"]
    assert shown.values.tolist() == [
        ["compatibility", "test MSE below 0.1", "0.0287", "0.1000", "yes"],
        [
            "compatibility",
            "expected MSE / Bayes MSE at most 1.10",
            "1.0553 [1.046, 1.067]",
            "1.1000",
            "no",
        ],
        ["difficulty", "ONNX file at most 20 MiB", "0.2352", "20.0000", "yes"],
    ]
    pd.testing.assert_frame_equal(table, before)
