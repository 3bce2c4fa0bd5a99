"""The written datasets at the spec's scale: layout, sizes, ranges, consistency between tables,
the data dictionary, and the generated part of docs/data.md."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aura.data import load_datasets, optional_columns, required_columns
from aura.data.dictionary_doc import DOCS_PATH, dictionary_markdown, generated_block
from aura.data.schemas import TABLES, WRITTEN_COLUMNS, fields
from aura.sim import FILES, data_dictionary, write_datasets
from aura.sim.vocab import LEARNER_SPEC_COLUMNS, SESSION_SPEC_COLUMNS, TUTOR_SPEC_COLUMNS

SEED = 20240601
SPEC = {"n_learners": 10_000, "n_tutors": 100, "n_sessions": 20_000}
SPEC_COLUMNS = {
    "learners": LEARNER_SPEC_COLUMNS,
    "tutors": TUTOR_SPEC_COLUMNS,
    "sessions": SESSION_SPEC_COLUMNS,
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("spec")
    write_datasets(out, seed=SEED, **SPEC)
    return out


@pytest.fixture(scope="module")
def data(folder: Path):
    """Loading through the validating loader checks every range, category and id."""
    return load_datasets(folder, check_aggregates=True)


def _header(path: Path) -> list[str]:
    with path.open(newline="") as f:
        return next(csv.reader(f))


@pytest.mark.parametrize("table", TABLES)
def test_headers_begin_with_the_spec_columns_in_order(folder: Path, table: str) -> None:
    header = _header(folder / FILES[table])
    spec = list(SPEC_COLUMNS[table])
    assert header[: len(spec)] == spec
    assert header == list(WRITTEN_COLUMNS[table])


def test_row_counts_are_the_spec_sizes(data) -> None:
    assert (len(data.learners), len(data.tutors), len(data.sessions)) == (10_000, 100, 20_000)


def test_ranges_hold(data) -> None:
    """Beyond the loader's schema checks: the simulator's own, tighter documented ranges."""
    learners, sessions = data.learners, data.sessions
    assert learners["attention_span_minutes"].between(5, 60).all()
    assert (learners["session_count"] >= 1).all()
    assert set(sessions["duration_hours"]) <= {0.5, 0.75, 1.0, 1.5, 2.0}
    assert (sessions["tutor_rating"] * 2).eq((sessions["tutor_rating"] * 2).round()).all()
    assert sessions["session_id"].tolist() == list(range(1, 20_001))
    assert pd.to_datetime(sessions["timestamp"]).is_monotonic_increasing


def test_every_session_names_an_existing_learner_and_tutor(data) -> None:
    assert data.sessions["learner_id"].isin(data.learners["learner_id"]).all()
    assert data.sessions["tutor_id"].isin(data.tutors["tutor_id"]).all()


def test_learner_aggregates_agree_with_their_sessions(data) -> None:
    by_learner = data.sessions.groupby("learner_id")
    learners = data.learners.set_index("learner_id")
    assert (by_learner.size().reindex(learners.index) == learners["session_count"]).all()
    for column, source in (
        ("engagement_score", "engagement_score"),
        ("success_rate", "exercise_success_rate"),
        ("learning_progress_score", "learning_outcome_score"),
    ):
        mean = by_learner[source].mean().reindex(learners.index)
        np.testing.assert_allclose(learners[column], mean, atol=1e-4, err_msg=column)


def test_session_index_counts_each_learners_sessions(data) -> None:
    index = data.sessions.sort_values("session_id").groupby("learner_id")["session_index"]
    assert (index.diff().dropna() == 1).all()
    assert (index.min() == 1).all()


def test_tutor_totals_agree_with_their_sessions(data) -> None:
    counts = data.sessions.groupby("tutor_id").size()
    totals = data.tutors.set_index("tutor_id")["total_sessions"]
    assert (counts.reindex(totals.index, fill_value=0) == totals).all()
    assert totals.sum() == 20_000


def test_the_docs_give_the_tutors_share_of_the_sessions(data) -> None:
    """Tutors have no capacity, so the spec's sessions gather on a few of them: docs/data.md
    says how many have none and how many the most chosen hold, as these tables have them."""
    totals = data.tutors["total_sessions"].sort_values(ascending=False)
    share = totals / totals.sum()
    text = " ".join(DOCS_PATH.read_text(encoding="utf-8").split())
    assert (
        f"{(totals == 0).sum()} of the 100 tutors have no session" in text
        and f"the five most chosen hold {share.iloc[:5].sum():.1%} of the sessions, the first "
        f"of them {share.iloc[0]:.1%}"
        in text
    )


def test_the_docs_set_the_placement_beside_the_sessions_levels(data) -> None:
    """docs/data.md says how far a learner's placement (preferred_difficulty) is from the level
    of their sessions, as these tables have it."""
    placed = data.learners.set_index("learner_id")["preferred_difficulty"]
    level = data.sessions["difficulty_level"]
    of_advanced = level[data.sessions["learner_id"].map(placed).eq("Advanced").to_numpy()]
    text = " ".join(DOCS_PATH.read_text(encoding="utf-8").split())
    assert (
        f"{placed.eq('Advanced').mean():.1%} of the learners are placed Advanced, but "
        f"{of_advanced.eq('Advanced').mean():.1%} of their sessions (and "
        f"{level.eq('Advanced').mean():.1%} of all) ran at Advanced and "
        f"{of_advanced.eq('Beginner').mean():.1%} at Beginner" in text
    )


def test_dictionary_covers_exactly_the_written_columns(folder: Path) -> None:
    dictionary = data_dictionary()
    assert not dictionary.duplicated(["file", "column"]).any()
    for table in TABLES:
        documented = dictionary.loc[dictionary["file"] == FILES[table], "column"].tolist()
        assert documented == _header(folder / FILES[table]), table
    assert set(dictionary["file"]) == set(FILES.values())


@pytest.mark.parametrize("table", TABLES)
def test_schemas_cover_the_simulators_columns(table: str) -> None:
    assert tuple(f.name for f in fields(table)) == WRITTEN_COLUMNS[table]
    assert set(SPEC_COLUMNS[table]) <= set(required_columns(table))
    assert set(required_columns(table)) | set(optional_columns(table)) == set(
        WRITTEN_COLUMNS[table]
    )


def test_docs_data_md_holds_the_current_dictionary() -> None:
    """Refresh with `python -m aura.data.dictionary_doc` when the dictionary or schemas change."""
    text = DOCS_PATH.read_text(encoding="utf-8")
    assert generated_block(text) == dictionary_markdown()


def test_a_folder_of_tables_the_simulator_did_not_write_is_kept(tmp_path: Path) -> None:
    """Generating into a folder rewrites the simulator's own tables, and refuses, naming them,
    a platform's export or a table edited since it was written."""
    from aura.sim.io import RECORD_FILE, TRUTH_FILES, DataFolderError

    sizes = {"n_learners": 30, "n_tutors": 5, "n_sessions": 60}
    ours = tmp_path / "ours"
    write_datasets(ours, seed=1, **sizes)
    write_datasets(ours, seed=2, **sizes)  # its own tables: rewritten
    (ours / FILES["sessions"]).write_text("edited\n")
    with pytest.raises(DataFolderError, match=r"ours holds sessions_data\.csv, which the sim"):
        write_datasets(ours, seed=3, **sizes)
    assert (ours / FILES["sessions"]).read_text() == "edited\n"

    export = tmp_path / "export"
    export.mkdir()
    (export / FILES["learners"]).write_text("learner_id,age\n1,12\n")
    with pytest.raises(DataFolderError, match="export holds learners_data.csv"):
        write_datasets(export, seed=1, **sizes)
    assert sorted(p.name for p in export.iterdir()) == [FILES["learners"]]

    # A folder written before the record existed holds the whole truth: the simulator's.
    older = tmp_path / "older"
    write_datasets(older, seed=1, **sizes)
    (older / RECORD_FILE).unlink()
    assert all((older / "truth" / name).is_file() for name in TRUTH_FILES.values())
    write_datasets(older, seed=2, **sizes)

    # A record that is no longer JSON vouches for nothing: the tables are named, not replaced.
    (older / RECORD_FILE).write_text("{edited")
    with pytest.raises(DataFolderError, match=r"older holds learners_data\.csv, tutors_data"):
        write_datasets(older, seed=3, **sizes)


