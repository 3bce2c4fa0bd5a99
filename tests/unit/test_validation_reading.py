"""How a file is read, at the edges docs/data.md ("How errors read") draws: which rows are checked
when some have another field count than the header's, and how the values are quoted."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from aura.data import DataValidationError, load_datasets, load_table
from aura.sim import FILES, write_datasets


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reading")
    write_datasets(out, seed=5, n_learners=40, n_tutors=12, n_sessions=80)
    return out


def rows_of(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f))


def write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def problems(path: Path, table: str) -> list[tuple[str | None, str, tuple[int, ...]]]:
    with pytest.raises(DataValidationError) as info:
        load_table(path, table)  # type: ignore[arg-type]
    return [(p.column, p.what, p.lines) for p in info.value.problems]


@pytest.mark.parametrize(("records", "wider"), [(4, 2), (5, 2)], ids=["half", "fewer"])
def test_the_other_rows_are_checked_only_where_they_are_the_most(
    pristine: Path, tmp_path: Path, records: int, wider: int
) -> None:
    """Lines 2 and 3 have a field too many, line 4 an age of 99. With 2 of 4 rows wider, the
    rows of the header's width are not the most: the wide rows are named alone. With 2 of 5
    they are, and the age is named beside them."""
    rows = rows_of(pristine / FILES["learners"])[: records + 1]
    width = len(rows[0])
    for row in rows[1 : wider + 1]:
        row.append("x")
    rows[3][rows[0].index("age")] = "99"
    path = tmp_path / FILES["learners"]
    write(path, rows)
    found = problems(path, "learners")
    wide = found[0]
    assert (wide[0], wide[2]) == (None, (2, 3))
    assert wide[1].startswith(f"more fields than the header's {width} names")
    if 2 * wider >= records:
        assert f"the file's other checks run once every row has {width}" in wide[1]
        assert found[1:] == []
    else:
        assert f"their values are checked once they have {width}" in wide[1]
        assert [(c, lines) for c, _, lines in found[1:]] == [("age", (4,))]


def docs_example() -> str:
    """The example message of docs/data.md's "How errors read", as the docs print it."""
    text = (Path(__file__).parents[2] / "docs" / "data.md").read_text()
    start = text.index("4 data problems in 2 files")
    return text[start : text.index("```", start)].rstrip("\n")


def test_the_docs_example_message_is_the_loaders(pristine: Path, tmp_path: Path) -> None:
    """The learners and tutors files the example describes: 'abc' for an age on line 6, ages
    25 and 7 on lines 4 and 9, an engagement of 84% on line 3, and no rating column."""
    folder = tmp_path / "mine"
    folder.mkdir()
    learners = rows_of(pristine / FILES["learners"])
    for line, column, value in [
        (6, "age", "abc"),
        (4, "age", "25"),
        (9, "age", "7"),
        (3, "engagement_score", "84%"),
    ]:
        learners[line - 1][learners[0].index(column)] = value
    write(folder / FILES["learners"], learners)
    tutors = rows_of(pristine / FILES["tutors"])
    drop = tutors[0].index("rating")
    write(folder / FILES["tutors"], [row[:drop] + row[drop + 1 :] for row in tutors])
    (folder / FILES["sessions"]).write_bytes((pristine / FILES["sessions"]).read_bytes())
    with pytest.raises(DataValidationError) as info:
        load_datasets(folder)
    assert str(info.value) == docs_example().replace("/data/mine", str(folder))


@pytest.mark.parametrize(
    ("lines", "shown"),
    [
        ((2, 10, 11), "in 3 rows: lines 2 (7), 10 (7), 11 (7)"),
        ((2, 3, 4, 5, 6), "in 5 rows: lines 2 (7), 3 (7), 4 (7), 5 (7), 6 (7)"),
        (
            (9, 3, 4, 5, 6, 11),
            "in 6 rows: lines 3 (7), 4 (7), 5 (7), 6 (7), 9 (7), ... (6 rows in total)",
        ),
        ((12,), "in 1 row: line 12 (7)"),
    ],
)
def test_the_lines_at_fault_are_shown_in_file_order_the_first_five_and_the_total(
    pristine: Path, tmp_path: Path, lines: tuple[int, ...], shown: str
) -> None:
    rows = rows_of(pristine / FILES["learners"])
    for line in lines:
        rows[line - 1][rows[0].index("age")] = "7"
    path = tmp_path / FILES["learners"]
    write(path, rows)
    with pytest.raises(DataValidationError) as info:
        load_table(path, "learners")
    assert str(info.value) == (
        "1 data problem in 1 file (rows are CSV line numbers; the header is line 1):\n"
        f"{path}:\n  - column 'age': out of range: must be in [8, 18] {shown}"
    )


