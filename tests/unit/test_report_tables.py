"""Tables in the HTML reports: what does not apply reads as such, not as NaN, None or 2.0."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from aura.reports.tables import MISSING, readable


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
