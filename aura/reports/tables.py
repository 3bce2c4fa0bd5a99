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
