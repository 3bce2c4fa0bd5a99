"""Tables as a stakeholder's report shows them.

pandas prints a reference's missing interval as NaN, a count that shares a column with missing
values as 2.0, a flag that does not apply as None, and row positions the reader has no use for:
read in the HTML report, each looked like an error of the run.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from pandas.io.formats.style import Styler

MISSING = "—"
"""What a cell that does not apply shows (a reference has no seeds, no interval, no lead)."""


def readable(
    table: pd.DataFrame, digits: int = 3, *, counts: Sequence[str] = (), index: bool = False
) -> Styler:
    """``table`` styled for the HTML report: numbers to ``digits`` decimals, the ``counts``
    columns without decimals, a missing value as `MISSING`, and the row index hidden unless
    ``index`` (where it names the rows)."""
    styled = table.style.format(precision=digits, na_rep=MISSING)
    present = [column for column in counts if column in table.columns]
    if present:
        styled = styled.format("{:.0f}", subset=present, na_rep=MISSING)
    return styled if index else styled.hide(axis="index")


def table_outputs(table: pd.DataFrame) -> dict[str, str]:
    """``table`` as HTML and plain text, each as pandas prints it (its display options, so a
    parity difference of 1e-07 still reads as one, where a Styler's fixed decimals print
    0.000000), without the row index where that is only the rows' positions (a plain
    `RangeIndex`, 0 to n-1, which means nothing to a reader); a named index stays."""
    index = not isinstance(table.index, pd.RangeIndex) or table.index.name is not None
    return {
        "text/html": table.to_html(index=index, notebook=True),
        "text/plain": table.to_string(index=index),
    }


def show_table(table: pd.DataFrame) -> None:
    """Display ``table`` in the notebook as `table_outputs` has it. Returns nothing, for a
    notebook cell that ends with it to print nothing more into the report."""
    from IPython.display import display

    display(table_outputs(table), raw=True)
