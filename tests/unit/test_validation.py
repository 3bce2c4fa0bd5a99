"""Bad input gets one readable error naming the file, the column and the CSV lines at fault.

Each test corrupts a copy of a small generated dataset in one way and checks the message; CSV
lines count the header as line 1, so the k-th data row is line k + 1.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from aura.data import DataValidationError, load_datasets, load_table
from aura.sim import FILES, write_datasets
from aura.sim.vocab import SUBJECTS

Rows = list[list[str]]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small")
    write_datasets(out, seed=5, n_learners=200, n_tutors=10, n_sessions=400)
    return out


def edit(folder: Path, table: str, change: Callable[[Rows], Rows | None]) -> Path:
    """Rewrite one CSV through `change` (which edits the rows in place or returns new ones)."""
    path = folder / FILES[table]
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    rows = change(rows) or rows
    with path.open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path


def set_cell(line: int, column: str, value: str) -> Callable[[Rows], None]:
    """Set `column` on CSV line `line` (the header is line 1)."""

    def change(rows: Rows) -> None:
        rows[line - 1][rows[0].index(column)] = value

    return change


def drop_column(column: str) -> Callable[[Rows], Rows]:
    def change(rows: Rows) -> Rows:
        i = rows[0].index(column)
        return [row[:i] + row[i + 1 :] for row in rows]

    return change


def error_of(folder: Path, **kwargs) -> DataValidationError:
    with pytest.raises(DataValidationError) as info:
        load_datasets(folder, **kwargs)
    return info.value


def test_a_valid_folder_loads_and_no_file_is_modified(folder: Path) -> None:
    before = {p: p.read_bytes() for p in folder.rglob("*.csv")}
    data = load_datasets(folder, check_aggregates=True)
    assert (len(data.learners), len(data.tutors), len(data.sessions)) == (200, 10, 400)
    assert data.folder == folder
    assert data.sessions["learner_id"].dtype == "int64"
    assert {p: p.read_bytes() for p in folder.rglob("*.csv")} == before


def test_one_table_loads_alone(folder: Path) -> None:
    learners = load_table(folder / FILES["learners"], "learners")
    assert len(learners) == 200
    with pytest.raises(ValueError, match="unknown table 'students'"):
        load_table(folder / FILES["learners"], "students")


def test_missing_file(folder: Path) -> None:
    (folder / FILES["tutors"]).unlink()
    message = str(error_of(folder))
    assert str(folder / FILES["tutors"]) in message
    assert "file not found" in message


def test_missing_folder(tmp_path: Path) -> None:
    assert "dataset folder not found" in str(error_of(tmp_path / "nowhere"))


def test_empty_file(folder: Path) -> None:
    (folder / FILES["sessions"]).write_bytes(b"")
    message = str(error_of(folder))
    assert str(folder / FILES["sessions"]) in message and "empty file (0 bytes)" in message


def test_header_only_file(folder: Path) -> None:
    path = edit(folder, "learners", lambda rows: rows[:1])
    message = str(error_of(folder))
    assert str(path) in message and "only a header line" in message


def test_rows_with_other_field_counts_are_all_named_by_line(folder: Path) -> None:
    """pandas stopped at the first long row in its tokenizer's words ("C error: Expected 14
    fields in line 10, saw 16") and said nothing of short ones."""

    def ragged(rows: Rows) -> None:
        rows[9] += ["x", "y"]  # line 10
        rows[20] = rows[20][:10]  # line 21
        rows[30] += ["z"]  # line 31

    path = edit(folder, "learners", ragged)
    width = len(path.read_text().splitlines()[0].split(","))
    message = str(error_of(folder))
    assert (
        f"{path}:\n  - more fields than the header's {width} names, their values are checked "
        f"once they have {width} (field counts in brackets; a value holding a comma must be in "
        f"double quotes) in 2 rows: lines 10 ({width + 2}), 31 ({width + 1})\n  - fewer fields "
        f"than the header's {width} names, their values are checked once they have {width} "
        "(field counts in brackets) in 1 row: line 21 (10)"
    ) in message


def test_an_unclosed_quote_is_named_by_the_line_it_opens(folder: Path) -> None:
    path = folder / FILES["tutors"]
    lines = path.read_text().split("\n")
    lines[6] = lines[6].replace(",", ',"', 1)  # line 7
    path.write_text("\n\n".join(lines[:3]) + "\n" + "\n".join(lines[3:]))  # 2 blank lines
    message = str(error_of(folder))
    assert f"{path}:\n  - a double quote opened on line 9 is never closed" in message


def test_a_file_that_is_not_utf8_is_named_by_its_line(folder: Path) -> None:
    """pandas said "can't decode byte 0xe9 in position 4", a place in its read buffer."""
    path = folder / FILES["learners"]
    lines = path.read_bytes().split(b"\n")
    lines[6] = lines[6].replace(b",", "é,".encode("latin-1"), 1)  # line 7, as Latin-1
    path.write_bytes(b"\n".join(lines))
    message = str(error_of(folder))
    assert f"{path}:\n  - not UTF-8 text: byte 0xe9 on line 7 (a Latin-1" in message


def test_missing_column(folder: Path) -> None:
    path = edit(folder, "learners", drop_column("grade_level"))
    message = str(error_of(folder))
    assert f"{path}:\n  - column 'grade_level': missing column (required)" in message


def test_optional_columns_may_be_absent_unless_required(folder: Path) -> None:
    path = edit(folder, "sessions", drop_column("propensity"))
    edit(folder, "sessions", drop_column("timestamp"))
    assert "propensity" not in load_datasets(folder).sessions
    message = str(error_of(folder, require={"sessions": ["strategy", "propensity"]}))
    assert f"{path}:\n  - column 'propensity': missing column (required)" in message
    assert "strategy" not in message


@pytest.mark.parametrize(
    ("require", "message"),
    [
        ({"session": ["strategy"]}, "require: unknown table(s) session; expected"),
        ({"sessions": ["stratgy"]}, "cannot require unknown sessions column(s): stratgy"),
    ],
)
def test_a_misspelt_requirement_is_named(folder: Path, require: dict, message: str) -> None:
    """A caller's typo must not pass as 'nothing extra required'."""
    with pytest.raises(ValueError, match=re.escape(message)):
        load_datasets(folder, require=require)


def test_a_requirement_given_as_one_string_is_refused_as_such(folder: Path) -> None:
    """A string is a sequence of names too, one a letter: require={"sessions": "strategy"} was
    refused as the unknown columns a, e, g, r, s, t, y."""
    message = "require: the sessions columns must be a list of names, such as ['strategy']"
    with pytest.raises(ValueError, match=re.escape(message)):
        load_datasets(folder, require={"sessions": "strategy"})
    with pytest.raises(ValueError, match=re.escape(message)):
        load_table(folder / FILES["sessions"], "sessions", require="strategy")


def test_text_in_a_numeric_column(folder: Path) -> None:
    edit(folder, "learners", set_cell(7, "age", "twelve"))
    path = edit(folder, "learners", set_cell(9, "grade_level", "3.5"))
    problems = error_of(folder).problems
    message = "\n".join(p.describe() for p in problems)
    assert "column 'age': wrong type: not a number in 1 row: line 7 ('twelve')" in message
    assert "column 'grade_level': wrong type: not a whole number in 1 row: line 9 (3.5)" in message
    assert {p.file for p in problems} == {path}
    assert "missing value" not in message  # the blanked cell is not reported twice


