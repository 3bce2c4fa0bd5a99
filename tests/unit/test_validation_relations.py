"""The relations docs/data.md defines between columns, at their edges: the smallest expertise in
a subject not taught, a match flag wrong either way, a history written in another order than
session_id's, and a relation broken below blank lines (named by the line an editor shows)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from aura.data import DataValidationError, load_datasets, load_table
from aura.sim import FILES, write_datasets
from aura.sim.vocab import LIST_SEPARATOR, SUBJECTS


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("relations")
    write_datasets(out, seed=5, n_learners=40, n_tutors=12, n_sessions=80)
    return out


def read(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f))


def write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)


def test_the_smallest_expertise_in_a_subject_not_taught_is_refused(folder: Path) -> None:
    """The column is 0 if the subject is not taught: 0.001 is not 0."""
    path = folder / FILES["tutors"]
    rows = read(path)
    header = rows[0]
    line, subject = next(
        (i + 1, s)
        for i, row in enumerate(rows[1:], start=1)
        for s in SUBJECTS
        if s not in row[header.index("subjects")].split(LIST_SEPARATOR)
    )
    rows[line - 1][header.index(f"expertise_{subject}")] = "0.001"
    write(path, rows)
    with pytest.raises(DataValidationError) as info:
        load_table(path, "tutors")
    assert [(p.column, p.lines, p.values) for p in info.value.problems] == [
        (f"expertise_{subject}", (line,), ("0.001",))
    ]


def test_a_match_flag_wrong_either_way_is_refused(folder: Path) -> None:
    """A 1 where the learner's and the tutor's style differ and a 0 where they agree."""
    path = folder / FILES["sessions"]
    rows = read(path)
    column = rows[0].index("style_match")
    one = next(i + 1 for i, row in enumerate(rows[1:], start=1) if row[column] == "1")
    zero = next(i + 1 for i, row in enumerate(rows[1:], start=1) if row[column] == "0")
    rows[one - 1][column], rows[zero - 1][column] = "0", "1"
    write(path, rows)
    with pytest.raises(DataValidationError) as info:
        load_datasets(folder)
    [problem] = info.value.problems
    assert (problem.column, problem.lines) == ("style_match", tuple(sorted((one, zero))))


def test_sessions_written_in_another_order_than_session_id_load(folder: Path) -> None:
    """session_id gives the time order, not the file's rows: the same sessions written last
    first are the same history."""
    path = folder / FILES["sessions"]
    rows = read(path)
    write(path, [rows[0], *reversed(rows[1:])])
    assert len(load_datasets(folder).sessions) == len(rows) - 1


def test_a_relation_broken_below_blank_lines_is_named_by_the_files_line(folder: Path) -> None:
    """Two blank lines after line 2 move every record from line 3 on two lines down. A
    learner's second session takes the session_index of its first, and both are named by the
    lines they are on once the blank lines are in."""
    path = folder / FILES["sessions"]
    rows = read(path)
    learner, index = rows[0].index("learner_id"), rows[0].index("session_index")
    first: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if row[learner] in first:
            a, b = first[row[learner]], line
            break
        first[row[learner]] = line
    rows[b - 1][index] = rows[a - 1][index]
    write(path, rows)
    lines = path.read_text().split("\n")
    path.write_text("\n".join([*lines[:2], "", "", *lines[2:]]))
    with pytest.raises(DataValidationError) as info:
        load_table(path, "sessions")
    [problem] = info.value.problems
    shown = [line if line <= 2 else line + 2 for line in (a, b)]
    assert (problem.column, problem.what.split(" (")[0], problem.lines) == (
        "session_index",
        "repeated for one learner_id",
        tuple(shown),
    )
    assert shown[1] > 4


def test_a_relation_broken_beside_a_row_of_commas_is_named_with_it(folder: Path) -> None:
    """Everything wrong is reported at once: a row of commas alone (line 3) and a learner's
    second session at its first one's session_index, both named in one error."""
    path = folder / FILES["sessions"]
    rows = read(path)
    learner, index = rows[0].index("learner_id"), rows[0].index("session_index")
    first: dict[str, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if line == 3:
            continue
        if row[learner] in first:
            a, b = first[row[learner]], line
            break
        first[row[learner]] = line
    rows[b - 1][index] = rows[a - 1][index]
    rows[2] = [""] * len(rows[0])  # line 3
    write(path, rows)
    with pytest.raises(DataValidationError) as info:
        load_table(path, "sessions")
    found = [(p.column, p.what.split(" (")[0], p.lines) for p in info.value.problems]
    assert found == [
        (None, "no value in any field", (3,)),
        ("session_index", "repeated for one learner_id", tuple(sorted({a, b}))),
    ]


def test_a_repeated_and_a_falling_session_index_are_named_together(folder: Path) -> None:
    """Two learners' histories broken two ways in one file: one learner's second session
    repeats its first's session_index, another's first two sessions swap theirs. Both are named
    in one error."""
    path = folder / FILES["sessions"]
    rows = read(path)
    learner, index = rows[0].index("learner_id"), rows[0].index("session_index")
    pairs: dict[str, list[int]] = {}
    for line, row in enumerate(rows[1:], start=2):
        pairs.setdefault(row[learner], []).append(line)
    (a, b), (c, d) = [lines[:2] for lines in pairs.values() if len(lines) >= 2][:2]
    rows[b - 1][index] = rows[a - 1][index]
    rows[c - 1][index], rows[d - 1][index] = rows[d - 1][index], rows[c - 1][index]
    write(path, rows)
    with pytest.raises(DataValidationError) as info:
        load_table(path, "sessions")
    found = [(p.column, p.what.split(" (")[0], p.lines) for p in info.value.problems]
    assert found == [
        ("session_index", "repeated for one learner_id", (a, b)),
        (
            "session_index",
            "lower at a learner_id's later session_id than at its session before",
            (c, d),
        ),
    ]
