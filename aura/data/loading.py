"""Load the three tables from any folder, validated, so the pipeline runs on a platform's own data.

A folder holds `learners_data.csv`, `tutors_data.csv` and `sessions_data.csv` (the names
`aura.sim.write_datasets` writes). Each file is read with pandas and checked by its pandera
schemas (`aura.data.schemas`) and the relations the data dictionary defines between its columns
(`aura.data.consistency`); then the tables are checked against each other (every session's
learner and tutor exist, its style and language match agree with theirs) and, on request, the
learner and tutor aggregates against the sessions.
Every problem found in every file is reported at once in one `DataValidationError`. The files are
only read, never modified; columns the schemas do not know are kept as they are, as text.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa
import psutil

from aura.data.consistency import match_problems, table_problems
from aura.data.errors import (
    HEADER_LINES,
    MISSING_COLUMN,
    MISSING_VALUE,
    DataValidationError,
    Problem,
    csv_line,
    problems_from_failures,
)
from aura.data.schemas import (
    NOT_A_NUMBER,
    NUMERIC_KINDS,
    TABLES,
    Field,
    TableName,
    fields,
    optional_columns,
    parse_numbers,
    raw_schema,
    typed_schema,
    value_to_write,
)
from aura.sim.io import FILES

AGGREGATE_TOLERANCE = 1e-4
"""Aggregates are means of 4-decimal values rounded to 4 decimals, so they agree to 5e-5."""
UTF16_MARKS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
ARCHIVES = {
    b"PK\x03\x04": "a ZIP archive (an Excel workbook, .xlsx?), not CSV text: save it as CSV UTF-8",
    b"\x1f\x8b": "gzip-compressed, not CSV text: decompress it",
}
"""The first bytes of files that are no text at all, and what they are."""
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
EXACT_NAMES = "names are exact (lower case, no spaces)"
"""Said beside a header name that is a column's but for its case or the spaces around it."""
LOAD_BYTES_PER_BYTE = 7
"""Memory reading and validating the tables takes per byte of their CSV files: the peak resident
size of `load_datasets` grew by 6.8 and 6.1 times the size of a sessions file of 139 and 279 MB."""


@dataclass
class Datasets:
    """The three validated tables and the folder they were read from."""

    learners: pd.DataFrame
    tutors: pd.DataFrame
    sessions: pd.DataFrame
    folder: Path


class _OtherWidths(Exception):
    """Rows with another field count than the header's: pandas' reading of the file is not to
    be trusted (it refuses a long row, pads a short one, or takes a wide first row's fields as
    the rows' labels)."""


