"""The edges of what a params file, and a notebook's own parameters, accept: each bound is the
one the code that uses the value has (the simulator, scikit-learn, NumPy's seeding, YAML's
reading of a number), so a value refused here is one that would stop or mislead a run later."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aura.cli import app
from aura.config import PARAMS_DIR, ParamsError, load_params
from aura.params_check import check_notebook_params
from aura.params_edit import derive_params

SHARED = "shared: {{seed: {seed}, data_dir: d, models_dir: m, artifacts_dir: a}}\n"


def checked(*settings: str, tmp_path: Path) -> tuple[int, str]:
    """`aura params check` of the smoke params with ``settings``: exit code and output."""
    path = tmp_path / "edge.yaml"
    path.write_text(derive_params(PARAMS_DIR / "smoke.yaml", list(settings))[0], encoding="utf-8")
    result = CliRunner().invoke(app, ["params", "check", "--params", str(path)])
    assert "Traceback" not in result.output
    return result.exit_code, " ".join(result.output.split()).replace(str(path), "edge.yaml")


@pytest.mark.parametrize("value", [3.0, True])
def test_a_table_size_the_simulator_refuses_is_refused_up_front(value: object) -> None:
    """YAML reads `3.0` as a float and `true` as a bool; the simulator refuses both, after the
    notebook has started."""
    from aura.sim.generate import generate

    with pytest.raises(ValueError, match="n_tutors must be a positive integer"):
        generate(1, 5, value, 10)  # type: ignore[arg-type]
    with pytest.raises(ParamsError, match="01_data_synthesis.n_tutors"):
        check_notebook_params("01_data_synthesis", {"n_tutors": value})


def test_one_session_fewer_than_the_learners_is_refused_and_as_many_is_not() -> None:
    """The simulator gives every learner at least one session: 99 sessions for 100 learners is
    refused by it, 100 is not."""
    from aura.sim.generate import generate

    with pytest.raises(ValueError, match=r"n_sessions \(99\) must be at least n_learners \(100\)"):
        generate(1, 100, 5, 99)
    with pytest.raises(ParamsError, match=r"n_sessions \(99\) must be at least n_learners"):
        check_notebook_params("01_data_synthesis", {"n_learners": 100, "n_sessions": 99})
    check_notebook_params("01_data_synthesis", {"n_learners": 100, "n_sessions": 100})


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        ((1, 1, 1), "the compatibility model's table holds 1 learners, and holding out that share"),
        ((20, 2, 20), "Beginner 10, Intermediate 6, Advanced 0 learners by preferred_difficulty"),
    ],
    ids=["none-to-train", "a-level-missing"],
)
def test_tables_too_small_for_the_forests_are_refused_up_front(
    tmp_path: Path, sizes: tuple[int, int, int], message: str
) -> None:
    """Each size passes its own check at 1, and a run of such a file stopped in notebook 04,
    after the RL grid: the tables notebook 01 will write are drawn and split as the training
    splits them, with the same outcome as the training on the written CSVs."""
    from aura.sim.io import write_datasets
    from aura.supervised import load_feature_tables
    from aura.supervised.training import MODEL_NAMES, supervised_config, training_split

    params = load_params(PARAMS_DIR / "smoke.yaml")
    seed, config = params["shared"]["seed"], supervised_config(params["04_supervised_training"])
    n_learners, n_tutors, n_sessions = sizes
    write_datasets(
        tmp_path / "data",
        seed=seed,
        n_learners=n_learners,
        n_tutors=n_tutors,
        n_sessions=n_sessions,
    )
    tables = load_feature_tables(tmp_path / "data", config.features)
    with pytest.raises(ValueError, match=message):
        for name in MODEL_NAMES:
            training_split(name, tables[name], config, seed)
    names = ("n_learners", "n_tutors", "n_sessions")
    code, out = checked(
        *(f"01_data_synthesis.{k}={v}" for k, v in zip(names, sizes, strict=True)),
        tmp_path=tmp_path,
    )
    shown = ", ".join(f"{k} {v}" for k, v in zip(names, sizes, strict=True))
    assert code == 1
    assert out.startswith(
        f"error: edge.yaml: 01_data_synthesis draws tables too small for "
        f"04_supervised_training ({shown}): "
    )
    assert message in out


def test_the_smallest_tables_the_forests_train_on_pass(tmp_path: Path) -> None:
    """22 learners of the smoke seed hold each difficulty level three times in the training
    split: the check refuses only what the training would."""
    sizes = ("n_learners=22", "n_tutors=2", "n_sessions=22")
    code, out = checked(*(f"01_data_synthesis.{s}" for s in sizes), tmp_path=tmp_path)
    assert code == 0, out


def test_one_tutor_drawn_for_notebook_05_s_served_pool_is_refused_by_its_key(
    tmp_path: Path,
) -> None:
    """Notebook 05 scores the tutor-matching policies on the tutors notebook 01 draws; with one,
    a run stopped there on an oracle no better than random, after the grid and the forests."""
    sizes = ("n_learners=22", "n_tutors=1", "n_sessions=22")
    code, out = checked(*(f"01_data_synthesis.{s}" for s in sizes), tmp_path=tmp_path)
    assert code == 1
    assert out == (
        "error: edge.yaml: 01_data_synthesis.n_tutors is 1, but 05_evaluation scores the "
        "tutor-matching policies on the tutors it draws, and with fewer than 2 every strategy "
        "picks the same tutor: draw at least 2"
    )


def test_sessions_too_many_for_memory_are_refused_with_the_other_sizes_left_default() -> None:
    """`papermill -p n_sessions 1000000000000` on notebook 01 alone (its other sizes at their
    literal defaults) ran until NumPy's MemoryError (aura.sim.generate.check_memory)."""
    with pytest.raises(ParamsError, match=r"n_sessions=1,000,000,000,000 and n_tutors=0 need"):
        check_notebook_params("01_data_synthesis", {"n_sessions": 10**12})


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_a_held_out_share_of_none_or_all_is_refused_by_notebook_06(share: float) -> None:
    """scikit-learn's split takes a share strictly between 0 and 1; notebook 06 run by itself
    (`-p test_size 1.0`) checks only its own section."""
    from sklearn.model_selection import train_test_split

    with pytest.raises(ValueError, match=r"test_size.*range \(0.0, 1.0\)"):
        train_test_split(list(range(10)), test_size=share)
    with pytest.raises(ParamsError, match="06_model_export.test_size"):
        check_notebook_params("06_model_export", {"test_size": share})