def test_a_spreadsheets_way_of_writing_a_number_is_named_beside_it(folder: Path) -> None:
    """A percentage, a thousands separator and a decimal comma were each "not a number" with no
    cause named. A percentage is written as a share where the column is one, else without its
    sign; causes are named once each, and a column's values stay one line."""
    edit(folder, "learners", set_cell(3, "session_count", "1,234"))
    edit(folder, "learners", set_cell(4, "session_count", "2,500,000"))
    edit(folder, "learners", set_cell(5, "session_count", "abc"))
    edit(folder, "learners", set_cell(3, "engagement_score", "84%"))
    edit(folder, "learners", set_cell(4, "engagement_score", "0,84"))
    edit(folder, "learners", set_cell(5, "engagement_score", "5%"))
    edit(folder, "learners", set_cell(3, "attention_span_minutes", "90%"))
    edit(folder, "learners", set_cell(4, "attention_span_minutes", "1,500"))
    problems = error_of(folder).problems
    assert [p.describe() for p in problems] == [
        "column 'session_count': wrong type: not a number (a thousands separator? write 1,234 "
        "as 1234) in 3 rows: lines 3 ('1,234'), 4 ('2,500,000'), 5 ('abc')",
        "column 'attention_span_minutes': wrong type: not a number (a percentage? write 90% "
        "without the % sign; a thousands separator or a decimal comma? write 1,500 as 1500 or "
        "1.500) in 2 rows: lines 3 ('90%'), 4 ('1,500')",
        "column 'engagement_score': wrong type: not a number (a percentage? write 84% as 0.84: "
        "the column is a share, 0 to 1; a decimal comma? write 0,84 as 0.84) in 3 rows: lines "
        "3 ('84%'), 4 ('0,84'), 5 ('5%')",
    ]
    assert problems[0].values == ("1,234", "2,500,000", "abc")


def test_out_of_range_values(folder: Path) -> None:
    edit(folder, "learners", set_cell(4, "age", "25"))
    edit(folder, "learners", set_cell(11, "age", "7"))
    path = edit(folder, "sessions", set_cell(3, "propensity", "0"))
    message = str(error_of(folder))
    assert "column 'age': out of range: must be in [8, 18] in 2 rows: lines 4 (25), 11 (7)" in (
        message
    )
    assert (
        f"{path}:\n  - column 'propensity': out of range: must be in (0, 1] in 1 row: line 3"
        in (message)
    )


def test_a_negative_improvement_rate_is_refused_and_an_empty_one_kept(folder: Path) -> None:
    """A tutor's mean learning gain is >= 0 (docs/data.md); only a tutor without sessions has
    none."""
    edit(folder, "tutors", set_cell(3, "student_improvement_rate", "-0.2"))
    path = edit(folder, "tutors", set_cell(4, "student_improvement_rate", ""))
    message = str(error_of(folder))
    assert (
        f"{path}:\n  - column 'student_improvement_rate': out of range: must be >= 0 in 1 row: "
        "line 3 (-0.2)"
    ) in message
    assert "line 4" not in message


def test_unknown_category(folder: Path) -> None:
    path = edit(folder, "learners", set_cell(5, "learning_style", "musical"))
    edit(folder, "tutors", set_cell(2, "subjects", "math;cooking"))
    message = str(error_of(folder))
    assert f"{path}:\n  - column 'learning_style': unknown category" in message
    assert "line 5 ('musical')" in message
    assert "column 'subjects': unknown category in a ';'-separated list" in message
    assert "line 2 ('math;cooking')" in message


def test_missing_value(folder: Path) -> None:
    """An empty cell and the words pandas reads as missing (NA, nan, null) alike; a word is
    quoted as the file writes it, with the number to write in its place."""
    edit(folder, "tutors", set_cell(6, "rating", ""))
    edit(folder, "tutors", set_cell(9, "rating", "nan"))
    message = str(error_of(folder))
    assert (
        "column 'rating': missing value ('nan' is read as a missing value marker: write a number "
        "in its place, the column allows no missing value) in 2 rows: lines 6 (''), 9 ('nan')"
    ) in message
    edit(folder, "tutors", set_cell(9, "rating", ""))
    assert (
        "column 'rating': missing value (an empty cell, or a word such as NA, NaN or null) "
        "in 2 rows: lines 6, 9"
    ) in str(error_of(folder))


def test_a_word_for_a_missing_value_is_quoted_with_what_to_write(folder: Path) -> None:
    """What spreadsheets and other tools write for a missing value: pandas reads None, n/a, NA
    and null as one, which a column that must have a number refused as a "missing value" with no
    word quoted, and - or ? as text, "not a number" with no cause named. Each is quoted as
    written, with a number to write where the column allows no missing value and an empty cell
    where it allows one (where pandas' words load as missing); one hint per cause and column."""
    for line, word in enumerate(["None", "n/a", "NA", "null", "-", "?"], start=2):
        edit(folder, "learners", set_cell(line, "age", word))
    for line, word in enumerate(["-", "NA", "?", "None"], start=2):
        edit(folder, "tutors", set_cell(line, "student_improvement_rate", word))
    edit(folder, "sessions", set_cell(4, "propensity", "None"))
    edit(folder, "sessions", set_cell(5, "propensity", "N/A"))
    problems = error_of(folder).problems
    assert [p.describe() for p in problems] == [
        "column 'age': wrong type: not a number (a missing value marker? write a number in place "
        "of '-': the column allows no missing value) in 2 rows: lines 6 ('-'), 7 ('?')",
        "column 'age': missing value ('None' is read as a missing value marker: write a number in "
        "its place, the column allows no missing value) in 4 rows: lines 2 ('None'), 3 ('n/a'), "
        "4 ('NA'), 5 ('null')",
        "column 'student_improvement_rate': wrong type: not a number (a missing value marker? "
        "leave the cell empty in place of '-': the column allows a missing value) in 2 rows: "
        "lines 2 ('-'), 4 ('?')",
        "column 'propensity': missing value ('None' is read as a missing value marker: write a "
        "number in its place, the column allows no missing value) in 2 rows: lines 4 ('None'), "
        "5 ('N/A')",
    ]
    assert [p.file.name for p in problems] == [
        FILES["learners"],
        FILES["learners"],
        FILES["tutors"],
        FILES["sessions"],
    ]


