"""A notebook run by itself (papermill `-p`, JupyterLab) checks its own parameters as `aura run`
checks a params file, before any work: a bad value is named, not a TypeError deep inside."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from aura.config import NOTEBOOKS_DIR, SHARED_KEYS, ParamsError
from aura.params_check import NOTEBOOK_SCHEMAS, RUN_DIR_PARAM, check_notebook_params


@pytest.mark.parametrize(
    ("stem", "values", "message"),
    [
        (
            "01_data_synthesis",
            {"n_learners": "abc"},
            "01_data_synthesis.n_learners: Input should be a valid integer",
        ),
        ("01_data_synthesis", {"n_learners": 2.5}, "01_data_synthesis.n_learners"),
        (
            "01_data_synthesis",
            {"n_learners": 100, "n_sessions": 10},
            "n_sessions (10) must be at least n_learners (100)",
        ),
        ("02_environment_design", {"n_episodes": "abc"}, "02_environment_design.n_episodes"),
        (
            "02_environment_design",
            {"tutor_matching": {"n_tutor": 5}},
            "02_environment_design.tutor_matching: aura/TutorMatching-v0 refuses them",
        ),
        (  # papermill's `-p features '{...}'` gives text: a TypeError while reading the data
            "04_supervised_training",
            {"features": '{"engagement": ["duration_hours"]}'},
            "04_supervised_training.features: Input should be a valid dictionary",
        ),
        (
            "04_supervised_training",
            {"features": {"engagement": ["duration_hour"]}},
            "04_supervised_training.features: engagement: unknown feature(s) ['duration_hour']",
        ),
        ("05_evaluation", {"new_pools": -1}, "05_evaluation.new_pools"),
        ("05_evaluation", {"n_bootstrap": "abc"}, "05_evaluation.n_bootstrap"),
        ("06_model_export", {"test_size": 1.5}, "06_model_export.test_size"),
    ],
)
def test_a_bad_parameter_is_named(stem: str, values: dict, message: str) -> None:
    with pytest.raises(ParamsError) as err:
        check_notebook_params(stem, values)
    assert str(err.value).startswith(f"notebook {stem}'s parameters: ")
    assert message in str(err.value)


SHARED = {"seed": 1, "data_dir": "data/x", "models_dir": "models/x", "artifacts_dir": "a"}


@pytest.mark.parametrize(
    ("shared", "message"),
    [
        ({"seed": "abc"}, "shared.seed must be an integer 0 to 2,147,483,647"),
        ({"seed": -3}, "shared.seed must be an integer 0 to 2,147,483,647"),
        ({"seed": True}, "shared.seed must be an integer"),
        ({"data_dir": 5}, "shared.data_dir must be a folder path, got 5"),
        ({"models_dir": " "}, "shared.models_dir must be a folder path, got ' '"),
        ({"artifacts_dir": None}, "shared.artifacts_dir must be a folder path, got None"),
    ],
)
def test_a_bad_shared_parameter_is_named(shared: dict, message: str) -> None:
    """`papermill -p seed abc` or `-p data_dir 5` reached NumPy's seeding or pathlib cells later
    and stopped in a TypeError; a params file's shared keys were checked, a notebook's not."""
    with pytest.raises(ParamsError) as err:
        check_notebook_params("01_data_synthesis", {}, shared={**SHARED, **shared})
    assert str(err.value).startswith(f"notebook 01_data_synthesis's parameters: {message}")
    assert check_notebook_params("01_data_synthesis", {}, shared=SHARED) == {}


@pytest.mark.parametrize(
    ("shared", "message"),
    [
        ({"models_dir": 5}, "shared.models_dir must be a folder path, got 5"),
        ({"seed": -3}, "shared.seed must be an integer 0 to 2,147,483,647"),
    ],
)
def test_notebook_03_names_a_bad_shared_parameter(shared: dict, message: str) -> None:
    """Notebook 03 checks its parameters by building the grid's config, which took `-p
    models_dir 5` to pathlib (a TypeError) and a negative seed as it came."""
    from aura.rl.config import ConfigError
    from aura.rl.config.experiment import experiment_config

    with pytest.raises(ConfigError) as err:
        experiment_config({}, {**SHARED, **shared})
    assert str(err.value).startswith(message)


def test_a_notebook_without_a_check_is_told_where_to_add_one() -> None:
    """docs/extending.md, a notebook: one that calls the check as 01 does, before its stem has
    a function in `NOTEBOOK_SCHEMAS`, is told so by name, not stopped in a KeyError. The stem is
    none a fork would write: the recipe's own `07_example` has a check once a fork adds it."""
    stem = "99_unchecked"
    assert stem not in NOTEBOOK_SCHEMAS
    with pytest.raises(ParamsError, match=rf"notebook {stem} has no check .* NOTEBOOK_SCHEMAS"):
        check_notebook_params(stem, {"n_draws": 5})


def test_each_checked_notebook_checks_its_own_parameters_with_their_defaults() -> None:
    """Every notebook without a config of its own passes each of its section's parameters, and
    the shared ones, to the check, and their literal defaults pass it."""
    import papermill as pm

    for stem in NOTEBOOK_SCHEMAS:
        notebook = NOTEBOOKS_DIR / f"{stem}.ipynb"
        declared = pm.inspect_notebook(str(notebook))
        section = {
            name: ast.literal_eval(p["default"])
            for name, p in declared.items()
            if name not in (*SHARED_KEYS, RUN_DIR_PARAM)
        }
        check_notebook_params(stem, section)
        code = "\n".join(
            cell.source
            for cell in nbformat.read(notebook, as_version=4).cells
            if cell.cell_type == "code"
        )
        call = code[code.index("check_notebook_params(") :]
        call = call[: call.index(")\n")]
        assert f'"{stem}"' in call
        for name in [*section, *SHARED_KEYS]:
            assert f'"{name}": {name}' in call, f"{stem} does not check {name}"


def test_papermill_stops_at_a_bad_parameter_with_its_name(tmp_path: Path) -> None:
    out = tmp_path / "out.ipynb"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "papermill",
            str(NOTEBOOKS_DIR / "01_data_synthesis.ipynb"),
            str(out),
            "-k",
            "python3",
            "-p",
            "n_learners",
            "abc",
            "-p",
            "data_dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
        cwd=NOTEBOOKS_DIR,
    )
    assert result.returncode != 0
    assert (
        "notebook 01_data_synthesis's parameters: 01_data_synthesis.n_learners: Input should be "
        "a valid integer" in result.stderr + result.stdout
    )
    assert not any(tmp_path.glob("*.csv"))  # nothing generated


def test_papermill_stops_at_a_bad_shared_parameter_in_the_first_cell(tmp_path: Path) -> None:
    """`-p data_dir 5` (papermill reads the 5 as a number) stopped in pathlib two cells after the
    imports, with a TypeError that named no parameter."""
    out = tmp_path / "out.ipynb"
    result = subprocess.run(
        [sys.executable, "-m", "papermill", str(NOTEBOOKS_DIR / "01_data_synthesis.ipynb"),
         str(out), "-k", "python3", "-p", "data_dir", "5"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
        cwd=NOTEBOOKS_DIR,
    )  # fmt: skip
    assert result.returncode != 0
    assert (
        "ParamsError: notebook 01_data_synthesis's parameters: shared.data_dir must be a folder "
        "path, got 5" in result.stderr + result.stdout
    )
    executed = nbformat.read(out, as_version=4)
    failed = [
        i
        for i, cell in enumerate(executed.cells)
        if cell.cell_type == "code" and any(o.output_type == "error" for o in cell.outputs)
    ]
    assert len(failed) == 1
    assert "check_notebook_params(" in executed.cells[failed[0]].source  # the check's own cell


def test_the_sizes_memory_counts_the_learners(monkeypatch: pytest.MonkeyPatch) -> None:
    """A params file checked as `aura run` checks it: as many learners as sessions, within the
    free memory by the sessions alone, passed here and was killed by the system in notebook 01."""
    from types import SimpleNamespace

    free = SimpleNamespace(available=4_500_000_000)
    monkeypatch.setattr("aura.sim.generate.psutil.virtual_memory", lambda: free)
    sizes = {"n_learners": 4_000_000, "n_tutors": 5, "n_sessions": 4_000_000}
    with pytest.raises(ParamsError) as err:
        check_notebook_params("01_data_synthesis", sizes)
    assert "need about 5.0 GB" in str(err.value)
    assert "(the 4,000,000 learners counted in, at 0.25 kB each)" in str(err.value)