def test_the_largest_seed_named_in_the_message_is_accepted(tmp_path: Path) -> None:
    """The refusal says "an integer 0 to 2,147,483,647": both ends are seeds."""
    for seed in (0, 2_147_483_647):
        path = tmp_path / f"seed-{seed}.yaml"
        path.write_text(SHARED.format(seed=seed), encoding="utf-8")
        assert load_params(path)["shared"]["seed"] == seed


@pytest.mark.parametrize(("written", "octal"), [("+020240601", 4276609), ("-010", -8)])
def test_a_signed_integer_with_a_leading_zero_is_refused(
    tmp_path: Path, written: str, octal: int
) -> None:
    """YAML 1.1 reads a sign followed by a leading 0 as octal as well: `+020240601` became
    seed 4276609."""
    assert yaml.safe_load(f"seed: {written}")["seed"] == octal
    path = tmp_path / "signed.yaml"
    path.write_text(SHARED.format(seed=written), encoding="utf-8")
    with pytest.raises(ParamsError) as err:
        load_params(path)
    assert f"{written} has a leading 0, which YAML reads as an octal number ({octal})" in str(
        err.value
    )


def test_an_artifacts_folder_holding_the_data_is_refused(tmp_path: Path) -> None:
    """README, Serving: an `artifacts_dir` that holds the models or the data is refused; the
    export replaces its folder whole, the run's tables with it."""
    code, output = checked(
        f"shared.artifacts_dir={tmp_path / 'out'}",
        f"shared.data_dir={tmp_path / 'out' / 'data'}",
        tmp_path=tmp_path,
    )
    assert code == 1
    assert (
        f"error: edge.yaml: shared.artifacts_dir {tmp_path / 'out'} holds shared.data_dir "
        f"{tmp_path / 'out' / 'data'}: the export replaces its folder whole" in output
    )