def test_a_word_for_a_missing_value_in_a_category_column_is_quoted_with_what_to_write(
    folder: Path,
) -> None:
    """pandas reads None, NA, n/a and null as a missing value in any column: in a category, list
    or timestamp column that must have a value, each made a "missing value" naming lines alone,
    though the file's cell reads a word. The words are quoted as written, with what to write in
    their place: one of the column's categories, or a timestamp."""
    for line, word in enumerate(["NA", "None", ""], start=2):
        edit(folder, "learners", set_cell(line, "learning_style", word))
    edit(folder, "tutors", set_cell(3, "subjects", "null"))
    edit(folder, "sessions", set_cell(2, "completion_status", "n/a"))
    edit(folder, "sessions", set_cell(4, "timestamp", "NA"))
    problems = error_of(folder).problems
    assert [p.describe() for p in problems] == [
        "column 'learning_style': missing value ('NA' is read as a missing value marker: write "
        "one of visual, auditory, reading_writing, kinesthetic in its place, the column allows no "
        "missing value) in 3 rows: lines 2 ('NA'), 3 ('None'), 4 ('')",
        "column 'subjects': missing value ('null' is read as a missing value marker: write one or "
        "more of math, science, english, history, coding (separated by ';') in its place, the "
        "column allows no missing value) in 1 row: line 3 ('null')",
        "column 'completion_status': missing value ('n/a' is read as a missing value marker: "
        "write one of completed, incomplete in its place, the column allows no missing value) in "
        "1 row: line 2 ('n/a')",
        "column 'timestamp': missing value ('NA' is read as a missing value marker: write an ISO "
        "8601 timestamp (e.g. 2025-09-01T09:00) in its place, the column allows no missing value) "
        "in 1 row: line 4 ('NA')",
    ]
    assert [p.file.name for p in problems] == [
        FILES["learners"],
        FILES["tutors"],
        FILES["sessions"],
        FILES["sessions"],
    ]


def test_an_optional_column_of_words_for_a_missing_value_is_named_with_the_word(
    folder: Path,
) -> None:
    """An optional category column that reads NA in every row (no strategy logged) was said to
    have "no value in any of its rows", over cells that each read a word: the word is named.
    Required, or with some values, each such cell is a missing value quoted as written."""

    def each_row(column: str, word: str) -> Callable[[Rows], None]:
        def change(rows: Rows) -> None:
            i = rows[0].index(column)
            for row in rows[1:]:
                row[i] = word

        return change

    edit(folder, "sessions", each_row("strategy", "NA"))
    assert [p.describe() for p in error_of(folder).problems] == [
        "column 'strategy': no value in any of its 400 rows ('NA' is read as a missing value "
        "marker): the column is optional, so delete it (or fill it)"
    ]
    assert (
        "column 'strategy': missing value ('NA' is read as a missing value marker: write one of "
        "best_rating, subject_expert, cultural_match, teaching_style_match, balanced in its "
        "place, the column allows no missing value) in 400 rows: lines 2 ('NA'), 3 ('NA')"
    ) in str(error_of(folder, require={"sessions": ["strategy"]}))
    edit(folder, "sessions", set_cell(7, "strategy", "balanced"))
    assert "in 399 rows: lines 2 ('NA'), 3 ('NA')" in str(error_of(folder))


