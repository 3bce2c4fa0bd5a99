"""Load the three tables from any folder, validated, so the pipeline runs on a platform's own data.

A folder holds `learners_data.csv`, `tutors_data.csv` and `sessions_data.csv` (the names
`aura.sim.write_datasets` writes). Each file is read with pandas and checked by its pandera
schemas (`aura.data.schemas`) and the relations the data dictionary defines between its columns
(`aura.data.consistency`); then the tables are checked against each other (every session's
learner and tutor exist, its style and language match agree with theirs) and, on request, the
learner and tutor aggregates against the sessions (`aura.data.cross_table`).
Every problem found in every file is reported at once in one `DataValidationError`. The files are
only read, never modified; columns the schemas do not know are kept as they are, as text.
What is wrong with a file as a whole (not CSV text, a row of another width) is found by
`aura.data.csv_reading`, and `aura.data.value_hints` says how a refused value was written.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.errors
import pandera.pandas as pa
import psutil

from aura.data.consistency import match_problems, table_problems
from aura.data.cross_table import aggregate_problems, reference_problems
from aura.data.csv_reading import (
    FieldCounts,
    OtherWidths,
    csv_line_index,
    field_counts,
    named_again,
    not_text,
    not_utf8,
    parser_problems,
    read_header,
    record_lines,
    records,
    reread_float_ints,
    separator_problem,
    skiprows,
    unnamed_columns,
    whole_row_faults,
)
from aura.data.errors import (
    HEADER_LINES,
    DataValidationError,
    Problem,
    csv_line,
    problems_from_failures,
)
from aura.data.schemas import (
    TABLES,
    TableName,
    fields,
    optional_columns,
    parse_numbers,
    raw_schema,
    typed_schema,
)
from aura.data.value_hints import as_written, empty_optional, near_names
from aura.sim.io import FILES

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


def _read_csv(
    path: Path, table: TableName, skip: frozenset[int] = frozenset()
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The table as pandas reads it, or the problems that keep it from being read; the records
    starting on the file lines ``skip`` left out. Raises OtherWidths."""
    if not path.is_file():
        what = "is a folder, not a file" if path.is_dir() else "file not found"
        return None, [Problem(path, f"{what} (expected the {table} table as CSV)")]
    if path.stat().st_size == 0:
        return None, [Problem(path, "empty file (0 bytes): expected a header line and data rows")]
    # Columns the schemas do not know are read as text, to be kept as the file has them: pandas
    # would make a postcode 01234 the number 1234, and TRUE a boolean. A column without a name
    # is pandas' `Unnamed: <position>` (an index pandas wrote: 007 was read as 7).
    if not_csv := not_text(path):
        return None, [Problem(path, not_csv)]
    known = {f.name for f in fields(table)}
    header = read_header(path)
    if not_commas := separator_problem(path, header):
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
                skiprows=skiprows(skip),
            )
    except pd.errors.EmptyDataError:
        return None, [Problem(path, "empty file (no header line): expected a header and rows")]
    except UnicodeDecodeError:
        return None, [Problem(path, not_utf8(path))]
    except pd.errors.ParserError as exc:
        return None, parser_problems(path, exc)
    if not skip and len(next(records(path), (0, header))[1]) > len(header):
        # A first row wider than the header (a comma ending each data line, not the header):
        # pandas takes its first fields as the rows' labels without a word, and every column
        # was blamed for its neighbour's values, one line too low.
        raise OtherWidths
    if df.empty:
        return None, [Problem(path, "no data rows (the file has only a header line)")]
    twice = sorted({name for name in header if header.count(name) > 1} - {""})
    problems = [unnamed_columns(path, header)] if header.count("") > 1 else []
    if twice:
        names = ", ".join(repr(name) for name in twice)
        problems.append(Problem(path, f"column(s) {names} appear more than once in the header"))
    problems += named_again(path, header, known)
    if problems:
        return None, problems
    reread_float_ints(path, df, table, skip)
    text = path.read_bytes()
    if text.count(b"\n") + (not text.endswith(b"\n")) != len(df) + HEADER_LINES:
        # blank lines (or a quoted line break) between the rows, or rows left out
        lines = [line for line in record_lines(path) if line not in skip]
        if len(lines) == len(df):  # else a file the csv module reads otherwise: as before
            df.index = pd.Index([csv_line_index(line) for line in lines])
    return df, []


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
    problems = near_names(problems_from_failures(path, failures), header, unknown)
    optional = set(optional_columns(table)) - set(require)
    return None, [empty_optional(p, df, optional) for p in problems]


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
    except OtherWidths:
        return None, _with_other_widths(path, table, require, field_counts(path))
    if df is None:
        return None, problems
    valid, problems = _checked(path, df, table, require)
    if not problems:
        return valid, []
    # pandas pads a row shorter than the header with missing values without a word: its
    # fields were blamed on the columns they had slid into. Looked for only once something
    # is wrong, as it reads the file again.
    counts = field_counts(path)
    if counts.lines:
        return None, _with_other_widths(path, table, require, counts)
    return None, as_written(path, df.index, table, problems)


def _checked(
    path: Path, df: pd.DataFrame, table: TableName, require: Sequence[str]
) -> tuple[pd.DataFrame | None, list[Problem]]:
    """The table validated, or its problems: rows at fault as a whole first, then by column."""
    faults = whole_row_faults(path, df)
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
    path: Path, table: TableName, require: Sequence[str], counts: FieldCounts
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
        except OtherWidths:  # pandas splits a record otherwise than the csv module
            df, problems = None, []
        if df is not None:
            _, problems = _checked(path, df, table, require)
            problems = as_written(path, df.index, table, problems, skip)
        if df is not None or problems:
            return [*counts.problems(path, rest_checked=True), *problems]
    return counts.problems(path, rest_checked=False)


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
                for written in as_written(
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
