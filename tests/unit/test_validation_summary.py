"""The first line of a data error counts what follows (problems, and the files they are in), and
the files follow in the order docs/data.md lists the tables: learners, tutors, sessions."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from aura.data import DataValidationError, load_datasets
from aura.sim import FILES, write_datasets

HEADING = "(rows are CSV line numbers; the header is line 1):"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("small")
    write_datasets(out, seed=5, n_learners=60, n_tutors=6, n_sessions=120)
    return out


def set_cells(folder: Path, table: str, cells: dict[str, str], line: int = 3) -> Path:
    """Set ``cells`` (column: text) on CSV line ``line`` of ``table`` (the header is line 1)."""
    path = folder / FILES[table]
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    for column, value in cells.items():
        rows[line - 1][rows[0].index(column)] = value
    with path.open("w", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(rows)
    return path


def message_of(folder: Path) -> str:
    with pytest.raises(DataValidationError) as info:
        load_datasets(folder)
    return str(info.value)


def test_two_problems_in_one_file_are_counted_as_such(folder: Path) -> None:
    path = set_cells(folder, "learners", {"age": "25", "engagement_score": "7"})
    lines = message_of(folder).splitlines()
    assert lines[0] == f"2 data problems in 1 file {HEADING}"
    assert lines[1] == f"{path}:"
    assert [line[:15] for line in lines[2:]] == ["  - column 'age", "  - column 'eng"]


def test_the_files_follow_the_order_of_the_tables(folder: Path) -> None:
    """Sessions after tutors, though its name sorts before."""
    sessions = set_cells(folder, "sessions", {"engagement_score": "9"})
    tutors = set_cells(folder, "tutors", {"rating": "9"})
    lines = message_of(folder).splitlines()
    assert lines[0] == f"2 data problems in 2 files {HEADING}"
    assert [line for line in lines if not line.startswith("  - ")][1:] == [
        f"{tutors}:",
        f"{sessions}:",
    ]