@pytest.mark.parametrize("stop", [KeyboardInterrupt, OSError])
def test_a_write_stopped_part_way_leaves_the_folder_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stop: type[BaseException]
) -> None:
    """Stopped while it wrote the sessions (Ctrl-C, a full disk), a write left that table cut
    short, which loaded as a smaller dataset, beside the new learners and the last truth; the
    next write refused the folder. Now every table is the last write's, and nothing else stays."""
    sizes = {"n_learners": 30, "n_tutors": 5, "n_sessions": 60}
    ours = tmp_path / "ours"
    write_datasets(ours, seed=1, **sizes)
    before = {p: p.read_bytes() for p in ours.rglob("*") if p.is_file()}
    to_csv = pd.DataFrame.to_csv

    def cut_short(frame: pd.DataFrame, path: Path, **kwargs) -> None:
        if Path(path).name.startswith(FILES["sessions"]):
            Path(path).write_text("session_id,learner_id\n1,")
            raise stop()
        to_csv(frame, path, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", cut_short)
    for folder in (ours, tmp_path / "new" / "data"):
        with pytest.raises(stop):
            write_datasets(folder, seed=2, **sizes)
    assert {p: p.read_bytes() for p in ours.rglob("*") if p.is_file()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ours"]  # the folders made, gone
    monkeypatch.undo()
    write_datasets(ours, seed=2, **sizes)  # still the simulator's to rewrite