def test_a_data_folder_under_a_file_is_refused_before_anything_runs(tmp_path: Path) -> None:
    """Notebook 01 writes the tables into `data_dir`: under a file it would have drawn the whole
    history before its first write failed."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("kept\n")
    code, output = checked(f"shared.data_dir={a_file / 'data'}", tmp_path=tmp_path)
    assert (code, output) == (
        1,
        f"error: edge.yaml: shared.data_dir {a_file / 'data'} lies under {a_file}, which is a "
        "file, not a folder",
    )
    assert a_file.read_text() == "kept\n"


def test_an_artifacts_folder_whose_parent_cannot_be_written_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export writes the new folder beside the old and then swaps them, so an existing
    artifacts folder in a read-only folder cannot be replaced. (Tests may run as root, for whom
    every folder is writable: the parent is made read-only by answering for it.)"""
    import os

    import aura.files

    parent = tmp_path / "readonly"
    (parent / "artifacts").mkdir(parents=True)
    real_access = os.access
    monkeypatch.setattr(
        aura.files.os,
        "access",
        lambda path, mode: Path(path) != parent and real_access(path, mode),
    )
    code, output = checked(f"shared.artifacts_dir={parent / 'artifacts'}", tmp_path=tmp_path)
    assert (code, output) == (
        1,
        f"error: edge.yaml: shared.artifacts_dir {parent / 'artifacts'} cannot be written: the "
        f"folder {parent} is not writable",
    )


def test_no_clone_window_is_refused() -> None:
    """Notebook 02's summary reads round 0 of each window's clone (`by_round.xs(0, ...)`): with
    `clone_windows: []` it stopped there in pandas' KeyError, after the whole study."""
    with pytest.raises(ParamsError, match="02_environment_design.clone_windows"):
        check_notebook_params("02_environment_design", {"clone_windows": []})
    check_notebook_params("02_environment_design", {"clone_windows": [1]})


def test_a_section_that_is_no_mapping_of_the_rl_grid_is_named_with_the_file(
    tmp_path: Path,
) -> None:
    """`tune: 5` raised a TypeError inside the RL config's reading: it is refused in one line
    naming the file, not a traceback."""
    code, output = checked("03_rl_training.tune=5", tmp_path=tmp_path)
    assert code == 1
    assert output.startswith("error: edge.yaml: ")


def test_a_yaml_problem_at_the_place_of_its_context_names_the_place_once(tmp_path: Path) -> None:
    """PyYAML places "found undefined tag handle" and "while parsing a node" both at the tag:
    one place, named once."""
    path = tmp_path / "tag.yaml"
    path.write_text("shared: !x!y 1\n", encoding="utf-8")
    with pytest.raises(ParamsError) as err:
        load_params(path)
    assert str(err.value) == (
        f"params file {path} is not valid YAML (line 1, column 9): found undefined tag handle "
        "'!x!', while parsing a node"
    )


def test_a_section_left_empty_is_refused_with_what_to_write(tmp_path: Path) -> None:
    """YAML reads a section header with nothing under it as null: the notebook's parameters
    would be None, not a mapping."""
    assert yaml.safe_load("01_data_synthesis:\n") == {"01_data_synthesis": None}
    path = tmp_path / "empty-section.yaml"
    path.write_text(SHARED.format(seed=1) + "01_data_synthesis:\n", encoding="utf-8")
    with pytest.raises(ParamsError) as err:
        load_params(path)
    assert str(err.value) == (
        f"params file {path}: section '01_data_synthesis' must be a mapping (use '{{}}' for a "
        "notebook without parameters)"
    )


def test_a_relative_params_path_is_read_from_the_project_root_whatever_the_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """README, Params and runs: paths are relative to the project root (notebooks run from
    `notebooks/`)."""
    from aura.config import PROJECT_ROOT, project_path

    monkeypatch.chdir(tmp_path)
    assert project_path("data/default") == PROJECT_ROOT / "data" / "default"
    assert project_path(tmp_path / "x") == tmp_path / "x"


