"""Tables in the HTML reports: what does not apply reads as such, not as NaN, None or 2.0."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from aura.reports.tables import MISSING, readable, table_outputs


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
