"""Read a CSV file's own text, and name what is wrong with the file as a whole.

pandas reads a file that is no comma-separated UTF-8 text, or whose rows have another field count
than its header, with a message that names no place a user can find (a byte's position in its
buffer, the first long row alone), or without a word (a short row padded, a wide first row's fields
taken for the rows' labels). These functions look at the file itself: its first bytes, its header
line as written, and each record with the file line it starts on, as the csv module reads it. So
`aura.data.loading` can name such a problem by line, before or in place of the checks of the
values, and label each row it reads with its file line.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from aura.data.errors import Problem, csv_line
from aura.data.schemas import TableName, fields

UTF16_MARKS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
ARCHIVES = {
    b"PK\x03\x04": "a ZIP archive (an Excel workbook, .xlsx?), not CSV text: save it as CSV UTF-8",
    b"\x1f\x8b": "gzip-compressed, not CSV text: decompress it",
}
"""The first bytes of files that are no text at all, and what they are."""
EXACT_NAMES = "names are exact (lower case, no spaces)"
"""Said beside a header name that is a column's but for its case or the spaces around it."""


class OtherWidths(Exception):
    """Rows with another field count than the header's: pandas' reading of the file is not to
    be trusted (it refuses a long row, pads a short one, or takes a wide first row's fields as
    the rows' labels)."""


def read_header(path: Path) -> list[str]:
    """The header line's names as written (pandas renames a repeated name to ``name.1``), past
    a byte order mark as pandas reads them: with the mark, a first name given twice went
    unnoticed, and a file separated by ';' was quoted with it."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        return next(csv.reader(fh), [])


def not_text(path: Path) -> str | None:
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


def not_utf8(path: Path) -> str:
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


def separator_problem(path: Path, header: Sequence[str]) -> Problem | None:
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


def unnamed_columns(path: Path, header: Sequence[str]) -> Problem:
    """Columns without a name, by position: a spreadsheet saves the empty columns at the right
    of its data as trailing commas, and "column(s) '' appear more than once" named none."""
    positions = ", ".join(str(i) for i, name in enumerate(header, start=1) if name == "")
    return Problem(
        path,
        f"the header has no name for columns {positions} (counted from 1; a spreadsheet's empty "
        "columns, saved as trailing commas?): name them or delete those columns",
    )


def named_again(path: Path, header: Sequence[str], known: set[str]) -> list[Problem]:
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
        if name in known and (again := [h for h in header if h != name and loosely(h, name)])
    ]


def loosely(header_name: str, name: str) -> bool:
    """Whether a header name is the column's but for its case or the spaces around it, as a
    spreadsheet user may type it (`Age`, ` age `)."""
    return header_name.strip().lower() == name.lower()


def records(path: Path) -> Iterator[tuple[int, list[str]]]:
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


def record_lines(path: Path) -> list[int]:
    """The file line each data record starts on: without them a problem on a row below a
    blank line was reported lines too high."""
    return [line for line, _ in records(path)]


def csv_line_index(line: int) -> int:
    """The row label whose `csv_line` is ``line``."""
    return line - csv_line(0)


def skiprows(lines: frozenset[int]) -> list[int] | None:
    """pandas' `skiprows` for the records starting on these file lines, each on one line: it
    counts a file's lines from 0 (a quoted line break aside, which no record left out holds)."""
    return sorted(line - 1 for line in lines) or None


def reread_float_ints(path: Path, df: pd.DataFrame, table: TableName, skip: frozenset[int]) -> None:
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
        text = pd.read_csv(path, usecols=floats, dtype=str, skiprows=skiprows(skip))
        for name in floats:
            df[name] = text[name].to_numpy()


def parser_problems(path: Path, exc: pd.errors.ParserError) -> list[Problem]:
    """pandas' tokenizer errors in a user's terms: where a quote opened; rows whose field
    count differs from the header's raise OtherWidths, to be named each."""
    opened = re.search(r"EOF inside string starting at row (\d+)", str(exc))
    if opened:  # pandas counts the file's lines from 0
        what = (
            f"a double quote opened on line {int(opened.group(1)) + 1} is never closed (the "
            "rest of the file reads as one value)"
        )
        return [Problem(path, what)]
    if field_counts(path).lines:
        raise OtherWidths
    return [Problem(path, f"not a readable CSV file: {exc}")]


@dataclass(frozen=True)
class FieldCounts:
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


def field_counts(path: Path) -> FieldCounts:
    """Rows with more or fewer fields than the header has names, read by the csv module."""
    width = len(read_header(path))
    longer: list[tuple[int, int]] = []
    shorter: list[tuple[int, int]] = []
    records = 0
    one_line_each = True
    for line, end, record in _spanned_records(path):
        records += 1
        one_line_each &= line == end
        if len(record) != width:
            (longer if len(record) > width else shorter).append((line, len(record)))
    return FieldCounts(width, tuple(longer), tuple(shorter), records, one_line_each)


def whole_row_faults(path: Path, df: pd.DataFrame) -> dict[str, np.ndarray]:
    """Rows at fault in every column, by fault, to name once each rather than in each column:
    a spreadsheet saves rows it once had data in as commas alone, and files joined together
    repeat their header."""
    header = read_header(path)
    again = df.iloc[:, 0].isin(header[:1]).to_numpy(copy=True)  # only these can be the header
    again[again] = (df[again].fillna("").astype(str).to_numpy() == header).all(axis=1)
    return {
        "no value in any field (a spreadsheet's empty rows, saved as commas alone?): delete "
        "them": df.isna().all(axis="columns").to_numpy(),
        "the header line again (files joined together?): delete it": again,
    }
