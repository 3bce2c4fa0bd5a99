"""`aura run --only` names the files a chosen notebook reads that are missing and that no notebook
chosen before it writes, with the notebook that writes each, before any notebook starts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aura.config import PROJECT_ROOT
from aura.notebook_inputs import INPUTS, TABLES, missing_inputs

GRID = "(notebook 03 or aura train-rl)"
FORESTS = "(notebook 04 or aura train-supervised)"
DRAWN = "(notebook 01 or aura generate)"


STEMS = {
    stem[:2]: stem
    for stem in ("01_data_synthesis", "02_environment_design", "03_rl_training", *INPUTS)
}


def _chosen(tmp_path: Path, *numbers: str, **own: dict[str, str]) -> dict[str, dict[str, str]]:
    """Each chosen notebook's parameters: fresh folders under ``tmp_path``, and a notebook's own
    folders in ``own`` (keyed ``n`` and its number)."""
    shared = {f"{key}_dir": str(tmp_path / key) for key in ("data", "models", "artifacts")}
    return {STEMS[n]: {**shared, **own.get(f"n{n}", {})} for n in numbers}


def _write(folder: Path, *names: str) -> None:
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("{}")


def _tables(data: Path) -> str:
    return ", ".join(str(data / made.name) for made in TABLES)


def test_notebook_04_on_a_data_folder_never_drawn_names_the_tables(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert missing_inputs(_chosen(tmp_path, "04")) == (
        f"04_supervised_training: nothing to train on yet, no {_tables(data)} {DRAWN}: run those "
        "first with the same data_dir"
    )


@pytest.mark.parametrize("stems", [("01", "04"), ("01", "02", "03", "04", "05", "06")])
def test_notebooks_run_after_the_one_that_writes_their_files_are_not_refused(
    tmp_path: Path, stems: tuple[str, ...]
) -> None:
    assert missing_inputs(_chosen(tmp_path, *stems)) is None


def test_notebooks_02_and_03_read_nothing_another_notebook_writes(tmp_path: Path) -> None:
    """Their environments draw learners and tutors from the simulator."""
    assert missing_inputs(_chosen(tmp_path, "02", "03")) is None


def test_a_table_drawn_into_another_folder_is_not_the_one_read(tmp_path: Path) -> None:
    """Notebook 01 writes its own data_dir; notebook 04's section may name another."""
    other = tmp_path / "other"
    chosen = _chosen(tmp_path, "01", "04", n04={"data_dir": str(other)})
    assert missing_inputs(chosen) == (
        f"04_supervised_training: nothing to train on yet, no {_tables(other)} {DRAWN}: run those "
        "first with the same data_dir"
    )


def test_notebook_06_on_fresh_folders_names_the_models_not_the_tables_they_learn_from(
    tmp_path: Path,
) -> None:
    """Notebook 04, which writes the forests, names the tables when it is run."""
    models = tmp_path / "models"
    assert missing_inputs(_chosen(tmp_path, "06")) == (
        f"06_model_export: nothing to export yet, no {models / 'rl' / 'selected.json'} {GRID}; no "
        f"{models / 'supervised' / 'metrics.json'} {FORESTS}: run those first with the same "
        "models_dir"
    )
    assert missing_inputs(_chosen(tmp_path, "03", "04", "06")) == (
        f"04_supervised_training: nothing to train on yet, no {_tables(tmp_path / 'data')} "
        f"{DRAWN}: run those first with the same data_dir"
    )


def test_trained_models_without_their_tables_are_refused_with_the_tables(tmp_path: Path) -> None:
    """Notebooks 05 and 06 read the tables too: a data folder deleted, or another named, after
    the training stopped them in a kernel."""
    models, data = tmp_path / "models", tmp_path / "data"
    _write(models, "rl/results.json", "rl/selected.json", "supervised/metrics.json")
    assert missing_inputs(_chosen(tmp_path, "06")) == (
        f"06_model_export: nothing to export yet, no {_tables(data)} {DRAWN}: run those first "
        "with the same data_dir"
    )
    _write(data, *(made.name for made in TABLES))
    assert missing_inputs(_chosen(tmp_path, "06")) is None
    truth = f"{data / 'truth' / 'sessions_truth.csv'}, {data / 'truth' / 'tutors_truth.csv'}"
    assert missing_inputs(_chosen(tmp_path, "05")) == (
        f"05_evaluation: nothing to evaluate yet, no {truth} {DRAWN}: run those first with the "
        "same data_dir"
    )


def test_files_of_two_folders_are_named_together(tmp_path: Path) -> None:
    models, data = tmp_path / "models", tmp_path / "data"
    _write(models, "supervised/metrics.json")
    assert missing_inputs(_chosen(tmp_path, "06")) == (
        f"06_model_export: nothing to export yet, no {models / 'rl' / 'selected.json'} {GRID}; no "
        f"{_tables(data)} {DRAWN}: run those first with the same models_dir and data_dir"
    )


def test_the_last_notebook_short_of_a_file_is_named(tmp_path: Path) -> None:
    """`--only 04,05` on fresh folders: 05 lacks the grid's results, which 04 does not write."""
    models = tmp_path / "models"
    assert missing_inputs(_chosen(tmp_path, "04", "05")) == (
        f"05_evaluation: nothing to evaluate yet, no {models / 'rl' / 'results.json'} {GRID}: "
        "run those first with the same models_dir"
    )


def test_one_folder_spelt_two_ways_is_one_folder(tmp_path: Path) -> None:
    """Notebook 01 draws into ``data``; notebook 04's section reaches it through ``x/..``."""
    same = str(tmp_path / "x" / ".." / "data")
    assert missing_inputs(_chosen(tmp_path, "01", "04", n04={"data_dir": same})) is None


def test_a_relative_folder_is_read_from_the_project_root_whatever_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Params files give folders from the project root; `aura run` may start anywhere."""
    data = tmp_path / "data"
    _write(data, "learners_data.csv", "tutors_data.csv", "sessions_data.csv")
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    relative = os.path.relpath(data, PROJECT_ROOT)
    assert missing_inputs(_chosen(tmp_path, "04", n04={"data_dir": relative})) is None
    missing = os.path.relpath(tmp_path / "never", PROJECT_ROOT)
    never = tmp_path / "never"
    assert missing_inputs(_chosen(tmp_path, "04", n04={"data_dir": missing})) == (
        f"04_supervised_training: nothing to train on yet, no {never / 'learners_data.csv'}, "
        f"{never / 'tutors_data.csv'}, {never / 'sessions_data.csv'} {DRAWN}: run those first "
        "with the same data_dir"
    )