@pytest.mark.parametrize(("column", "value"), [("age", "1e400"), ("learner_id", "-1e400")])
def test_a_number_too_large_for_a_float_in_a_whole_number_column_is_named_once(
    pristine: Path, tmp_path: Path, column: str, value: str
) -> None:
    """pandas reads 1e400 as infinity: the cell is named as infinite, and not again, on a line
    of its own, as too large for an integer."""
    rows = rows_of(pristine / FILES["learners"])
    rows[2][rows[0].index(column)] = value
    path = tmp_path / FILES["learners"]
    write(path, rows)
    assert problems(path, "learners") == [
        (column, "wrong type: infinite (inf, or too large for a float)", (3,))
    ]


def test_a_single_column_without_a_name_is_kept_as_pandas_names_it(
    pristine: Path, tmp_path: Path
) -> None:
    """An index written first with no name (as pandas writes one) is kept, as `Unnamed: 0`, and
    as text like every column the loader does not know: `007` stays `007`."""
    rows = rows_of(pristine / FILES["learners"])
    path = tmp_path / FILES["learners"]
    labels = [f"{i:03d}" for i in range(len(rows) - 1)]
    write(
        path,
        [["", *rows[0]], *([label, *row] for label, row in zip(labels, rows[1:], strict=True))],
    )
    learners = load_table(path, "learners")
    assert learners["Unnamed: 0"].tolist() == labels


@pytest.mark.parametrize("word", ["Null", "MISSING", "None", "nil"])
def test_a_word_for_a_missing_value_in_any_case_is_named_as_one(
    pristine: Path, tmp_path: Path, word: str
) -> None:
    """The docs list words in any case as markers of a missing value: pandas reads `None` as
    one, the others as text, "not a number" with the number to write in their place."""
    rows = rows_of(pristine / FILES["learners"])
    rows[3][rows[0].index("age")] = word
    path = tmp_path / FILES["learners"]
    write(path, rows)
    with pytest.raises(DataValidationError) as info:
        load_table(path, "learners")
    [problem] = info.value.problems
    if word == "None":
        what = (
            "missing value ('None' is read as a missing value marker: write a number in its "
            "place, the column allows no missing value)"
        )
    else:
        what = (
            f"wrong type: not a number (a missing value marker? write a number in place of "
            f"{word!r}: the column allows no missing value)"
        )
    assert (problem.column, problem.what, problem.lines) == ("age", what, (4,))


def test_an_optional_column_empty_in_some_rows_names_those_rows(
    pristine: Path, tmp_path: Path
) -> None:
    """A present optional column is checked like any other: its empty cells are named by line
    (only one without a value in any row is named once, as a column to delete)."""
    rows = rows_of(pristine / FILES["sessions"])
    for line in (2, 4):
        rows[line - 1][rows[0].index("strategy")] = ""
    path = tmp_path / FILES["sessions"]
    write(path, rows)
    [(column, what, lines)] = problems(path, "sessions")
    assert (column, what.split(" (")[0], lines) == ("strategy", "missing value", (2, 4))


def test_a_required_optional_column_without_any_value_is_not_called_optional(
    pristine: Path, tmp_path: Path
) -> None:
    """Asked for with `require=`, an empty `strategy` is not one to delete: each empty cell
    is a missing value."""
    rows = rows_of(pristine / FILES["sessions"])
    for row in rows[1:]:
        row[rows[0].index("strategy")] = ""
    path = tmp_path / FILES["sessions"]
    write(path, rows)
    with pytest.raises(DataValidationError) as info:
        load_table(path, "sessions", require=["strategy"])
    [problem] = info.value.problems
    assert problem.what.startswith("missing value")
    assert "optional" not in problem.what
    assert problem.lines == tuple(range(2, len(rows) + 1))


def test_a_number_with_two_thousands_separators_is_no_decimal_comma(
    pristine: Path, tmp_path: Path
) -> None:
    """`1,500` in a column not of whole numbers may be either; `1,234,567` is thousands only."""
    rows = rows_of(pristine / FILES["learners"])
    rows[1][rows[0].index("attention_span_minutes")] = "1,234,567"
    path = tmp_path / FILES["learners"]
    with path.open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)  # quoted, as a spreadsheet saves it
    [(column, what, lines)] = problems(path, "learners")
    assert (column, lines) == ("attention_span_minutes", (2,))
    assert what == "wrong type: not a number (a thousands separator? write 1,234,567 as 1234567)"
