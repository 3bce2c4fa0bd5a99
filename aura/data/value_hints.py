"""Say how a refused value was written, and what to write in its place.

The checks see the cells as pandas read them: a cell reading NA or None as no value, a quoted -3
as -3.0, and a spreadsheet's 84%, 1,234 or 0,84 as text that is no number; and a column named
`Age` or `grade` in the header as an unknown column beside a missing `age` or `grade_level`. A
problem that names only the column and the lines leaves the user to guess why. These functions
read the columns at fault again as the file writes them, once something is wrong, and add to each
problem the value as written and its likely cause: a missing value marker, a percentage, a
thousands separator or decimal comma, a column name in another case or misspelt.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pandas as pd

from aura.data.csv_reading import EXACT_NAMES, csv_line_index, loosely, skiprows
from aura.data.errors import MISSING_COLUMN, MISSING_VALUE, Problem
from aura.data.schemas import NOT_A_NUMBER, NUMERIC_KINDS, Field, TableName, fields, value_to_write

MISSPELT_CUTOFF = 0.6
"""difflib's similarity from which an unknown header name is offered for a missing column:
`grade` for `grade_level` is 0.62, `sesion_count` for `session_count` 0.96."""
PERCENT = re.compile(r"[+-]?(\d+(?:[.,]\d+)?) ?%")
THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?")
DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+")
"""How a spreadsheet may write a number that is no number as written: as a percentage (84%),
with thousands separated by commas (1,234) or with a decimal comma (0,84)."""
MISSING_MARKERS = frozenset(
    {"-", "--", "?", ".", "na", "n/a", "n.a.", "nan", "none", "null", "nil", "missing", "#n/a"}
)
"""Words, in any case, that spreadsheets, databases and statistics packages write for a missing
value: pandas reads some of them as one as written (None, NA, n/a, null, NaN), the others as
text ('-', '?', 'none')."""
NO_VALUE_IN_ANY_ROW = "no value in any of its"
"""How the problem of an optional column read as missing in every row begins."""


def near_names(
    problems: Sequence[Problem], header: Sequence[str], unknown: Sequence[str]
) -> list[Problem]:
    """A missing column that the header holds in another case or with spaces around it is
    named beside it: "missing column 'age'" over a header with "Age" read as a contradiction.
    Failing that, a name of the header that the table does not know and that is close to it
    (`grade` for `grade_level`) is named as a likely misspelling: it was kept as an unknown
    column without a word. Each such name is offered once, for the missing column it is closest
    to: `expertise_maths` was the misspelling of both `expertise_math` and `expertise_science`."""
    missing = [p.column for p in problems if p.what == MISSING_COLUMN and p.column is not None]
    cased = {name: [h for h in header if loosely(h, name)] for name in missing}
    taken = {h for near in cased.values() for h in near}
    scored = sorted(
        (-difflib.SequenceMatcher(None, h, name).ratio(), i, j, name, h)
        for i, name in enumerate(missing)
        if not cased[name]
        for j, h in enumerate(unknown)
        if h not in taken
    )
    misspelt: dict[str, str] = {}
    for score, _, _, name, h in scored:
        if -score >= MISSPELT_CUTOFF and name not in misspelt and h not in misspelt.values():
            misspelt[name] = h
    return [_near_name(p, cased, misspelt) for p in problems]


def _near_name(
    problem: Problem, cased: Mapping[str, Sequence[str]], misspelt: Mapping[str, str]
) -> Problem:
    """The problem with the header's near miss of its missing column named beside it."""
    if problem.what != MISSING_COLUMN or problem.column is None:
        return problem
    if cased.get(problem.column):
        names = ", ".join(repr(name) for name in cased[problem.column])
        what = f"{MISSING_COLUMN}; the header has {names}: {EXACT_NAMES}"
        return replace(problem, what=what)
    if problem.column not in misspelt:
        return problem
    what = (
        f"{MISSING_COLUMN}; the header has {misspelt[problem.column]!r}, which this table has "
        "not: misspelt?"
    )
    return replace(problem, what=what)


def empty_optional(problem: Problem, df: pd.DataFrame, optional: set[str]) -> Problem:
    """An optional column without a value in any row, named as such: an export that has the
    column but not its data (no logged strategy) read as a missing value in each of its rows,
    though leaving the column out is all it takes."""
    column = problem.column
    if problem.what != MISSING_VALUE or column not in optional or not df[column].isna().all():
        return problem
    what = (
        f"{NO_VALUE_IN_ANY_ROW} {len(df)} rows: the column is optional, so delete it (or fill it)"
    )
    return replace(problem, what=what, lines=())