def test_a_notebooks_own_section_is_injected_over_the_shared_keys() -> None:
    """README, Params and runs: the runner injects the `shared` keys, then the notebook's own
    section."""
    from aura.config import notebook_params

    shared = {"seed": 1, "data_dir": "d", "models_dir": "m", "artifacts_dir": "a"}
    params = {"shared": shared, "02_environment_design": {"seed": 7, "n_episodes": 5}}
    assert notebook_params(params, "02_environment_design") == {
        **shared,
        "seed": 7,
        "n_episodes": 5,
    }


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "02_environment_design.seed=abc",
            "02_environment_design.seed must be an integer 0 to 2,147,483,647 (the seeds drawn "
            "from it, up to millions above it, must stay below 2**32 for NumPy and scikit-learn), "
            "got 'abc'",
        ),
        ("05_evaluation.data_dir=5", "05_evaluation.data_dir must be a folder path, got 5"),
    ],
)
def test_a_shared_key_given_in_a_notebooks_section_is_checked_as_the_shared_one(
    tmp_path: Path, setting: str, message: str
) -> None:
    """The notebook receives its section's value over the shared one, and checks it in its first
    cell: `aura params check` passed `02_environment_design: {seed: abc}`, and `aura run` stopped
    in notebook 02 once notebook 01 had drawn the data."""
    assert checked(setting, tmp_path=tmp_path) == (1, f"error: edge.yaml: {message}")


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("03_rl_training.tune=5", "03_rl_training.tune must be a mapping, got int"),
        ("03_rl_training.tune=[1]", "03_rl_training.tune must be a mapping, got list"),
        (
            "03_rl_training.envs={tutor_matching: 5}",
            "03_rl_training.envs.tutor_matching must be a mapping, got int",
        ),
        (
            "03_rl_training.tune.env_key=[1]",
            "03_rl_training.tune.env_key: an environment key is a name such as tutor_matching, "
            "got [1]",
        ),
        (
            "03_rl_training.env_keys=[[1]]",
            "03_rl_training.envs: an environment key is a name such as tutor_matching, got [1]",
        ),
        (
            "03_rl_training.algorithms=[[1]]",
            "03_rl_training.algorithms: unknown algorithm [1]; expected one of ppo, dqn, a2c",
        ),
        (
            "03_rl_training.hyperparams={1: 2}",
            "03_rl_training.hyperparams: unknown key(s) 1; expected some of a2c, dqn, ppo",
        ),
    ],
)
def test_an_rl_block_of_the_wrong_shape_is_named_by_its_key(
    tmp_path: Path, setting: str, message: str
) -> None:
    """Each was refused with Python's own words and no key: "'int' object is not iterable",
    "unhashable type: 'list'", "sequence item 0: expected str instance, int found"."""
    assert checked(setting, tmp_path=tmp_path) == (1, f"error: edge.yaml: {message}")


@pytest.mark.parametrize(
    ("section", "written", "read"),
    [
        ("01_data_synthesis", "on", "True, is read by YAML as a boolean"),
        ("01_data_synthesis", "null", "None, is read by YAML as nothing (null)"),
        ("shared", "1.5", "1.5, is read by YAML as a number"),
        (None, "yes", "True, is read by YAML as a boolean"),
        (None, "3", "3, is read by YAML as a number"),
    ],
)
def test_a_name_yaml_reads_as_no_text_is_refused_in_one_line(
    tmp_path: Path, section: str | None, written: str, read: str
) -> None:
    """``on:`` is a boolean to YAML and ``1:`` a number: such a key reached the checks that join
    names into a message, and every command reading the file stopped in a TypeError
    traceback."""
    text = (PARAMS_DIR / "smoke.yaml").read_text(encoding="utf-8")
    if section is None:
        text += f"{written}: {{}}\n"
    else:
        text = text.replace(f"\n{section}:\n", f"\n{section}:\n  {written}: 2\n", 1)
    path = tmp_path / "odd.yaml"
    path.write_text(text, encoding="utf-8")
    where = "a section's name" if section is None else f"a key of section '{section}'"
    result = CliRunner().invoke(app, ["params", "check", "--params", str(path)])
    assert result.exit_code == 1
    assert " ".join(result.output.split()).startswith(
        f"error: params file {path}: {where}, {read}, not a name"
    )


def test_a_params_file_that_is_a_pipe_is_said_to_be_one(tmp_path: Path) -> None:
    """``--params <(...)`` was "params file not found: /dev/fd/63", a file that is there."""
    import os

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(ParamsError) as err:
        load_params(pipe)
    assert str(err.value) == (
        f"params file {pipe} is not a regular file (a pipe or a device); save it as one"
    )
