"""Tables as a stakeholder's report shows them.

pandas prints a reference's missing interval as NaN, a count that shares a column with missing
values as 2.0, a flag that does not apply as None, and row positions the reader has no use for:
read in the HTML report, each looked like an error of the run. It also prints a column that holds
a small value in scientific notation (an off-policy error of -0.0094 as -9.4e-03), and a mean
and its interval's ends as three columns named as the code names them (``ci_low``,
``ci_high``). `fixed` and `with_interval` write the cells of a report table instead: fixed-point
decimals, and a mean with its interval in one cell, "0.843 [0.810, 0.876]".

pandas also writes a table's header cells without a ``scope`` (`DataFrame.to_html`, a Styler),
and so does Markdown: `scope_header_cells` gives every header cell of a report page one, for a
screen reader to announce each cell with its column's name and its row's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:  # the cell writers serve the environments' and RL tables too: no jinja2 there
    from pandas.io.formats.style import Styler

MISSING = "—"
"""What a cell that does not apply shows (a reference has no seeds, no interval, no lead)."""


def fixed(value: float | None, digits: int = 3) -> str:
    """``value`` to ``digits`` decimals in fixed-point, never in scientific notation, as a
    report cell; `MISSING` where there is no value (None or NaN). A value below zero keeps its
    sign where it rounds to zero (a lead's interval ending at -0.0004 holds zero, which "0.000"
    would hide), but zero itself has none: a lead of exactly the rule's score, computed as
    -0.0, read "-0.000"."""
    if value is None or pd.isna(value):
        return MISSING
    text = f"{float(value):.{digits}f}"
    return text.removeprefix("-") if value == 0 else text


def with_interval(
    mean: float | None, low: float | None, high: float | None, digits: int = 3
) -> str:
    """A mean and its interval in one cell, "0.843 [0.810, 0.876]", each as `fixed` writes it:
    the mean alone where it has no interval (random and the oracle anchor the scale and have
    none), `MISSING` where there is no mean (a reference has no lead over the hand rule)."""
    if mean is None or pd.isna(mean):
        return MISSING
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return fixed(mean, digits)
    return f"{fixed(mean, digits)} [{fixed(low, digits)}, {fixed(high, digits)}]"


def scientific(value: float | None, digits: int = 1) -> str:
    """``value`` in scientific notation to ``digits`` decimals, "1.2e-07", as a report cell;
    `MISSING` where there is no value. For a number that is tiny by design, an ONNX model's
    largest difference from scikit-learn's: `fixed` would print 1e-07 as "0.000", which reads
    as exact agreement, or as a difference never measured."""
    if value is None or pd.isna(value):
        return MISSING
    return f"{float(value):.{digits}e}"


def yes_no(value: bool | None) -> str:
    """A flag as a report cell: "yes" or "no", `MISSING` where it does not apply (None or NaN),
    where pandas printed True, False and None, the way the code spells them."""
    if value is None or pd.isna(value):
        return MISSING
    return "yes" if value else "no"


def text_table(table: pd.DataFrame, left: Sequence[str] = ()) -> str:
    """A report table as a ``# summary`` cell prints it: without row positions, the ``left``
    columns (words: a model, a target, a policy) aligned to the left, as one reads them, where
    pandas aligned every column to the right; the others stay right-aligned, where fixed-point
    decimals line up."""
    widths = {
        column: max(len(str(column)), int(table[column].astype(str).str.len().max()))
        for column in left
    }
    formatters = {column: f"{{:<{width}}}".format for column, width in widths.items()}
    header = [str(c).ljust(widths[c]) if c in widths else str(c) for c in table.columns]
    return table.to_string(index=False, formatters=formatters, header=header)


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


_TABLE_PART = re.compile(r"<(thead|tbody)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
_UNSCOPED_TH = re.compile(r"<th(?=[\s>])(?![^>]*\bscope=)", re.IGNORECASE)


def scope_header_cells(page: str) -> str:
    """``page`` with each header cell that has no ``scope`` given one: ``col`` in a table's head
    (a column's name), ``row`` in its body (a row's name, as pandas writes a named index).
    Without it a screen reader must guess which cells a header names, and reads a table of
    numbers as numbers alone."""

    def scoped(part: re.Match[str]) -> str:
        scope = "col" if part.group(1).lower() == "thead" else "row"
        return _UNSCOPED_TH.sub(f'<th scope="{scope}"', part.group(0))

    return _TABLE_PART.sub(scoped, page)