def as_written(
    path: Path,
    rows: pd.Index,
    table: TableName,
    problems: Sequence[Problem],
    skip: frozenset[int] = frozenset(),
) -> list[Problem]:
    """The values quoted in numeric columns as the file has them, and the cells of any column
    read as missing: pandas' reading quoted -3 as -3.0 and Infinity as inf, a value as text or
    as a number by whether another cell of its column was text, and a cell reading NA or None,
    in a number's column or a category's, as no value. Only the columns at fault are read
    again, as text, and only once something is wrong; ``rows`` labels the file's rows as the
    table read labels them, the records starting on the file lines ``skip`` left out."""
    by_name = {f.name: f for f in fields(table)}
    numeric = {name for name, f in by_name.items() if f.kind in NUMERIC_KINDS}
    quoted = [
        p
        for p in problems
        if p.column in by_name
        and ((p.column in numeric and p.values) or _read_as_missing(p) or _all_missing(p))
    ]
    if not quoted:
        return list(problems)
    columns = sorted({p.column for p in quoted})
    text = pd.read_csv(
        path, usecols=columns, dtype=str, na_filter=False, skiprows=skiprows(skip)
    ).set_axis(rows)

    def one_as_written(p: Problem) -> Problem:
        if _all_missing(p):
            return _markers_named(p, text[p.column])
        written = tuple(text.loc[[csv_line_index(line) for line in p.lines], p.column])
        if _read_as_missing(p):
            return _marker_hint(p, written, by_name[p.column])
        return _spreadsheet_hint(replace(p, values=written), by_name[p.column])

    return [one_as_written(p) if p in quoted else p for p in problems]


def _read_as_missing(problem: Problem) -> bool:
    """Whether ``problem`` is a column's cells read as missing values, whose words (pandas reads
    None, NA or null as no value) only the file's text shows."""
    return problem.what == MISSING_VALUE and bool(problem.lines)


def _marker_hint(problem: Problem, written: tuple[str, ...], field: Field) -> Problem:
    """Cells of a column that allows no missing value, read as missing: those holding a word
    (None, NA, n/a, null), which pandas takes for a missing value marker, are quoted as the file
    writes them, with the column's first such word and what to write in its place (a number,
    one of its categories); the message named no word, and "missing value" beside a cell that
    reads None in the file puzzled. Cells that are all empty are named as before, by line
    alone."""
    words = [value for value in written if value.strip()]
    if not words:
        return problem
    what = (
        f"missing value ({words[0]!r} is read as a missing value marker: write "
        f"{value_to_write(field)} in its place, the column allows no missing value)"
    )
    return replace(problem, what=what, values=written)


def _all_missing(problem: Problem) -> bool:
    """Whether ``problem`` is an optional column read as missing in every row
    (`empty_optional`)."""
    return problem.what.startswith(NO_VALUE_IN_ANY_ROW) and not problem.lines


def _markers_named(problem: Problem, written: pd.Series) -> Problem:
    """An optional column without a value in any row, with the first word it holds for one
    (`strategy` reading NA in every row): "no value" alone, over cells that read NA, left the
    reader to guess that NA is no value."""
    words = written[written.str.strip() != ""]
    if words.empty:
        return problem
    marker = f" ({words.iloc[0]!r} is read as a missing value marker)"
    return replace(problem, what=problem.what.replace(" rows:", f" rows{marker}:", 1))


def _spreadsheet_hint(problem: Problem, field: Field) -> Problem:
    """A value that is not a number only as a spreadsheet writes it, with the number to write
    beside "not a number": '84%', '1,234' and '0,84' read as text with no cause named. One hint
    per cause, each with the column's first such value, so the column's values stay one line."""
    if problem.what != NOT_A_NUMBER:
        return problem
    hints: dict[str, str] = {}
    for value in problem.values:
        if found := _written_as(str(value).strip(), field):
            hints.setdefault(*found)
    if not hints:
        return problem
    return replace(problem, what=f"{NOT_A_NUMBER} ({'; '.join(hints.values())})")


def _written_as(value: str, field: Field) -> tuple[str, str] | None:
    """What a value seems to be written as (the cause) and the hint naming the number to write,
    or None. A percentage is written as a share where the column is one (0 to 1), else without
    its sign; 1,234 is a thousands separator in a whole-number column, and either that or a
    decimal comma in another. A word that marks a missing value is left empty where the column
    allows a missing value, else replaced by a number."""
    if value.lower() in MISSING_MARKERS:
        if field.nullable:
            return "marker", (
                f"a missing value marker? leave the cell empty in place of {value!r}: the column "
                "allows a missing value"
            )
        return "marker", (
            f"a missing value marker? write a number in place of {value!r}: the column allows no "
            "missing value"
        )
    if match := PERCENT.fullmatch(value):
        if not field.share:
            return "percent", f"a percentage? write {value} without the % sign"
        share = Decimal(value[: match.start(1)] + match.group(1).replace(",", ".")) / 100
        return "percent", (
            f"a percentage? write {value} as {share.normalize():f}: the column is a share, 0 to 1"
        )
    plain, point = value.replace(",", ""), value.replace(",", ".")
    if THOUSANDS.fullmatch(value):
        if field.kind == "int" or value.count(",") > 1 or "." in value:
            return "thousands", f"a thousands separator? write {value} as {plain}"
        return "either", (
            f"a thousands separator or a decimal comma? write {value} as {plain} or {point}"
        )
    if DECIMAL_COMMA.fullmatch(value):
        return "comma", f"a decimal comma? write {value} as {point}"
    return None
