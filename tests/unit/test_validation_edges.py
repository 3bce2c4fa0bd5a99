"""Each bounded column at the ends of its range, as docs/data.md ("What is checked") gives them.

A value at an end the docs call allowed loads, and loads as written; the value just beyond it is
refused, naming the column, the bound and the CSV line (the header is line 1). The bounds below
are copied from the docs, not from the schemas, so that a bound moved in the code (`<` for `<=`,
an end off by one) fails here.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from aura.data import DataValidationError, load_table
from aura.sim import FILES, write_datasets
from aura.sim.vocab import LIST_SEPARATOR, SUBJECTS

Bound = tuple[str, str, str, str, str]
"""(column, a value at the low end that loads, one below it that is refused, the same at the
high end, the message's bound): "" where the docs give no such end."""

FRACTION = "out of range: must be in [0, 1]"
RATING = "out of range: must be in [1, 5]"
AT_LEAST_0 = "out of range: must be >= 0"
POSITIVE = "out of range: must be > 0"

BOUNDS: dict[str, list[Bound]] = {
    # ids are non-negative integers; ages whole numbers 8-18, grades 1-12; counts >= 0; scores
    # and comfort in [0, 1]; attention spans positive
    "learners": [
        ("learner_id", "0", "-1", "", AT_LEAST_0),
        ("age", "8", "7", "18|19", "out of range: must be in [8, 18]"),
        ("grade_level", "1", "0", "12|13", "out of range: must be in [1, 12]"),
        ("comfort_level_online", "0", "-0.01", "1|1.01", FRACTION),
        ("session_count", "0", "-1", "", AT_LEAST_0),
        ("learning_progress_score", "0", "-0.01", "1|1.01", FRACTION),
        ("attention_span_minutes", "0.5", "0", "", POSITIVE),
        ("engagement_score", "0", "-0.01", "1|1.01", FRACTION),
        ("success_rate", "0", "-0.01", "1|1.01", FRACTION),
    ],
    # years_experience a whole number 0-60; ratings in [1, 5]; student_improvement_rate only
    # >= 0; expertise in [0, 1] (the high end set on a subject the tutor teaches)
    "tutors": [
        ("tutor_id", "0", "-1", "", AT_LEAST_0),
        ("years_experience", "0", "-1", "60|61", "out of range: must be in [0, 60]"),
        ("rating", "1", "0.9", "5|5.1", RATING),
        ("total_sessions", "0", "-1", "", AT_LEAST_0),
        ("teaching_effectiveness", "0", "-0.01", "1|1.01", FRACTION),
        ("student_improvement_rate", "0", "-0.01", "", AT_LEAST_0),
        ("communication_rating", "1", "0.9", "5|5.1", RATING),
        ("adaptability_score", "0", "-0.01", "1|1.01", FRACTION),
        *((f"expertise_{s}", "0", "-0.01", "1|1.01", FRACTION) for s in SUBJECTS),
    ],
    # durations positive; a propensity in (0, 1]; session_index >= 1 (dictionary)
    "sessions": [
        ("session_id", "0", "-1", "", AT_LEAST_0),
        ("learner_id", "0", "-1", "", AT_LEAST_0),
        ("tutor_id", "0", "-1", "", AT_LEAST_0),
        ("session_index", "1", "0", "", "out of range: must be >= 1"),  # line 2: a first session
        ("duration_hours", "0.25", "0", "", POSITIVE),
        ("engagement_score", "0", "-0.01", "1|1.01", FRACTION),
        ("learning_outcome_score", "0", "-0.01", "1|1.01", FRACTION),
        ("tutor_rating", "1", "0.5", "5|5.5", RATING),
        ("propensity", "0.000001", "0", "1|1.000001", "out of range: must be in (0, 1]"),
        ("exercise_success_rate", "0", "-0.01", "1|1.01", FRACTION),
        ("comfort_level_online", "0", "-0.01", "1|1.01", FRACTION),
        ("compatibility_score", "0", "-0.01", "1|1.01", FRACTION),
    ],
}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("edges")
    write_datasets(out, seed=5, n_learners=40, n_tutors=12, n_sessions=80)
    return out


def rewrite(source: Path, target: Path, cells: dict[tuple[int, str], str]) -> None:
    """Copy a CSV with the cells {(CSV line, column): value} replaced (the header is line 1)."""
    with source.open(newline="") as f:
        rows = list(csv.reader(f))
    for (line, column), value in cells.items():
        rows[line - 1][rows[0].index(column)] = value
    with target.open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def taught_line(path: Path, subject: str) -> int:
    """The first CSV line below line 2 (which holds the low ends) of a tutor teaching
    `subject`: only there may its expertise be 1."""
    with path.open(newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            if line > 2 and subject in row["subjects"].split(LIST_SEPARATOR):
                return line
    raise AssertionError(f"no tutor teaches {subject}")


def high_line(column: str, path: Path) -> int:
    """Where a column's high end is written: line 3, or a tutor's line that teaches the subject."""
    return taught_line(path, column.removeprefix("expertise_")) if "expertise_" in column else 3


@pytest.mark.parametrize("table", list(BOUNDS))
def test_every_end_the_docs_allow_loads_as_written(
    pristine: Path, tmp_path: Path, table: str
) -> None:
    source = pristine / FILES[table]
    cells: dict[tuple[int, str], str] = {}
    for column, low, _, high, _ in BOUNDS[table]:
        cells[2, column] = low
        if high:
            cells[high_line(column, source), column] = high.split("|")[0]
    path = tmp_path / FILES[table]
    rewrite(source, path, cells)
    df = load_table(path, table)  # type: ignore[arg-type]
    for (line, column), value in cells.items():
        assert df.loc[line - 2, column] == float(value), (column, line)


@pytest.mark.parametrize("table", list(BOUNDS))
def test_a_value_just_beyond_each_end_is_refused_by_column_and_line(
    pristine: Path, tmp_path: Path, table: str
) -> None:
    source = pristine / FILES[table]
    cells: dict[tuple[int, str], str] = {}
    expected: dict[str, tuple[str, tuple[int, ...], tuple[str, ...]]] = {}
    for column, _, below, high, bound in BOUNDS[table]:
        cells[2, column] = below
        lines, values = [2], [below]
        if high:
            line = high_line(column, source)
            cells[line, column] = high.split("|")[1]
            lines, values = [2, line], [below, high.split("|")[1]]
        expected[column] = (bound, tuple(lines), tuple(values))
    path = tmp_path / FILES[table]
    rewrite(source, path, cells)
    with pytest.raises(DataValidationError) as info:
        load_table(path, table)  # type: ignore[arg-type]
    found = {p.column: (p.what, p.lines, tuple(map(str, p.values))) for p in info.value.problems}
    assert found == expected
    assert all(p.file == path for p in info.value.problems)


REQUIRED: dict[str, list[str]] = {
    "learners": [
        *("learner_id", "age", "grade_level", "comfort_level_online", "session_count"),
        *("learning_progress_score", "attention_span_minutes", "preferred_difficulty"),
        *("learning_style", "engagement_score", "success_rate", "subject_preference"),
        *("time_preference", "language"),
    ],
    "tutors": [
        *("tutor_id", "years_experience", "rating", "total_sessions", "subjects"),
        *("teaching_effectiveness", "student_improvement_rate", "communication_rating"),
        *("adaptability_score", "teaching_style", "language", "availability"),
        *(f"expertise_{s}" for s in SUBJECTS),
    ],
    "sessions": [
        *("session_id", "learner_id", "tutor_id", "subject", "difficulty_level"),
        *("duration_hours", "engagement_score", "learning_outcome_score", "tutor_rating"),
        *("completion_status", "exercise_success_rate", "style_match", "language_match"),
        *("comfort_level_online", "compatibility_score"),
    ],
}
"""The columns docs/data.md's dictionary marks `spec` or `required`."""
OPTIONAL = ["session_index", "timestamp", "time_slot", "strategy", "propensity"]
"""The sessions columns it marks `optional`, the only optional columns."""


def keep_columns(source: Path, target: Path, keep: list[str]) -> None:
    """Copy a CSV with only the columns `keep` (in the file's order) and a column `note`."""
    with source.open(newline="") as f:
        rows = list(csv.reader(f))
    kept = [i for i, name in enumerate(rows[0]) if name in keep]
    with target.open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(
            [
                [row[i] for i in kept] + ["note" if line == 0 else "x"]
                for line, row in enumerate(rows)
            ]
        )


@pytest.mark.parametrize("table", list(REQUIRED))
def test_every_required_column_is_named_when_missing_and_no_other(
    pristine: Path, tmp_path: Path, table: str
) -> None:
    path = tmp_path / FILES[table]
    keep_columns(pristine / FILES[table], path, OPTIONAL)
    with pytest.raises(DataValidationError) as info:
        load_table(path, table)  # type: ignore[arg-type]
    found = sorted((p.column or "", p.what, p.lines) for p in info.value.problems)
    assert found == sorted((name, "missing column (required)", ()) for name in REQUIRED[table])


def test_a_sessions_file_without_the_optional_columns_loads(pristine: Path, tmp_path: Path) -> None:
    path = tmp_path / FILES["sessions"]
    keep_columns(pristine / FILES["sessions"], path, REQUIRED["sessions"])
    sessions = load_table(path, "sessions")
    assert [c for c in sessions.columns if c != "note"] == REQUIRED["sessions"]
    for name in OPTIONAL:  # each is named once a caller requires it
        with pytest.raises(DataValidationError) as info:
            load_table(path, "sessions", require=[name])
        assert [(p.column, p.what) for p in info.value.problems] == [
            (name, "missing column (required)")
        ]


@pytest.mark.parametrize(
    ("table", "column"),
    [("learners", "learner_id"), ("tutors", "tutor_id"), ("sessions", "session_id")],
)
def test_an_id_given_twice_is_refused_on_both_lines(
    pristine: Path, tmp_path: Path, table: str, column: str
) -> None:
    """Ids are unique: line 5 takes line 3's id, and both lines are named."""
    source = pristine / FILES[table]
    with source.open(newline="") as f:
        third = list(csv.DictReader(f))[1][column]
    path = tmp_path / FILES[table]
    rewrite(source, path, {(5, column): third})
    with pytest.raises(DataValidationError) as info:
        load_table(path, table)  # type: ignore[arg-type]
    assert [(p.column, p.what, p.lines) for p in info.value.problems] == [
        (column, "duplicated id", (3, 5))
    ]


WRONG: dict[str, dict[str, tuple[str, str]]] = {
    # ages, grades and counts are whole numbers; categories are case-sensitive
    "learners": {
        "learner_id": ("1.5", "wrong type"),
        "age": ("12.5", "wrong type"),
        "grade_level": ("3.5", "wrong type"),
        "session_count": ("1.5", "wrong type"),
        "learning_style": ("Visual", "unknown category"),
    },
    # years_experience is a whole number; a list holds only the vocabulary's items
    "tutors": {
        "years_experience": ("2.5", "wrong type"),
        "total_sessions": ("0.5", "wrong type"),
        "subjects": ("math;physics", "unknown category"),
        "availability": ("morning;noon", "unknown category"),
    },
    # the match flags are 0 or 1; session_index a whole number
    "sessions": {
        "session_index": ("1.5", "wrong type"),
        "style_match": ("2", ""),
        "language_match": ("-1", ""),
        "completion_status": ("Completed", "unknown category"),
    },
}
"""A cell the docs refuse per table: column -> (value, how the problem starts)."""


@pytest.mark.parametrize("table", list(WRONG))
def test_a_cell_of_the_wrong_kind_is_refused_by_column_and_line(
    pristine: Path, tmp_path: Path, table: str
) -> None:
    """Each on its own line, from line 2 on, in the order above."""
    cells = {
        (line, column): value for line, (column, (value, _)) in enumerate(WRONG[table].items(), 2)
    }
    path = tmp_path / FILES[table]
    rewrite(pristine / FILES[table], path, cells)
    with pytest.raises(DataValidationError) as info:
        load_table(path, table)  # type: ignore[arg-type]
    found = {
        p.column: (p.what.startswith(WRONG[table][str(p.column)][1]), p.lines, p.values)
        for p in info.value.problems
    }
    assert found == {column: (True, (line,), (value,)) for (line, column), value in cells.items()}