def test_a_number_too_large_for_an_integer_is_named_once(folder: Path) -> None:
    edit(folder, "learners", set_cell(4, "learner_id", "1e23"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no cast warning on the way
        message = str(error_of(folder))
    assert message.count("line 4") == 1
    assert "column 'learner_id': wrong type: too large for an integer in 1 row: line 4" in message


def test_a_column_named_twice_in_the_header(folder: Path) -> None:
    """pandas would read the second as 'years_experience.1', an unknown column kept as it is."""

    def rename(rows: Rows) -> None:
        rows[0][rows[0].index("rating")] = "years_experience"

    path = edit(folder, "tutors", rename)
    error = error_of(folder)
    assert [p.file for p in error.problems] == [path]
    assert f"{path}:\n  - column(s) 'years_experience' appear more than once in the header" in (
        str(error)
    )


def test_a_column_named_again_in_another_case_is_refused_as_ambiguous(folder: Path) -> None:
    """A header with `age` and `AGE` loaded, `AGE` kept as an unknown column without a word."""

    def add_ages(rows: Rows) -> Rows:
        return [rows[0] + ["AGE", " Age "], *(row + ["12", "13"] for row in rows[1:])]

    path = edit(folder, "learners", add_ages)
    error = error_of(folder)
    assert [p.describe() for p in error.problems] == [
        "column 'age' is named again as 'AGE', ' Age ': names are exact (lower case, no spaces), "
        "so which of them holds its values is ambiguous: delete or rename the other"
    ]
    assert [p.file for p in error.problems] == [path]


def test_duplicated_id(folder: Path) -> None:
    path = edit(folder, "tutors", set_cell(8, "tutor_id", "3"))
    message = str(error_of(folder))
    assert f"{path}:\n  - column 'tutor_id': duplicated id in 2 rows: lines 4 (3), 8 (3)" in message


def test_unknown_learner_and_tutor_in_sessions(folder: Path) -> None:
    edit(folder, "sessions", set_cell(10, "learner_id", "999"))
    path = edit(folder, "sessions", set_cell(12, "tutor_id", "11"))
    message = str(error_of(folder))
    assert (
        f"{path}:\n  - column 'learner_id': unknown learner_id (not in learners_data.csv) "
        "in 1 row: line 10 (999)"
    ) in message
    assert (
        "column 'tutor_id': unknown tutor_id (not in tutors_data.csv) in 1 row: line 12 (11)"
        in (message)
    )


def test_many_bad_rows_show_the_first_five_and_the_total(folder: Path) -> None:
    def change(rows: Rows) -> None:
        i = rows[0].index("engagement_score")
        for row in rows[1:]:
            row[i] = "1.5"

    edit(folder, "sessions", change)
    problem = error_of(folder).problems[0]
    assert problem.column == "engagement_score" and len(problem.lines) == 400
    assert problem.describe().endswith(
        "in 400 rows: lines 2 (1.5), 3 (1.5), 4 (1.5), 5 (1.5), 6 (1.5), ... (400 rows in total)"
    )


def test_every_file_is_reported_at_once_without_a_pandera_traceback(folder: Path) -> None:
    edit(folder, "learners", set_cell(2, "age", "x"))
    edit(folder, "tutors", drop_column("rating"))
    edit(folder, "sessions", set_cell(2, "completion_status", "done"))
    error = error_of(folder)
    assert {p.file.name for p in error.problems} == set(FILES.values())
    message = str(error)
    assert message.startswith("3 data problems in 3 files")
    assert "SchemaError" not in message and "failure_case" not in message


def test_aggregates_are_checked_on_request(folder: Path) -> None:
    path = edit(folder, "learners", set_cell(3, "engagement_score", "0.0001"))
    assert len(load_datasets(folder).learners) == 200
    message = str(error_of(folder, check_aggregates=True))
    assert f"{path}:\n  - column 'engagement_score': does not match the mean engagement_score" in (
        message
    )
    assert "line 3 (0.0001)" in message


def test_an_integer_out_of_range_is_quoted_as_written_beside_a_fraction(folder: Path) -> None:
    """pandera gives a table's failing values one dtype: beside a fraction out of range, an age
    of 25 and a duplicated id 3 were quoted as 25.0 and 3.0."""
    edit(folder, "learners", set_cell(4, "age", "25"))
    edit(folder, "learners", set_cell(5, "comfort_level_online", "1.5"))
    edit(folder, "learners", set_cell(6, "learner_id", "3"))
    message = str(error_of(folder))
    assert "column 'age': out of range: must be in [8, 18] in 1 row: line 4 (25)" in message
    assert "column 'learner_id': duplicated id in 2 rows: lines 4 (3), 6 (3)" in message
    assert "must be in [0, 1] in 1 row: line 5 (1.5)" in message


def test_columns_without_a_name_are_named_by_position(folder: Path) -> None:
    """A spreadsheet saves empty columns at the right of its data as trailing commas; the
    header's empty names were reported as "column(s) '' appear more than once"."""
    path = folder / FILES["tutors"]
    path.write_text(path.read_text().replace("\n", ",,\n"))
    message = str(error_of(folder))
    n = len(pd.read_csv(path, nrows=0).columns)
    assert (
        f"{path}:\n  - the header has no name for columns {n - 1}, {n} (counted from 1; a "
        "spreadsheet's empty columns, saved as trailing commas?): name them or delete those "
        "columns"
    ) in message
    assert "''" not in message


def test_rows_of_commas_alone_are_named_once(folder: Path) -> None:
    """A spreadsheet saves rows it once had data in as commas alone: each was a missing value
    in every one of the table's columns, a screen of lines for one fault."""
    path = folder / FILES["learners"]
    lines = path.read_text().splitlines()
    commas = "," * (len(lines[0].split(",")) - 1)
    path.write_text("\n".join([*lines[:3], commas, *lines[3:], commas, commas]) + "\n")
    edit(folder, "learners", set_cell(6, "age", "25"))
    problems = error_of(folder).problems
    assert [p.describe() for p in problems] == [
        "no value in any field (a spreadsheet's empty rows, saved as commas alone?): delete them "
        "in 3 rows: lines 4, 203, 204",
        "column 'age': out of range: must be in [8, 18] in 1 row: line 6 (25)",
    ]


def test_a_header_repeated_below_is_named_once(folder: Path) -> None:
    """Files joined together (`cat a.csv b.csv`) repeat their header: that line was a wrong
    type or an unknown category in every one of the table's columns."""
    path = folder / FILES["tutors"]
    lines = path.read_text().splitlines()
    path.write_text("\n".join([*lines[:6], lines[0], *lines[6:]]) + "\n")
    assert [p.describe() for p in error_of(folder).problems] == [
        "the header line again (files joined together?): delete it in 1 row: line 7"
    ]


def test_64_bit_ids_load_exactly(folder: Path) -> None:
    """A platform's ids may be 64-bit integers: read through floats, which hold whole numbers
    exactly only up to 2**53, 1234567890123456790 and ...791 were one id, and every learner a
    duplicate."""
    base = 1234567890123456789

    def shift(*columns: str) -> Callable[[Rows], None]:
        def change(rows: Rows) -> None:
            for column in columns:
                i = rows[0].index(column)
                for row in rows[1:]:
                    row[i] = str(base + int(row[i]))

        return change

    edit(folder, "learners", shift("learner_id"))
    edit(folder, "sessions", shift("learner_id", "session_id"))
    data = load_datasets(folder, check_aggregates=True)
    assert data.learners["learner_id"].tolist() == [base + i for i in range(1, 201)]
    assert data.sessions["learner_id"].isin(data.learners["learner_id"]).all()
    edit(folder, "learners", set_cell(5, "learner_id", "x"))
    problems = error_of(folder).problems
    assert [p.describe() for p in problems] == [
        "column 'learner_id': wrong type: not a number in 1 row: line 5 ('x')"
    ]


def test_columns_the_loader_does_not_know_are_kept_as_text(folder: Path) -> None:
    """docs/data.md: columns the loader does not know are kept as they are; pandas made a
    postcode 01234 the number 1234 and TRUE a boolean."""

    def add_columns(rows: Rows) -> None:
        rows[0] += ["postcode", "consent"]
        for row in rows[1:]:
            row += ["01234", "TRUE"]

    edit(folder, "learners", add_columns)
    learners = load_datasets(folder).learners
    assert learners["postcode"].tolist() == ["01234"] * 200
    assert learners["consent"].tolist() == ["TRUE"] * 200


def test_a_folder_under_the_home_folder_is_read_as_pandas_reads_it(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """load_datasets("~/exports") said "dataset folder not found" of a folder pandas reads."""
    monkeypatch.setenv("HOME", str(folder.parent))
    assert len(load_datasets(f"~/{folder.name}").learners) == 200
    assert len(load_table(f"~/{folder.name}/{FILES['tutors']}", "tutors")) == 10


def test_an_infinite_number_is_named_as_such(folder: Path) -> None:
    """pandas reads inf, Infinity and 1e400 as infinity, which was "not a number (inf)"."""
    for line, value in ((3, "inf"), (4, "-Infinity"), (5, "1e400")):
        edit(folder, "tutors", set_cell(line, "rating", value))
    edit(folder, "tutors", set_cell(6, "rating", "high"))
    assert [p.describe() for p in error_of(folder).problems] == [
        "column 'rating': wrong type: not a number in 1 row: line 6 ('high')",
        "column 'rating': wrong type: infinite (inf, or too large for a float) in 3 rows: lines "
        "3 (inf), 4 (-Infinity), 5 (1e400)",
    ]


def test_a_bad_number_is_quoted_as_the_file_writes_it(folder: Path) -> None:
    """pandas' reading was quoted: -3.0 for -3, inf for Infinity, 25 for 25.0; and a number
    as text ('1e400') or not (1e400) by whether another cell of its column was text. Text that
    is not a number as written stays in quotes, where its spaces show."""
    edit(folder, "learners", set_cell(3, "attention_span_minutes", "-3"))
    edit(folder, "learners", set_cell(4, "comfort_level_online", "Infinity"))
    edit(folder, "learners", set_cell(5, "comfort_level_online", " 2"))
    edit(folder, "learners", set_cell(6, "age", "25.0"))
    edit(folder, "learners", lambda rows: rows.insert(4, []))  # file lines below move down one
    problems = error_of(folder).problems
    assert [p.describe() for p in problems] == [
        "column 'age': out of range: must be in [8, 18] in 1 row: line 7 (25.0)",
        "column 'comfort_level_online': wrong type: infinite (inf, or too large for a float) in "
        "1 row: line 4 (Infinity)",
        "column 'comfort_level_online': out of range: must be in [0, 1] in 1 row: line 6 (' 2')",
        "column 'attention_span_minutes': out of range: must be > 0 in 1 row: line 3 (-3)",
    ]
    assert problems[0].values == ("25.0",)  # as data, too


def test_text_that_only_python_reads_as_a_number_is_quoted(folder: Path) -> None:
    """Python's float reads 1_2 and the digits of other scripts (full-width １２, Arabic-Indic
    ١٢) as 12, which the loader does not: they showed bare beside "not a number", as if they
    were the number the message said they were not."""
    for line, value in ((2, "1_2"), (3, "１２"), (4, "١٢")):
        edit(folder, "learners", set_cell(line, "age", value))
    assert [p.describe() for p in error_of(folder).problems] == [
        "column 'age': wrong type: not a number in 3 rows: lines 2 ('1_2'), 3 ('１２'), 4 ('١٢')"
    ]


def test_a_value_the_checks_across_tables_refuse_is_quoted_as_written(folder: Path) -> None:
    """They quoted the table as read: a tutor_id of 11.0 as 11, a mean of 0.00010 as 0.0001."""
    edit(folder, "learners", set_cell(3, "engagement_score", "0.00010"))
    message = str(error_of(folder, check_aggregates=True))
    assert "does not match the mean engagement_score" in message
    assert "line 3 (0.00010)" in message
    edit(folder, "sessions", set_cell(12, "tutor_id", "11.0"))
    message = str(error_of(folder))
    assert "unknown tutor_id (not in tutors_data.csv) in 1 row: line 12 (11.0)" in message


def test_every_row_wider_than_the_header_is_named_as_such(folder: Path) -> None:
    """A comma ending every data line but not the header: pandas took each row's first field
    as its label without a word, and every column was blamed for its neighbour's values."""
    path = folder / FILES["tutors"]
    header, *rows = path.read_text().splitlines()
    path.write_text("\n".join([header, *(row + "," for row in rows)]) + "\n")
    width = len(header.split(","))
    assert [p.describe() for p in error_of(folder).problems] == [
        f"more fields than the header's {width} names, the file's other checks run once every "
        f"row has {width} (field counts in brackets; a value holding a comma must be in double "
        f"quotes) in 10 rows: lines 2 ({width + 1}), "
        f"3 ({width + 1}), 4 ({width + 1}), 5 ({width + 1}), 6 ({width + 1}), ... (10 rows in "
        "total)"
    ]


def test_a_row_shorter_than_the_header_is_named_as_such(folder: Path) -> None:
    """pandas pads a short row with missing values without a word: a row missing its third
    field was blamed in nine columns for the values that had slid into them."""

    def drop_third_field(rows: Rows) -> None:
        del rows[3][2]

    edit(folder, "learners", drop_third_field)
    assert [p.describe() for p in error_of(folder).problems] == [
        "fewer fields than the header's 14 names, their values are checked once they have 14 "
        "(field counts in brackets) in 1 row: line 4 (13)"
    ]


@pytest.mark.parametrize(
    ("packed", "what"),
    [
        (
            "zip",
            "a ZIP archive (an Excel workbook, .xlsx?), not CSV text: save it as CSV UTF-8",
        ),
        ("gzip", "gzip-compressed, not CSV text: decompress it"),
    ],
)
def test_an_archive_named_csv_is_named_as_such(folder: Path, packed: str, what: str) -> None:
    """A workbook or a compressed file saved under the CSV's name was "not UTF-8 text: byte 0xc5
    on line 1 (a Latin-1 or Windows export?)"."""
    path = folder / FILES["tutors"]
    text = path.read_bytes()
    if packed == "gzip":
        path.write_bytes(gzip.compress(text))
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("xl/worksheets/sheet1.xml", text)
        path.write_bytes(buffer.getvalue())
    assert [p.describe() for p in error_of(folder).problems] == [what]


def test_an_archive_is_named_whatever_its_first_bytes_hold(folder: Path) -> None:
    """A workbook saved at 01:17:54 has the bytes ';' and a line break in its ZIP header (the
    time, 0x0a3b): its first line, taken for a header, read "the file seems separated by ';'",
    as did one in a few workbooks saved at other times."""
    path = folder / FILES["tutors"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        member = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=(2026, 1, 1, 1, 17, 54))
        archive.writestr(member, path.read_bytes())
    assert b";\n" in buffer.getvalue()[:16]
    path.write_bytes(buffer.getvalue())
    assert [p.describe() for p in error_of(folder).problems] == [
        "a ZIP archive (an Excel workbook, .xlsx?), not CSV text: save it as CSV UTF-8"
    ]


def test_a_learner_without_sessions_passes_the_aggregate_check(folder: Path) -> None:
    """A learner may have no session yet (a count of 0): its mean scores have no sessions to
    match, and were refused as not matching them whatever they held."""

    def drop_learner_2(rows: Rows) -> Rows:
        i = rows[0].index("learner_id")
        return [rows[0], *(row for row in rows[1:] if row[i] != "2")]

    edit(folder, "sessions", drop_learner_2)
    edit(folder, "learners", set_cell(3, "session_count", "0"))
    sessions = pd.read_csv(folder / FILES["sessions"])
    totals = sessions.groupby("tutor_id").size()

    def recount(rows: Rows) -> None:
        i, n = rows[0].index("tutor_id"), rows[0].index("total_sessions")
        for row in rows[1:]:
            row[n] = str(totals.get(int(row[i]), 0))

    edit(folder, "tutors", recount)
    learners = load_datasets(folder, check_aggregates=True).learners
    assert learners.loc[learners["learner_id"] == 2, "session_count"].item() == 0
    edit(folder, "learners", set_cell(3, "session_count", "1"))
    message = str(error_of(folder, check_aggregates=True))
    assert "column 'session_count': does not match the learner's number of sessions" in message
    assert "in 1 row: line 3 (1)" in message


def test_a_problem_below_blank_lines_is_named_by_its_line_in_the_file(folder: Path) -> None:
    """pandas skips blank (and blank-looking) lines: a row below them was reported as many
    lines too high, in a table and across tables."""
    edit(folder, "learners", set_cell(13, "age", "nine"))
    edit(folder, "sessions", set_cell(12, "tutor_id", "11"))
    for table in ("learners", "sessions"):
        path = folder / FILES[table]
        lines = path.read_text().split("\n")
        path.write_text("\n".join([*lines[:3], "", "   ", "", *lines[3:]]))  # after line 3
    message = str(error_of(folder))
    assert "column 'age': wrong type: not a number in 1 row: line 16 ('nine')" in message
    learners = folder / FILES["learners"]
    learners.write_text(learners.read_text().replace("nine", "9"))
    message = str(error_of(folder))
    assert "unknown tutor_id (not in tutors_data.csv) in 1 row: line 15 (11)" in message
    edit(folder, "sessions", set_cell(15, "tutor_id", "1"))  # csv drops the blank lines
    data = load_datasets(folder)  # the blank lines of learners_data.csv are skipped, as before
    assert list(data.learners.index) == list(range(len(data.learners)))


def test_a_file_separated_by_semicolons_is_named_as_such(folder: Path) -> None:
    """It gave one "missing column" line per column, fourteen of them, and no word of why."""
    path = folder / FILES["learners"]
    path.write_text(path.read_text().replace(",", ";"))
    message = str(error_of(folder))
    assert "the header is one column, 'learner_id;age;" in message
    assert "the file seems separated by ';'; AURA reads comma-separated CSV" in message
    assert "missing column" not in message


def test_a_file_given_as_the_data_folder_is_named_as_such(tmp_path: Path) -> None:
    a_file = tmp_path / "data.csv"
    a_file.write_text("x\n")
    assert "is a file, not a folder (aura generate or notebook 01 writes it)" in str(
        error_of(a_file)
    )


def test_a_spreadsheets_byte_order_mark_and_windows_line_ends_are_read(folder: Path) -> None:
    """A file saved as "CSV UTF-8" on Windows starts with a byte order mark and ends its lines
    with CR LF: it loads as the plain file does, and its problems keep their lines."""
    plain = load_datasets(folder)
    for path in folder.glob("*.csv"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    windows = load_datasets(folder)
    for table in ("learners", "tutors", "sessions"):
        pd.testing.assert_frame_equal(getattr(windows, table), getattr(plain, table))
    path = folder / FILES["learners"]
    path.write_bytes(path.read_bytes().replace(b"\r\n5,", b"\r\nfive,", 1))
    assert "column 'learner_id': wrong type: not a number in 1 row: line 6 ('five')" in str(
        error_of(folder)
    )


def test_a_byte_order_mark_hides_no_problem_of_the_header(folder: Path) -> None:
    """Read with the mark, the first name was '\\ufefflearner_id': given twice, it passed as
    two names, and a ';'-separated header was quoted with the mark."""
    path = folder / FILES["learners"]
    text = path.read_text()
    path.write_text("\ufeff" + text.replace("grade_level", "learner_id", 1))
    assert f"{path}:\n  - column(s) 'learner_id' appear more than once in the header" in str(
        error_of(folder)
    )
    path.write_text("\ufeff" + text.replace(",", ";"))
    assert "the header is one column, 'learner_id;age;" in str(error_of(folder))


@pytest.mark.parametrize(
    ("separator", "decimal"), [(";", ","), ("|", ","), ("\t", "."), (";", ".")]
)
def test_a_file_of_another_separator_is_named_as_such_whatever_its_decimals(
    folder: Path, separator: str, decimal: str
) -> None:
    """A European spreadsheet saves ';'-separated CSV with decimal commas: every row was "more
    fields than the header's 1 names" (field counts 6), which named no cause."""
    path = folder / FILES["learners"]
    text = path.read_text()
    path.write_text("\ufeff" + text.replace(",", separator).replace(".", decimal))
    header = text.split("\n")[0].replace(",", separator)
    assert [p.describe() for p in error_of(folder).problems] == [
        f"the header is one column, {header[:80]!r}: the file seems separated by "
        f"{separator!r}; AURA reads comma-separated CSV"
    ]


def test_a_spreadsheets_separator_line_is_named_as_such(folder: Path) -> None:
    """A spreadsheet may write `sep=,` above the header: every row was "more fields than the
    header's 2 names"."""
    path = folder / FILES["tutors"]
    path.write_text("sep=,\n" + path.read_text())
    assert [p.describe() for p in error_of(folder).problems] == [
        "the first line, 'sep=,', is a spreadsheet's note of the separator, not the header: "
        "delete that line"
    ]


def test_a_utf16_file_is_named_as_such(folder: Path) -> None:
    """A spreadsheet's "Unicode Text" is UTF-16; it was called "a Latin-1 or Windows export"."""
    path = folder / FILES["tutors"]
    path.write_bytes(path.read_text().encode("utf-16"))
    assert f'{path}:\n  - UTF-16 text, not UTF-8 (a spreadsheet\'s "Unicode Text" export?)' in (
        str(error_of(folder))
    )


def test_a_missing_column_names_the_header_s_near_miss(folder: Path) -> None:
    """'missing column age' over a header holding 'Age' read as a contradiction."""

    def rename(rows: Rows) -> None:
        rows[0][rows[0].index("age")] = "Age"
        rows[0][rows[0].index("language")] = " language "

    path = edit(folder, "learners", rename)
    message = str(error_of(folder))
    assert (
        f"{path}:\n  - column 'age': missing column (required); the header has 'Age': names are "
        "exact (lower case, no spaces)\n  - column 'language': missing column (required); the "
        "header has ' language '"
    ) in message


def test_a_missing_column_names_a_misspelling_in_the_header(folder: Path) -> None:
    """A misspelt name was kept as an unknown column without a word, beside "missing column
    'grade_level'"."""

    def rename(rows: Rows) -> None:
        rows[0][rows[0].index("grade_level")] = "grade"
        rows[0][rows[0].index("session_count")] = "sesion_count"
        rows[0][rows[0].index("age")] = "page_views"

    path = edit(folder, "learners", rename)
    message = str(error_of(folder))
    assert (
        f"{path}:\n  - column 'age': missing column (required)\n  - column 'grade_level': "
        "missing column (required); the header has 'grade', which this table has not: "
        "misspelt?\n  - column 'session_count': missing column (required); the header has "
        "'sesion_count', which this table has not: misspelt?"
    ) in message


def test_tables_too_large_for_the_free_memory_are_refused_before_any_is_read(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sessions file of a few GB ran until the system killed the process, without a word."""
    from types import SimpleNamespace

    total = sum((folder / name).stat().st_size for name in FILES.values())
    free = SimpleNamespace(available=7 * total - 1)
    monkeypatch.setattr("aura.data.loading.psutil.virtual_memory", lambda: free)
    read = []
    monkeypatch.setattr("aura.data.loading._read_csv", lambda *a: read.append(a))
    sessions = folder / FILES["sessions"]
    size = r"\d+ MB"
    assert re.search(
        f"{re.escape(str(sessions))}:\n  - too large to load: {size}; reading and validating "
        f"the 3 tables \\({size} in all\\) takes about {size} of memory \\(7 times the size of "
        f"the CSV text\\) and this machine has {size} available",
        str(error_of(folder)),
    )
    free.available = 7 * sessions.stat().st_size - 1
    with pytest.raises(DataValidationError, match="too large to load: .* validating it takes"):
        load_table(sessions, "sessions")
    assert not read
    monkeypatch.undo()
    free.available = 7 * total  # what fits is read
    monkeypatch.setattr("aura.data.loading.psutil.virtual_memory", lambda: free)
    assert len(load_datasets(folder).sessions) == 400


def test_every_id_an_int64_holds_loads_and_the_next_is_refused(folder: Path) -> None:
    """The bound was checked on floats, in which every id within about 512 of 2**63 - 1 is
    2**63: 9223372036854775807 was refused as too large for an integer, though an int64
    holds it. A column pandas reads as floats (here for one `6.0`) is judged as written too."""
    largest = 2**63 - 1
    edit(folder, "learners", set_cell(2, "learner_id", str(largest)))
    edit(folder, "learners", set_cell(3, "learner_id", str(largest - 511)))
    path = folder / FILES["learners"]
    assert load_table(path, "learners")["learner_id"].tolist()[:3] == [largest, largest - 511, 3]
    edit(folder, "learners", set_cell(7, "learner_id", "6.0"))
    learners = load_table(path, "learners")
    assert learners["learner_id"].dtype == "int64"
    assert learners["learner_id"].tolist()[:6] == [largest, largest - 511, 3, 4, 5, 6]
    edit(folder, "learners", set_cell(4, "learner_id", str(2**63)))
    edit(folder, "learners", set_cell(5, "learner_id", "18446744073709551616"))
    edit(folder, "learners", set_cell(6, "learner_id", "9223372036854775808.0"))
    assert [p.describe() for p in error_of(folder).problems] == [
        "column 'learner_id': wrong type: too large for an integer in 3 rows: lines 4 "
        "(9223372036854775808), 5 (18446744073709551616), 6 (9223372036854775808.0)"
    ]
    assert str(error_of(folder)).startswith(
        f"1 data problem in 1 file (rows are CSV line numbers; the header is line 1):\n{path}:\n"
    )


def test_a_misspelling_is_offered_for_the_one_missing_column_it_is_closest_to(
    folder: Path,
) -> None:
    """difflib matched each missing column alone: `expertise_maths` was offered as the
    misspelling of both `expertise_math` and `expertise_science`, which it is close to too."""

    def rename(rows: Rows) -> Rows:
        rows[0][rows[0].index("expertise_math")] = "expertise_maths"
        return drop_column("expertise_science")(rows)

    path = edit(folder, "tutors", rename)
    assert [p.describe() for p in error_of(folder).problems] == [
        "column 'expertise_math': missing column (required); the header has 'expertise_maths', "
        "which this table has not: misspelt?",
        "column 'expertise_science': missing column (required)",
    ]
    assert {p.file for p in error_of(folder).problems} == {path}


def test_rows_of_another_width_are_named_with_the_problems_of_the_others(folder: Path) -> None:
    """A file with a row of another field count than the header's reported only the widths,
    and its other problems only once they were fixed. The rows of the header's width have their
    values under the right names: they are checked without the others, and both reported; the
    values of the rows of another width are blamed on no column."""

    def ragged(rows: Rows) -> None:
        rows[1] += [""]  # line 2: a wide first row, which pandas took as the rows' labels
        rows[9] += ["x", "y"]  # line 10
        del rows[20][2]  # line 21: its fields slid one column left, into the wrong names
        rows[30][rows[0].index("age")] = "25"
        rows[40][rows[0].index("learning_style")] = "musical"
        rows[60][rows[0].index("learner_id")] = "5"

    path = edit(folder, "learners", ragged)
    lines = path.read_text().split("\n")
    path.write_text("\n".join([*lines[:50], "", *lines[50:]]))  # lines 51 on move down one
    assert [p.describe() for p in error_of(folder).problems] == [
        "more fields than the header's 14 names, their values are checked once they have 14 "
        "(field counts in brackets; a value holding a comma must be in double quotes) in 2 rows: "
        "lines 2 (15), 10 (16)",
        "fewer fields than the header's 14 names, their values are checked once they have 14 "
        "(field counts in brackets) in 1 row: line 21 (13)",
        "column 'learner_id': duplicated id in 2 rows: lines 6 (5), 62 (5)",
        "column 'age': out of range: must be in [8, 18] in 1 row: line 31 (25)",
        "column 'learning_style': unknown category: allowed are visual, auditory, "
        "reading_writing, kinesthetic in 1 row: line 41 ('musical')",
    ]
    # A value holding a line break: pandas leaves rows out by line, which would split it
    edit(folder, "learners", set_cell(8, "language", "eng\nlish"))
    problems = error_of(folder).problems
    assert [p.describe().split(" (field")[0] for p in problems] == [
        f"{more} fields than the header's 14 names, the file's other checks run once every row "
        "has 14"
        for more in ("more", "fewer")
    ]


def test_rows_of_another_width_that_are_the_most_are_named_alone(folder: Path) -> None:
    """A header missing a name makes most rows wider than it: the few rows that agree with it
    may be the misaligned ones, so nothing else is checked, and the message says so."""

    def drop_a_name(rows: Rows) -> None:
        del rows[0][rows[0].index("age")]
        for row in rows[2:5]:
            del row[1]  # lines 3-5 lose their age: as wide as the header, and still misaligned

    path = edit(folder, "learners", drop_a_name)
    problems = error_of(folder).problems
    assert {p.file for p in problems} == {path}
    assert [p.describe() for p in problems] == [
        "more fields than the header's 13 names, the file's other checks run once every row has "
        "13 (field counts in brackets; a value holding a comma must be in double quotes) in 197 "
        "rows: lines 2 (14), 6 (14), 7 (14), 8 (14), 9 (14), ... (197 rows in total)"
    ]


def test_timestamps_with_different_utc_offsets_load(folder: Path) -> None:
    """A platform's local times across a change to summer time (+02:00, then +01:00), or UTC
    (Z) beside local time, are ISO 8601: the column was refused whole, "not an ISO 8601
    timestamp" without a row, as pandas holds no times of different offsets in one column."""
    edit(folder, "sessions", set_cell(2, "timestamp", "2025-10-25T18:00+02:00"))
    edit(folder, "sessions", set_cell(3, "timestamp", "2025-10-27T18:00+01:00"))
    edit(folder, "sessions", set_cell(4, "timestamp", "2025-10-28T09:00Z"))
    assert load_datasets(folder).sessions["timestamp"].tolist()[:3] == [
        "2025-10-25T18:00+02:00",
        "2025-10-27T18:00+01:00",
        "2025-10-28T09:00Z",
    ]
    path = edit(folder, "sessions", set_cell(5, "timestamp", "28/10/2025 09:00"))
    assert (
        f"{path}:\n  - column 'timestamp': not an ISO 8601 timestamp (e.g. 2025-09-01T09:00) "
        "in 1 row: line 5 ('28/10/2025 09:00')" in str(error_of(folder))
    )


def test_an_optional_column_without_any_value_is_named_as_such(folder: Path) -> None:
    """An export with a `strategy` column but no logged strategy read as a missing value in
    each of its 400 rows, though leaving the column out is all it takes; required, or with
    some values, its empty cells are each a missing value still."""

    def empty(column: str) -> Callable[[Rows], None]:
        def change(rows: Rows) -> None:
            i = rows[0].index(column)
            for row in rows[1:]:
                row[i] = ""

        return change

    path = edit(folder, "sessions", empty("strategy"))
    assert [p.describe() for p in error_of(folder).problems] == [
        "column 'strategy': no value in any of its 400 rows: the column is optional, so delete "
        "it (or fill it)"
    ]
    assert f"{path}:\n  - column 'strategy'" in str(error_of(folder))
    message = str(error_of(folder, require={"sessions": ["strategy"]}))
    assert "column 'strategy': missing value (an empty cell, or a word such as NA" in message
    assert "in 400 rows: lines 2, 3, 4, 5, 6, ... (400 rows in total)" in message
    edit(folder, "sessions", set_cell(7, "strategy", "balanced"))
    assert "in 399 rows: lines 2, 3, 4, 5, 6, ... (399 rows in total)" in str(error_of(folder))
    edit(folder, "sessions", empty("tutor_rating"))
    assert "column 'tutor_rating': missing value (an empty cell" in str(error_of(folder))


def test_an_id_in_exponent_form_is_refused(folder: Path) -> None:
    """A spreadsheet saves a long id as it shows it, rounded in exponent form: 1.23457E+18
    passed as the id 1234570000000000000, and its sessions were blamed for an unknown learner
    2, in another file. An id too large for an integer is named as that alone."""
    edit(folder, "learners", set_cell(3, "learner_id", "1.23457E+18"))
    edit(folder, "learners", set_cell(4, "learner_id", "3e0"))
    path = edit(folder, "learners", set_cell(5, "learner_id", "1e23"))
    assert [p.describe() for p in error_of(folder).problems] == [
        "column 'learner_id': wrong type: too large for an integer in 1 row: line 5 (1e23)",
        "column 'learner_id': wrong type: an id in exponent form (a spreadsheet's rounding of a "
        "long number?): write all its digits in 2 rows: lines 3 (1.23457E+18), 4 (3e0)",
    ]
    assert {p.file for p in error_of(folder).problems} == {path}
    edit(folder, "learners", set_cell(3, "learner_id", "2.0"))
    edit(folder, "learners", set_cell(4, "learner_id", "3"))
    edit(folder, "learners", set_cell(5, "learner_id", "4"))
    assert load_datasets(folder).learners["learner_id"].tolist()[:4] == [1, 2, 3, 4]


def test_text_deep_in_a_large_file_is_named_without_a_pandas_warning(folder: Path) -> None:
    """pandas reads a large file in blocks of rows (65,536 learners here): text in a numeric
    column of a later block made it warn "DtypeWarning: Columns (1: age) have mixed types.
    Specify dtype option on import or set low_memory=False" beside the loader's message."""
    path = folder / FILES["learners"]
    header, *rows = path.read_text().splitlines()
    copies = [f"{n}{row[row.index(',') :]}" for n, row in enumerate(rows * 350, start=1)]
    fields = copies[-1].split(",")
    fields[1] = "abc"
    copies[-1] = ",".join(fields)
    path.write_text("\n".join([header, *copies]) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataValidationError) as info:
            load_table(path, "learners")
    assert [p.describe() for p in info.value.problems] == [
        "column 'age': wrong type: not a number in 1 row: line 70001 ('abc')"
    ]


def rows_of(folder: Path, table: str) -> list[dict[str, str]]:
    with (folder / FILES[table]).open(newline="") as f:
        return list(csv.DictReader(f))


def test_expertise_in_a_subject_the_tutor_does_not_teach_is_refused(folder: Path) -> None:
    """The dictionary lists expertise_<subject> as 0 if not taught; 0.42 for a subject missing
    from the tutor's subjects loaded without a word, in a folder and in a tutors file alone."""
    tutors = rows_of(folder, "tutors")
    line, subject = next(
        (i + 2, s) for i, row in enumerate(tutors) for s in SUBJECTS if s not in row["subjects"]
    )
    path = edit(folder, "tutors", set_cell(line, f"expertise_{subject}", "0.42"))
    expected = (
        f"column 'expertise_{subject}': expertise above 0 for a subject the tutor does not teach "
        f"({subject} is not in its subjects; the column is 0 if not taught) in 1 row: "
        f"line {line} (0.42)"
    )
    assert f"{path}:\n  - {expected}" in str(error_of(folder))
    with pytest.raises(DataValidationError, match=re.escape(expected)):
        load_table(path, "tutors")


def test_a_session_index_repeated_for_one_learner_is_refused(folder: Path) -> None:
    """Two of a learner's sessions at the same position in its history; another learner's
    session at that position is no repeat."""
    sessions = rows_of(folder, "sessions")
    first = {}
    for i, row in enumerate(sessions):
        first.setdefault(row["learner_id"], []).append(i + 2)
    a, b = next(lines for lines in first.values() if len(lines) >= 2)[:2]
    position = sessions[a - 2]["session_index"]
    path = edit(folder, "sessions", set_cell(b, "session_index", position))
    message = str(error_of(folder))
    assert (
        f"{path}:\n  - column 'session_index': repeated for one learner_id (the session's "
        "position in the learner's history, which no two of its sessions share) in 2 rows: "
        f"lines {a} ({position}), {b} ({position})"
    ) in message
    assert message.startswith("1 data problem in 1 file")


def test_a_session_index_that_falls_as_session_id_rises_is_refused(folder: Path) -> None:
    """session_id is in time order and session_index the position in the learner's history, so
    a learner's later session has the higher index; two of a learner's sessions with their
    indexes swapped loaded without a word."""
    sessions = rows_of(folder, "sessions")
    lines: dict[str, list[int]] = {}
    for i, row in enumerate(sessions):
        lines.setdefault(row["learner_id"], []).append(i + 2)
    a, b = next(found for found in lines.values() if len(found) >= 2)[:2]
    first, second = sessions[a - 2]["session_index"], sessions[b - 2]["session_index"]
    assert int(sessions[a - 2]["session_id"]) < int(sessions[b - 2]["session_id"])
    assert int(first) < int(second)
    edit(folder, "sessions", set_cell(a, "session_index", second))
    path = edit(folder, "sessions", set_cell(b, "session_index", first))
    expected = (
        "column 'session_index': lower at a learner_id's later session_id than at its session "
        "before (the session's position in the learner's history, which rises with "
        f"session_id's time order) in 2 rows: lines {a} ({second}), {b} ({first})"
    )
    message = str(error_of(folder))
    assert f"{path}:\n  - {expected}" in message
    assert message.startswith("1 data problem in 1 file")
    with pytest.raises(DataValidationError, match=re.escape(expected)):
        load_table(path, "sessions")


@pytest.mark.parametrize(
    "sizes",
    [
        {"n_learners": 2000, "n_tutors": 40, "n_sessions": 4000},  # params/smoke.yaml's
        {"n_learners": 3, "n_tutors": 5, "n_sessions": 600},  # long histories
    ],
)
def test_the_simulators_sessions_rise_in_session_index_with_session_id(
    tmp_path: Path, sizes: dict[str, int]
) -> None:
    write_datasets(tmp_path, seed=20240601, **sizes)
    load_datasets(tmp_path)  # refuses a session_index out of session_id's order


@pytest.mark.parametrize(
    ("column", "learner_column", "tutor_column"),
    [
        ("style_match", "learning_style", "teaching_style"),
        ("language_match", "language", "language"),
    ],
)
def test_a_match_flag_against_the_learner_and_tutor_tables_is_refused(
    folder: Path, column: str, learner_column: str, tutor_column: str
) -> None:
    """The dictionary defines the flag as the learner's and the tutor's attribute being the
    same; a flag saying otherwise trains the models on pairs the API never scores."""
    row = rows_of(folder, "sessions")[3]
    flipped = str(1 - int(row[column]))
    path = edit(folder, "sessions", set_cell(5, column, flipped))
    message = str(error_of(folder))
    assert (
        f"{path}:\n  - column '{column}': disagrees with the learner's {learner_column} "
        f"(learners_data.csv) and the tutor's {tutor_column} (tutors_data.csv): 1 if they are "
        f"the same, else 0, in 1 row: line 5 ({flipped})"
    ) in message


def docs_data_blocks() -> list[tuple[str, str]]:
    """(language, text) of each fenced block of docs/data.md."""
    from aura.config import PROJECT_ROOT

    text = (PROJECT_ROOT / "docs" / "data.md").read_text(encoding="utf-8")
    return re.findall(r"```([a-z]*)\n(.*?)```", text, re.DOTALL)


def without_column(column: str) -> Callable[[Rows], Rows]:
    """Drop ``column`` from every row."""

    def change(rows: Rows) -> Rows:
        at = rows[0].index(column)
        return [row[:at] + row[at + 1 :] for row in rows]

    return change


def test_docs_data_md_loading_example_runs_as_written(folder: Path) -> None:
    """docs/data.md, Bringing your own data: the Python example, on a folder of the three
    tables, loads them, the sessions' logging columns required."""
    code = [text for language, text in docs_data_blocks() if language == "python"]
    assert len(code) == 1 and "path/to/folder" in code[0]
    scope: dict[str, object] = {}
    exec(code[0].replace("path/to/folder", str(folder)), scope)
    assert len(scope["data"].sessions) == 400  # type: ignore[attr-defined]


def test_docs_data_md_example_error_is_the_loaders_message(folder: Path) -> None:
    """docs/data.md, How errors read: the example shows the whole message the loader gives for
    the problems it lists (an age that is no number, two out of range, a percentage, a missing
    column), as the loader writes it, with the folder's path for /data/mine/."""
    shown = [text for _, text in docs_data_blocks() if text.startswith("4 data problems")]
    assert len(shown) == 1
    edit(folder, "learners", set_cell(6, "age", "abc"))
    edit(folder, "learners", set_cell(4, "age", "25"))
    edit(folder, "learners", set_cell(9, "age", "7"))
    edit(folder, "learners", set_cell(3, "engagement_score", "84%"))
    edit(folder, "tutors", without_column("rating"))
    assert str(error_of(folder)) == shown[0].replace("/data/mine/", f"{folder}/").rstrip("\n")