def _read_csv(
    path: Path, table: TableName, skip: frozenset[int] = frozenset()
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The table as pandas reads it, or the problems that keep it from being read; the records
    starting on the file lines ``skip`` left out. Raises _OtherWidths."""
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "file not found"
        return None, [Problem(path, f"{what} (expected the {table} table as CSV)")]
    if path.stat().st_size == 0:
        return None, [Problem(path, "empty file (0 bytes): expected a header line and data rows")]
    # Columns the schemas do not know are read as text, to be kept as the file has them: pandas
    # would make a postcode 01234 the number 1234, and TRUE a boolean. A column without a name
    # is pandas' `Unnamed: <position>` (an index pandas wrote: 007 was read as 7).
    if not_text := _not_text(path):
        return None, [Problem(path, not_text)]
    known = {f.name for f in fields(table)}
    header = _header(path)
    if not_commas := _separator_problem(path, header):
        return None, [not_commas]
    try:
        with warnings.catch_warnings():
            # pandas reads a large file in blocks of rows, and a column with text in some of
            # them ("abc" in a numeric column) as numbers in some blocks and text in others,
            # with a DtypeWarning that its own reader's options would fix: the checks look at
            # each cell as it is either way, and name the text with its line.
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            df = pd.read_csv(
                path,
                dtype={
                    name or f"Unnamed: {i}": str
                    for i, name in enumerate(header)
                    if name not in known
                },
                skiprows=_skiprows(skip),
            )
    except pd.errors.EmptyDataError:
        return None, [Problem(path, "empty file (no header line): expected a header and rows")]
    except UnicodeDecodeError:
        return None, [Problem(path, _not_utf8(path))]
    except pd.errors.ParserError as exc:
        return None, _parser_problems(path, exc)
    if not skip and len(next(_records(path), (0, header))[1]) > len(header):
        # A first row wider than the header (a comma ending each data line, not the header):
        # pandas takes its first fields as the rows' labels without a word, and every column
        # was blamed for its neighbour's values, one line too low.
        raise _OtherWidths
    if df.empty:
        return None, [Problem(path, "no data rows (the file has only a header line)")]
    twice = sorted({name for name in header if header.count(name) > 1} - {""})
    problems = [_unnamed_columns(path, header)] if header.count("") > 1 else []
    if twice:
        names = ", ".join(repr(name) for name in twice)
        problems.append(Problem(path, f"column(s) {names} appear more than once in the header"))
    problems += _named_again(path, header, known)
    if problems:
        return None, problems
    _reread_float_ints(path, df, table, skip)
    text = path.read_bytes()
    if text.count(b"\n") + (not text.endswith(b"\n")) != len(df) + HEADER_LINES:
        # blank lines (or a quoted line break) between the rows, or rows left out
        lines = [line for line in _record_lines(path) if line not in skip]
        if len(lines) == len(df):  # else a file the csv module reads otherwise: as before
            df.index = pd.Index([csv_line_index(line) for line in lines])
    return df, []


def _separator_problem(path: Path, header: Sequence[str]) -> Problem | None:
    """A first line that is no comma-separated header, named before the rows are read: a file
    separated by ';' with decimal commas (a European spreadsheet's export) had every row "more
    fields than the header's 1 names", and a spreadsheet's `sep=,` line made the header."""
    first = ",".join(header)
    if re.fullmatch(r"sep=.", first):
        return Problem(
            path,
            f"the first line, {first!r}, is a spreadsheet's note of the separator, not the "
            "header: delete that line",
        )
    if len(header) == 1 and (other := next((d for d in ";\t|" if d in header[0]), None)):
        return Problem(
            path,
            f"the header is one column, {header[0][:80]!r}: the file seems separated by "
            f"{other!r}; AURA reads comma-separated CSV",
        )
    return None


def _named_again(path: Path, header: Sequence[str], known: set[str]) -> list[Problem]:
    """Columns of the table the header names again in another case or with spaces around the
    name (`age` and `AGE`): the other was kept as an unknown column without a word, and which
    of the two holds the data meant is no guess to make."""
    return [
        Problem(
            path,
            f"column '{name}' is named again as {', '.join(map(repr, again))}: {EXACT_NAMES}, "
            "so which of them holds its values is ambiguous: delete or rename the other",
        )
        for name in header
        if name in known and (again := [h for h in header if h != name and _loosely(h, name)])
    ]


def _loosely(header_name: str, name: str) -> bool:
    """Whether a header name is the column's but for its case or the spaces around it, as a
    spreadsheet user may type it (`Age`, ` age `)."""
    return header_name.strip().lower() == name.lower()


def _reread_float_ints(
    path: Path, df: pd.DataFrame, table: TableName, skip: frozenset[int]
) -> None:
    """Integer columns pandas read as floats (an empty cell, a `5.0` or a `1e5` among them),
    replaced by their text: a float holds a number of 2**53 or more only to the nearest even
    number or worse (ids 1234567890123456790 and ...791 were one, and 9223372036854775807
    refused as 2**63, too large for an int64), and an id in exponent form shows only in it."""
    floats = [
        f.name
        for f in fields(table)
        if f.kind == "int" and f.name in df and pd.api.types.is_float_dtype(df[f.name])
    ]
    if floats:
        text = pd.read_csv(path, usecols=floats, dtype=str, skiprows=_skiprows(skip))
        for name in floats:
            df[name] = text[name].to_numpy()


def _skiprows(lines: frozenset[int]) -> list[int] | None:
    """pandas' `skiprows` for the records starting on these file lines, each on one line: it
    counts a file's lines from 0 (a quoted line break aside, which no record left out holds)."""
    return sorted(line - 1 for line in lines) or None


def _unnamed_columns(path: Path, header: Sequence[str]) -> Problem:
    """Columns without a name, by position: a spreadsheet saves the empty columns at the right
    of its data as trailing commas, and "column(s) '' appear more than once" named none."""
    positions = ", ".join(str(i) for i, name in enumerate(header, start=1) if name == "")
    return Problem(
        path,
        f"the header has no name for columns {positions} (counted from 1; a spreadsheet's empty "
        "columns, saved as trailing commas?): name them or delete those columns",
    )


def _not_text(path: Path) -> str | None:
    """What a file is that no CSV reader should read, told by its first bytes, before its first
    line is taken for a header: a ZIP or gzip archive, or UTF-16 text (a spreadsheet's "Unicode
    Text"). Read as UTF-8 text, their first byte that is not UTF-8 said "a Latin-1 or Windows
    export?", and a first line cut short by a byte of the archive's header that holds a ';' or a
    tab said "the file seems separated by ';'"."""
    with path.open("rb") as fh:
        start = fh.read(max(map(len, [*ARCHIVES, *UTF16_MARKS])))
    if archive := next((what for magic, what in ARCHIVES.items() if start.startswith(magic)), None):
        return archive
    if start.startswith(UTF16_MARKS):
        return (
            'UTF-16 text, not UTF-8 (a spreadsheet\'s "Unicode Text" export?): save it as '
            "comma-separated CSV in UTF-8"
        )
    return None


def _not_utf8(path: Path) -> str:
    """Where a file stops being UTF-8, by line: pandas gives the byte's position in its read
    buffer ("position 4"), which names no place a user can find."""
    raw = path.read_bytes()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return (
            f"not UTF-8 text: byte {raw[exc.start]:#04x} on line {line} (a Latin-1 or Windows "
            "export? save it as UTF-8)"
        )
    return "not UTF-8 text"


def _records(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Each data record with the file line it starts on, blank lines skipped as pandas skips
    them (so the n-th row is not always on line n + 2)."""
    for line, _, record in _spanned_records(path):
        yield line, record


def _spanned_records(path: Path) -> Iterator[tuple[int, int, list[str]]]:
    """Each data record with the file lines it starts and ends on, blank lines skipped."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        reader = csv.reader(fh)
        next(reader, None)
        end = reader.line_num
        for record in reader:
            if len(record) > 1 or (record and record[0].strip()):
                yield end + 1, reader.line_num, record
            end = reader.line_num


def _record_lines(path: Path) -> list[int]:
    """The file line each data record starts on: without them a problem on a row below a
    blank line was reported lines too high."""
    return [line for line, _ in _records(path)]


def _parser_problems(path: Path, exc: pd.errors.ParserError) -> list[Problem]:
    """pandas' tokenizer errors in a user's terms: where a quote opened; rows whose field
    count differs from the header's raise _OtherWidths, to be named each."""
    opened = re.search(r"EOF inside string starting at row (\d+)", str(exc))
    if opened:  # pandas counts the file's lines from 0
        what = (
            f"a double quote opened on line {int(opened.group(1)) + 1} is never closed (the "
            "rest of the file reads as one value)"
        )
        return [Problem(path, what)]
    if _field_counts(path).lines:
        raise _OtherWidths
    return [Problem(path, f"not a readable CSV file: {exc}")]


@dataclass(frozen=True)
class _FieldCounts:
    """The data records whose field count differs from the header's, as (file line, count)."""

    width: int
    longer: tuple[tuple[int, int], ...]
    shorter: tuple[tuple[int, int], ...]
    records: int
    one_line_each: bool
    """Whether every record is on one file line (no value holds a quoted line break)."""

    @property
    def lines(self) -> frozenset[int]:
        return frozenset(line for line, _ in (*self.longer, *self.shorter))

    def problems(self, path: Path, *, rest_checked: bool) -> list[Problem]:
        """Every such row, with its count, so one edit fixes them all (pandas stopped at the
        first long row, "C error: Expected 14 fields in line 10, saw 16"); and whether the
        other rows were checked, their problems reported beside these, or nothing else was."""
        rest = (
            f"their values are checked once they have {self.width}"
            if rest_checked
            else f"the file's other checks run once every row has {self.width}"
        )
        return [
            Problem(
                path,
                f"{more} fields than the header's {self.width} names, {rest} (field counts in "
                f"brackets{hint})",
                lines=tuple(line for line, _ in rows),
                values=tuple(count for _, count in rows),
            )
            for more, rows, hint in (
                ("more", self.longer, "; a value holding a comma must be in double quotes"),
                ("fewer", self.shorter, ""),
            )
            if rows
        ]


def _field_counts(path: Path) -> _FieldCounts:
    """Rows with more or fewer fields than the header has names, read by the csv module."""
    width = len(_header(path))
    longer: list[tuple[int, int]] = []
    shorter: list[tuple[int, int]] = []
    records = 0
    one_line_each = True
    for line, end, record in _spanned_records(path):
        records += 1
        one_line_each &= line == end
        if len(record) != width:
            (longer if len(record) > width else shorter).append((line, len(record)))
    return _FieldCounts(width, tuple(longer), tuple(shorter), records, one_line_each)


def csv_line_index(line: int) -> int:
    """The row label whose `csv_line` is ``line``."""
    return line - csv_line(0)


def _header(path: Path) -> list[str]:
    """The header line's names as written (pandas renames a repeated name to ``name.1``), past
    a byte order mark as pandas reads them: with the mark, a first name given twice went
    unnoticed, and a file separated by ';' was quoted with it."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        return next(csv.reader(fh), [])


def _schema_failures(
    schema: pa.DataFrameSchema, df: pd.DataFrame
) -> tuple[pd.DataFrame | None, pd.DataFrame]:
    """Validate lazily; returns (validated frame or None, failure cases, possibly empty)."""
    try:
        return schema.validate(df, lazy=True), pd.DataFrame(columns=["column", "check", "index"])
    except pandera.errors.SchemaErrors as exc:
        return None, exc.failure_cases


def _validate(
    path: Path, df: pd.DataFrame, table: TableName, require: Sequence[str]
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Raw schema (numbers parse) then typed schema; one Problem per (column, check)."""
    _, raw = _schema_failures(raw_schema(table), df)
    valid, typed = _schema_failures(typed_schema(table, tuple(require)), parse_numbers(df, table))
    # A cell that is not a number was blanked before the typed checks; it is reported once,
    # as a wrong type, not again by a typed check (a missing value, a cast).
    reported = set(zip(raw["column"], raw["index"], strict=True))
    again = [
        (column, index) in reported
        for column, index in zip(typed["column"], typed["index"], strict=True)
    ]
    typed = typed[~np.array(again, dtype=bool)]
    failures = pd.concat([raw, typed], ignore_index=True)
    if failures.empty:
        return _plain_ints(valid, table), []
    position = {f.name: i for i, f in enumerate(fields(table))}
    rank = [
        -1 if check == "column_in_dataframe" else position.get(column, len(position))
        for column, check in zip(failures["column"], failures["check"], strict=True)
    ]
    failures = failures.iloc[np.argsort(rank, kind="stable")]
    header = [str(name) for name in df.columns]
    unknown = [name for name in header if name not in position]
    problems = _near_names(problems_from_failures(path, failures), header, unknown)
    optional = set(optional_columns(table)) - set(require)
    return None, [_empty_optional(p, df, optional) for p in problems]


def _empty_optional(problem: Problem, df: pd.DataFrame, optional: set[str]) -> Problem:
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


def _near_names(
    problems: Sequence[Problem], header: Sequence[str], unknown: Sequence[str]
) -> list[Problem]:
    """A missing column that the header holds in another case or with spaces around it is
    named beside it: "missing column 'age'" over a header with "Age" read as a contradiction.
    Failing that, a name of the header that the table does not know and that is close to it
    (`grade` for `grade_level`) is named as a likely misspelling: it was kept as an unknown
    column without a word. Each such name is offered once, for the missing column it is closest
    to: `expertise_maths` was the misspelling of both `expertise_math` and `expertise_science`."""
    missing = [p.column for p in problems if p.what == MISSING_COLUMN and p.column is not None]
    cased = {name: [h for h in header if _loosely(h, name)] for name in missing}
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


def _plain_ints(df: pd.DataFrame, table: TableName) -> pd.DataFrame:
    """Integer columns as numpy int64 once validated (no missing values remain in them)."""
    ints = [f.name for f in fields(table) if f.kind == "int" and f.name in df and not f.nullable]
    return df.astype(dict.fromkeys(ints, "int64"))


def _memory_problems(paths: Sequence[Path]) -> list[Problem]:
    """Files too large to read and validate in this machine's free memory, named before any is
    read: a sessions file of a few GB ran until the system killed the process, without a word."""
    sizes = {path: path.stat().st_size for path in paths if path.is_file()}
    total = sum(sizes.values())
    available = psutil.virtual_memory().available
    if LOAD_BYTES_PER_BYTE * total <= available:
        return []
    largest = max(sizes, key=lambda path: sizes[path])
    tables = "it" if len(sizes) == 1 else f"the {len(sizes)} tables ({_size(total)} in all)"
    return [
        Problem(
            largest,
            f"too large to load: {_size(sizes[largest])}; reading and validating {tables} takes "
            f"about {_size(LOAD_BYTES_PER_BYTE * total)} of memory ({LOAD_BYTES_PER_BYTE} times "
            f"the size of the CSV text) and this machine has {_size(available)} available",
        )
    ]


def _size(size: float) -> str:
    return f"{size / 1e9:,.1f} GB" if size >= 1e9 else f"{size / 1e6:,.0f} MB"


def _check_table(
    path: Path, table: TableName, require: Sequence[str]
) -> tuple[pd.DataFrame | None, list[Problem]]:
    try:
        df, problems = _read_csv(path, table)
    except _OtherWidths:
        return None, _with_other_widths(path, table, require, _field_counts(path))
    if df is None:
        return None, problems
    valid, problems = _checked(path, df, table, require)
    if not problems:
        return valid, []
    # pandas pads a row shorter than the header with missing values without a word: its
    # fields were blamed on the columns they had slid into. Looked for only once something
    # is wrong, as it reads the file again.
    counts = _field_counts(path)
    if counts.lines:
        return None, _with_other_widths(path, table, require, counts)
    return None, _as_written(path, df.index, table, problems)


def _checked(
    path: Path, df: pd.DataFrame, table: TableName, require: Sequence[str]
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The table validated, or its problems: rows at fault as a whole first, then by column."""
    faults = _whole_row_faults(path, df)
    whole_rows = np.logical_or.reduce(list(faults.values()))
    valid, problems = _validate(path, df[~whole_rows] if whole_rows.any() else df, table, require)
    if valid is not None:
        # the relations between its columns, once each column of the other rows is valid: with
        # a row of commas alone they went unchecked, to be named only once it was deleted
        problems = table_problems(path, valid, table)
        valid = None if problems or whole_rows.any() else valid
    return valid, [
        *(
            Problem(path, what, lines=tuple(csv_line(i) for i in df.index[rows]))
            for what, rows in faults.items()
            if rows.any()
        ),
        *problems,
    ]


def _with_other_widths(
    path: Path, table: TableName, require: Sequence[str], counts: _FieldCounts
) -> list[Problem]:
    """The rows whose field count is not the header's, and the problems of the others, read
    without them: a row of the header's width has its values under the right names, so they
    are blamed on the right columns. Only where those rows are the most (else the header may
    be the line at fault, and the rows that agree with it the misaligned ones) and each is on
    one line (as pandas leaves rows out by line); otherwise nothing else is checked yet, and
    the message says so."""
    skip = counts.lines
    if 2 * len(skip) < counts.records and counts.one_line_each:
        try:
            df, problems = _read_csv(path, table, skip)
        except _OtherWidths:  # pandas splits a record otherwise than the csv module
            df, problems = None, []
        if df is not None:
            _, problems = _checked(path, df, table, require)
            problems = _as_written(path, df.index, table, problems, skip)
        if df is not None or problems:
            return [*counts.problems(path, rest_checked=True), *problems]
    return counts.problems(path, rest_checked=False)


def _as_written(
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
        path, usecols=columns, dtype=str, na_filter=False, skiprows=_skiprows(skip)
    ).set_axis(rows)

    def as_written(p: Problem) -> Problem:
        if _all_missing(p):
            return _markers_named(p, text[p.column])
        written = tuple(text.loc[[csv_line_index(line) for line in p.lines], p.column])
        if _read_as_missing(p):
            return _marker_hint(p, written, by_name[p.column])
        return _spreadsheet_hint(replace(p, values=written), by_name[p.column])

    return [as_written(p) if p in quoted else p for p in problems]


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
    (`_empty_optional`)."""
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


def _whole_row_faults(path: Path, df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Rows at fault in every column, by fault, to name once each rather than in each column:
    a spreadsheet saves rows it once had data in as commas alone, and files joined together
    repeat their header."""
    header = _header(path)
    again = df.iloc[:, 0].isin(header[:1]).to_numpy(copy=True)  # only these can be the header
    again[again] = (df[again].fillna("").astype(str).to_numpy() == header).all(axis=1)
    return {
        "no value in any field (a spreadsheet's empty rows, saved as commas alone?): delete "
        "them": df.isna().all(axis="columns").to_numpy(),
        "the header line again (files joined together?): delete it": again,
    }


def _column_list(table: TableName, names: Sequence[str]) -> tuple[str, ...]:
    """The optional columns a caller requires of `table`. A single name given as a string is
    itself a sequence of names, one a letter, and was refused as unknown columns 's', 't', ..."""
    if isinstance(names, str):
        raise ValueError(
            f"require: the {table} columns must be a list of names, such as [{names!r}], not "
            f"the string {names!r}"
        )
    return tuple(names)


def load_table(path: str | Path, kind: TableName, *, require: Sequence[str] = ()) -> pd.DataFrame:
    """Read and validate one table (`kind`: learners, tutors or sessions) from a CSV file.

    `require` names optional columns the caller needs (e.g. `("strategy", "propensity")`).
    Raises DataValidationError naming the file, the columns and the CSV lines at fault.
    """
    fields(kind)  # unknown kind: ValueError naming the valid ones
    require = _column_list(kind, require)
    path = Path(path).expanduser()  # "~/..." is the home folder's, as pandas reads it
    too_large = _memory_problems([path])
    if too_large:
        raise DataValidationError(too_large)
    df, problems = _check_table(path, kind, require)
    if problems or df is None:
        raise DataValidationError(problems)
    return df.reset_index(drop=True)


def reference_problems(
    sessions: pd.DataFrame, learners: pd.DataFrame, tutors: pd.DataFrame, sessions_path: Path
) -> list[Problem]:
    """Sessions whose learner_id or tutor_id is not in the learners or tutors table."""
    problems = []
    for column, table, other in (
        ("learner_id", learners, FILES["learners"]),
        ("tutor_id", tutors, FILES["tutors"]),
    ):
        unknown = ~sessions[column].isin(table[column])
        if unknown.any():
            problems.append(
                Problem(
                    sessions_path,
                    f"unknown {column} (not in {other})",
                    column=column,
                    lines=tuple(csv_line(i) for i in sessions.index[unknown]),
                    values=tuple(int(v) for v in sessions.loc[unknown, column]),
                )
            )
    return problems


def _mismatch(
    path: Path, table: pd.DataFrame, column: str, expected: pd.Series, what: str
) -> list[Problem]:
    """Rows whose `column` differs from `expected` by more than the tolerance. A missing
    expected value (the mean of a learner without sessions, whose count of 0 the loader takes)
    is nothing to match: such a learner's scores were refused whatever they held."""
    recorded = table[column].astype(float).to_numpy()
    expected_values = expected.to_numpy(dtype=float)
    differs = ~(np.abs(recorded - expected_values) <= AGGREGATE_TOLERANCE)
    bad = differs & ~np.isnan(expected_values)
    if not bad.any():
        return []
    return [
        Problem(
            path,
            f"does not match {what} in {FILES['sessions']} (tolerance {AGGREGATE_TOLERANCE:g})",
            column=column,
            lines=tuple(csv_line(i) for i in table.index[bad]),
            values=tuple(table[column].to_numpy()[bad].tolist()),
        )
    ]


def aggregate_problems(data: Datasets) -> list[Problem]:
    """Learner and tutor aggregates that disagree with the sessions table.

    A platform's learner table may count sessions that its sessions export leaves out, so this
    is a check to ask for (`check_aggregates=True`), not a requirement; simulated data passes it.
    """
    sessions, learners, tutors = data.sessions, data.learners, data.tutors
    lpath, tpath = data.folder / FILES["learners"], data.folder / FILES["tutors"]
    by_learner = sessions.groupby("learner_id")
    ids = learners["learner_id"]
    problems = _mismatch(
        lpath,
        learners,
        "session_count",
        by_learner.size().reindex(ids, fill_value=0),
        "the learner's number of sessions",
    )
    for column, source in (
        ("engagement_score", "engagement_score"),
        ("success_rate", "exercise_success_rate"),
        ("learning_progress_score", "learning_outcome_score"),
    ):
        problems += _mismatch(
            lpath,
            learners,
            column,
            by_learner[source].mean().reindex(ids),
            f"the mean {source} of the learner's sessions",
        )
    problems += _mismatch(
        tpath,
        tutors,
        "total_sessions",
        sessions.groupby("tutor_id").size().reindex(tutors["tutor_id"], fill_value=0),
        "the tutor's number of sessions",
    )
    return problems


def load_datasets(
    folder: str | Path,
    *,
    require: Mapping[TableName, Sequence[str]] | None = None,
    check_aggregates: bool = False,
) -> Datasets:
    """Read and validate the learners, tutors and sessions CSVs of `folder`.

    Every file is checked and every problem reported in one DataValidationError (file, column,
    CSV line numbers). Cross-table checks run once the tables themselves are valid.
    `require` maps a table to optional columns the caller needs; `check_aggregates` also checks
    the learner and tutor aggregates against the sessions.
    """
    folder = Path(folder).expanduser()  # "~/..." is the home folder's, as pandas reads it
    if not folder.is_dir():
        what = "is a file, not a folder" if folder.exists() else "dataset folder not found"
        problem = Problem(folder, f"{what} (aura generate or notebook 01 writes it)")
        raise DataValidationError([problem], message=f"{folder}: {problem.describe()}")
    require = require or {}
    unknown = sorted(set(require) - set(TABLES))
    if unknown:
        raise ValueError(f"require: unknown table(s) {', '.join(unknown)}; expected {TABLES}")
    require = {table: _column_list(table, names) for table, names in require.items()}
    problems = _memory_problems([folder / FILES[table] for table in TABLES])
    if problems:
        raise DataValidationError(problems)
    tables: dict[str, pd.DataFrame | None] = {}
    for table in TABLES:
        tables[table], found = _check_table(folder / FILES[table], table, require.get(table, ()))
        problems += found
    if problems:
        raise DataValidationError(problems)
    data = Datasets(
        learners=tables["learners"],
        tutors=tables["tutors"],
        sessions=tables["sessions"],
        folder=folder,
    )
    problems = reference_problems(
        data.sessions, data.learners, data.tutors, folder / FILES["sessions"]
    )
    if not problems:
        problems = match_problems(
            data.sessions, data.learners, data.tutors, folder / FILES["sessions"]
        )
        problems += aggregate_problems(data) if check_aggregates else []
    if problems:
        raise DataValidationError(
            [
                written
                for table in TABLES
                for written in _as_written(
                    folder / FILES[table],
                    getattr(data, table).index,
                    table,
                    [p for p in problems if p.file == folder / FILES[table]],
                )
            ]
        )
    return Datasets(  # rows labelled 0..n-1 again, once no problem needs their file lines
        learners=data.learners.reset_index(drop=True),
        tutors=data.tutors.reset_index(drop=True),
        sessions=data.sessions.reset_index(drop=True),
        folder=folder,
    )
