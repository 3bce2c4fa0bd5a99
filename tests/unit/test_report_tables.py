"""Tables in the HTML reports: what does not apply reads as such, not as NaN, None or 2.0."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from aura.reports.tables import (
    MISSING,
    fixed,
    readable,
    scientific,
    table_outputs,
    with_interval,
)


def test_a_reference_row_reads_without_nan_none_or_row_numbers() -> None:
    table = pd.DataFrame(
        {
            "policy": ["random", "PPO"],
            "normalised": [0.0, 0.64129],
            "n_seeds": [np.nan, 2.0],
            "beats_rule": [None, True],
        }
    )
    html = readable(table, counts=["n_seeds", "not_a_column"]).to_html()
    cells = re.findall(r"<td [^>]*>([^<]*)</td>", html)
    assert cells == ["random", "0.000", MISSING, MISSING, "PPO", "0.641", "2", "True"]
    assert "<th" not in html.split("<tbody>")[1]  # no row numbers before the cells


def test_a_plain_table_reads_without_row_numbers_and_keeps_its_small_numbers() -> None:
    """Row positions 0..n-1 meant nothing to a reader; a parity difference of 1e-07 must not
    read as 0."""
    table = pd.DataFrame({"file": ["a.onnx", "b.onnx"], "max_abs_diff": [1.2e-07, 0.5]})
    shown = table_outputs(table)
    assert "<th" not in shown["text/html"].split("<tbody>")[1]  # no row numbers
    assert "1.200000e-07" in shown["text/html"]
    assert shown["text/plain"].splitlines()[1].split() == ["a.onnx", "1.200000e-07"]


def test_a_named_index_stays_beside_its_rows() -> None:
    table = pd.DataFrame({"value": [1.0, 2.0]}, index=pd.Index(["ppo", "dqn"], name="policy"))
    shown = table_outputs(table)
    assert re.findall(r"<th>([^<]*)</th>", shown["text/html"].split("<tbody>")[1]) == [
        "ppo",
        "dqn",
    ]
    assert "ppo" in shown["text/plain"]


def test_a_number_reads_in_fixed_point_to_its_digits() -> None:
    """pandas printed an off-policy error of -0.0094 as -9.4e-03 beside estimates of 0.79."""
    assert fixed(0.84317) == "0.843"
    assert fixed(-0.0094) == "-0.009"
    assert fixed(-0.0094, 4) == "-0.0094"
    assert fixed(0.0000123, 4) == "0.0000"
    assert fixed(1.2e-07) == "0.000"
    assert fixed(26.61) == "26.610"
    assert fixed(30_000_000.0, 1) == "30000000.0"
    assert fixed(np.float64(-2.376)) == "-2.376"


def test_a_value_below_zero_keeps_its_sign_and_zero_has_none() -> None:
    """An interval ending at -0.0004 holds zero; a lead computed as -0.0 is no lead at all."""
    assert fixed(-0.0004) == "-0.000"
    assert fixed(-0.0) == "0.000"
    assert fixed(0.0, 4) == "0.0000"


def test_a_missing_number_reads_as_a_dash() -> None:
    assert fixed(None) == MISSING
    assert fixed(np.nan) == MISSING
    assert fixed(pd.NA) == MISSING


def test_an_interval_reads_beside_its_mean_in_one_cell() -> None:
    assert with_interval(0.843, 0.81, 0.876) == "0.843 [0.810, 0.876]"
    assert with_interval(-0.075, -0.145, -0.004) == "-0.075 [-0.145, -0.004]"
    assert with_interval(-2.376, -14.1234, 9.4567) == "-2.376 [-14.123, 9.457]"
    assert with_interval(0.7950, 0.79104, 0.8, 4) == "0.7950 [0.7910, 0.8000]"
    assert with_interval(-0.0094, -0.0123, 0.00004, 4) == "-0.0094 [-0.0123, 0.0000]"


def test_a_mean_without_an_interval_reads_alone_and_no_mean_as_a_dash() -> None:
    """Random and the oracle anchor the scale and have no interval; a reference has no lead."""
    assert with_interval(0.0, np.nan, np.nan) == "0.000"
    assert with_interval(1.0, None, None) == "1.000"
    assert with_interval(np.nan, np.nan, np.nan) == MISSING
    assert with_interval(None, 0.1, 0.2) == MISSING


def test_a_flag_reads_yes_or_no_and_a_dash_where_it_does_not_apply() -> None:
    """pandas printed a verdict as True, False or None, the way the code spells them."""
    from aura.reports.tables import yes_no

    assert [yes_no(True), yes_no(False), yes_no(None), yes_no(np.nan)] == [
        "yes",
        "no",
        MISSING,
        MISSING,
    ]
    assert [yes_no(np.bool_(True)), yes_no(np.bool_(False))] == ["yes", "no"]


def test_a_printed_report_table_aligns_its_words_left_and_its_numbers_right() -> None:
    """pandas printed a report table's targets right-aligned, ragged at the left where a reader
    starts each line."""
    from aura.reports.tables import text_table

    table = pd.DataFrame(
        {"model": ["difficulty", "engagement"], "target": ["test MSE", "ONNX at most 20 MiB"]}
    ).assign(bound=["0.1000", "20.0000"])
    before = table.copy()
    assert text_table(table, left=["model", "target"]).splitlines() == [
        "model      target                bound",
        "difficulty test MSE             0.1000",
        "engagement ONNX at most 20 MiB 20.0000",
    ]
    pd.testing.assert_frame_equal(table, before)


def test_a_tiny_difference_reads_in_scientific_notation_not_as_zero() -> None:
    """An ONNX model's difference from scikit-learn of 1.2e-07 read "0.000" in fixed point."""
    assert scientific(1.2345e-07) == "1.2e-07"
    assert scientific(1e-04, 0) == "1e-04"
    assert scientific(0.0) == "0.0e+00"
    assert scientific(None) == MISSING
    assert scientific(float("nan")) == MISSING
