"""One readable error for every way a dataset can be wrong.

Pandera reports failures as a table of (column, check, failure case, row index); a person fixing a
CSV needs the file, the column, what is wrong and where. `Problem` holds exactly that, with rows as
CSV line numbers (the header is line 1, so the first data row is line 2), and
`DataValidationError` lists every problem found, the first few rows of each and how many in total.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

SHOWN_ROWS = 5
"""Rows quoted per problem; the total is always given."""
HEADER_LINES = 1
MISSING_COLUMN = "missing column (required)"
MISSING_VALUE = "missing value (an empty cell, or a word such as NA, NaN or null)"

_BUILTIN_CHECKS: dict[str, str] = {
    "column_in_dataframe": MISSING_COLUMN,
    "not_nullable": MISSING_VALUE,
    "field_uniqueness": "duplicated id",
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one file: which column, what, and at which CSV lines."""

    file: Path
    what: str
    column: str | None = None
    lines: tuple[int, ...] = ()
    values: tuple[object, ...] = field(default=(), compare=False)

    def describe(self) -> str:
        where = f"column '{self.column}': " if self.column else ""
        if not self.lines:
            return f"{where}{self.what}"
        first = self.lines[:SHOWN_ROWS]
        if self.values:
            shown = ", ".join(
                f"{line} ({_quoted(value)})"
                for line, value in zip(first, self.values[:SHOWN_ROWS], strict=True)
            )
        else:
            shown = ", ".join(map(str, first))
        n = len(self.lines)
        more = f", ... ({n} rows in total)" if n > SHOWN_ROWS else ""
        rows = "1 row" if n == 1 else f"{n} rows"
        return f"{where}{self.what} in {rows}: line{'s' if n > 1 else ''} {shown}{more}"


def _quoted(value: object) -> str:
    """A value as a message shows it: a number's text bare, as the file writes it (-3,
    Infinity, 1.50), so that it reads as the number it is; other text in quotes, where its
    spaces show, NaN too: a word for a missing value (nan, NAN). A number is what the loader
    reads as one: Python's float also reads 1_2 and digits of other scripts (１２, ١٢), which
    showed bare beside "not a number"."""
    if isinstance(value, str) and value == value.strip():
        return repr(value) if pd.isna(pd.to_numeric(value, errors="coerce")) else value
    return repr(value)


class DataValidationError(ValueError):
    """A dataset folder or file is not usable; the message lists every problem found.

    `problems` keeps them as data (file, column, CSV line numbers) for programs and tests.
    """

    def __init__(self, problems: Sequence[Problem], message: str | None = None) -> None:
        """``message`` in place of the problems listed by file: one line for a problem of the
        whole folder, which the list framed as "1 data problem in 1 file (rows are CSV line
        numbers; ...)" over three lines."""
        self.problems = tuple(problems)
        super().__init__(message or format_problems(self.problems))


def format_problems(problems: Sequence[Problem]) -> str:
    """All problems in one message, grouped by file, each with its column and CSV lines."""
    files = list(dict.fromkeys(p.file for p in problems))
    n = len(problems)
    lines = [
        f"{n} data problem{'s' if n != 1 else ''} in {len(files)} file"
        f"{'s' if len(files) != 1 else ''} (rows are CSV line numbers; the header is line 1):"
    ]
    for file in files:
        lines.append(f"{file}:")
        lines.extend(f"  - {p.describe()}" for p in problems if p.file == file)
    return "\n".join(lines)


def csv_line(index: object) -> int:
    """CSV line of a row read with a default RangeIndex (one record per line)."""
    return int(index) + HEADER_LINES + 1


def _plain(value: object) -> object:
    """Python scalar for quoting in a message (numpy and pandas scalars print noisily)."""
    if pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _check_text(check: str) -> str:
    if check in _BUILTIN_CHECKS:
        return _BUILTIN_CHECKS[check]
    match = re.fullmatch(r"(?:coerce_dtype|dtype)\('?([\w]+)'?\)", check)
    if match:
        return f"wrong type: expected {match.group(1)}"
    return check


def problems_from_failures(file: Path, failures: pd.DataFrame) -> list[Problem]:
    """Group pandera's failure cases into one Problem per (column, check), in schema order."""
    problems: list[Problem] = []
    failures = failures.assign(
        _column=failures["column"].where(failures["column"].notna(), None),
        _order=range(len(failures)),
    )
    for (column, check), group in failures.groupby(["_column", "check"], sort=False, dropna=False):
        if check == "column_in_dataframe":
            for missing in group["failure_case"]:
                problems.append(Problem(file, _check_text(check), column=str(missing)))
            continue
        rows = group[group["index"].notna()].sort_values("index", key=lambda s: s.astype(int))
        problems.append(
            Problem(
                file,
                _check_text(str(check)),
                column=None if column is None else str(column),
                lines=tuple(csv_line(i) for i in rows["index"]),
                values=()
                if check == "not_nullable"
                else tuple(_plain(v) for v in rows["failure_case"]),
            )
        )
    return problems
