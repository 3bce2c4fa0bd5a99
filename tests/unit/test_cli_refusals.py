"""`aura export` and `aura generate` refuse what they cannot do with one line that names the file
or folder and what is wrong (for a missing model, what trains it), exit code 1 and no traceback,
and write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from aura.cli import app
from aura.config import PARAMS_DIR


def params_file(
    tmp_path: Path, shared: dict[str, object], sizes: dict[str, object] | None = None
) -> Path:
    params = yaml.safe_load((PARAMS_DIR / "default.yaml").read_text(encoding="utf-8"))
    params["shared"] = shared
    if sizes is not None:
        params["01_data_synthesis"] = sizes
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params), encoding="utf-8")
    return path


def refusal(params: Path, command: str = "export") -> str:
    result = CliRunner().invoke(app, [command, "--params", str(params)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    return " ".join(result.output.split())  # the console may wrap the line


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, object]:
    return {
        "seed": 1,
        "data_dir": str(tmp_path / "data"),
        "models_dir": str(tmp_path / "models"),
        "artifacts_dir": str(tmp_path / "artifacts"),
    }


def test_a_params_file_without_its_folders_is_named_once(tmp_path: Path) -> None:
    params = params_file(tmp_path, {"seed": 1})
    output = refusal(params)
    assert output.startswith(f"error: params file {params}: section 'shared' is missing key(s)")
    assert output.count(str(params)) == 1


def test_missing_models_say_which_and_what_trains_them(tmp_path: Path, folders) -> None:
    output = refusal(params_file(tmp_path, folders))
    supervised = tmp_path / "models" / "supervised"
    names = "['compatibility', 'difficulty', 'engagement']"
    assert f"{supervised}: no saved model(s) {names}" in output
    assert "`aura train-supervised` or notebook 04" in output
    assert not (tmp_path / "artifacts").exists()


@pytest.mark.parametrize(
    ("sizes", "message"),
    [
        (  # checked as `aura params check` checks it, the key named
            {"n_learners": -3, "n_tutors": 10, "n_sessions": 50},
            "{params}: 01_data_synthesis.n_learners: Input should be greater than 0, got -3",
        ),
        ({"n_learners": 30, "n_sessions": 50}, "params file {params}: missing key 'n_tutors'"),
    ],
)
def test_generate_names_a_size_it_cannot_use(tmp_path: Path, folders, sizes, message) -> None:
    params = params_file(tmp_path, folders, sizes)
    assert refusal(params, "generate").startswith(f"error: {message.format(params=params)}")
    assert not (tmp_path / "data").exists()


def test_export_refuses_a_held_out_share_other_than_training(tmp_path: Path, folders) -> None:
    """Parity is checked on the learners the supervised training held out; another share would
    check it on others without a word."""
    params = params_file(tmp_path, folders)
    text = params.read_text(encoding="utf-8").replace("test_size: 0.2", "test_size: 0.3", 1)
    params.write_text(text, encoding="utf-8")
    assert refusal(params) == (
        f"error: {params}: 06_model_export.test_size is 0.2 but 04_supervised_training.test_size "
        "is 0.3: the export checks the forests' parity on the learners the supervised training "
        "held out"
    )
    assert not (tmp_path / "artifacts").exists()


def test_export_refuses_a_folder_it_did_not_write(tmp_path: Path, folders) -> None:
    """The export replaces its folder whole; a folder of one's own files is named, not deleted,
    and refused before any model is read."""
    own = tmp_path / "artifacts"
    (own / "sub").mkdir(parents=True)
    (own / "notes.txt").write_text("mine")
    output = refusal(params_file(tmp_path, folders))
    assert f"artifacts folder {own} holds notes.txt, sub/ (and no manifest.json" in output
    assert (own / "notes.txt").read_text() == "mine"


def test_export_refuses_an_artifacts_folder_holding_the_models(tmp_path: Path, folders) -> None:
    folders["artifacts_dir"] = str(tmp_path)
    output = refusal(params_file(tmp_path, folders))
    models = tmp_path / "models"
    assert f"shared.artifacts_dir {tmp_path} holds shared.models_dir {models}" in output


def test_tune_refuses_to_write_its_best_params_over_a_file_before_tuning(
    tmp_path: Path, folders
) -> None:
    """The best trial's params file is written after the whole study: a name that would replace
    the tuned file, or any file without --force, is refused before the first trial."""
    params = params_file(tmp_path, folders)
    mine = tmp_path / "mine.yaml"
    mine.write_text("mine")
    for target, message in [
        (params, f"error: --best-params {params} is the params file it derives from"),
        (mine, f"error: {mine} exists; --force overwrites it"),
        (tmp_path, f"error: --best-params {tmp_path} is a folder"),
    ]:
        result = CliRunner().invoke(
            app, ["tune", "--study", "s", "--params", str(params), "--best-params", str(target)]
        )
        assert result.exit_code == 1
        assert " ".join(result.output.split()).startswith(message)
    assert mine.read_text() == "mine"
    assert not (tmp_path / "models").exists()  # no study was opened


def test_notebooks_record_names_a_notebook_it_cannot_find(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["notebooks", "record", str(tmp_path / "nosuch.ipynb")])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert output.startswith(f"error: no notebook {tmp_path / 'nosuch.ipynb'}, here or in ")
    assert "01_data_synthesis.ipynb" in output and "Traceback" not in output


def test_notebooks_record_reads_every_committed_notebook_before_running_any(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Named or not, a notebook that is none is refused before the first one runs: the default
    set, read one by one as each came up, ran notebooks 01-04 (minutes) before refusing 05."""
    import nbformat

    from aura.reports import notebook_outputs

    marker = tmp_path / "ran"
    good = tmp_path / "01_good.ipynb"
    cell = nbformat.v4.new_code_cell(f"open({str(marker)!r}, 'w')")
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), good)
    bad = tmp_path / "02_bad.ipynb"
    bad.write_text("[]")
    monkeypatch.setattr(notebook_outputs, "committed_notebooks", lambda: [good, bad])
    result = CliRunner().invoke(app, ["notebooks", "record"])
    assert result.exit_code == 1
    assert " ".join(result.output.split()).startswith(f"error: {bad} is not a notebook")
    assert not marker.exists()


def test_notebooks_record_names_a_notebook_it_cannot_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As root, a file's mode cannot deny a read; the error reading raises stands for it."""
    from aura.reports import notebook_outputs

    path = tmp_path / "01_locked.ipynb"
    path.write_text("{}")

    def refused(path: Path) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(notebook_outputs, "read_notebook_giving_ids", refused)
    result = CliRunner().invoke(app, ["notebooks", "record", str(path)])
    assert result.exit_code == 1
    assert result.output == f"error: {path} cannot be read: Permission denied\n"


def test_notebooks_record_names_a_folder_given_as_a_notebook(tmp_path: Path) -> None:
    """A folder was "no notebook DIR, here or in notebooks/", as if there were nothing."""
    result = CliRunner().invoke(app, ["notebooks", "record", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == (
        f"error: {tmp_path} is a folder; name notebook files, or none for every "
        "notebooks/NN_*.ipynb\n"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[1, 2]", "is not a notebook: 'list' object has no attribute 'get'"),
        ("{not json", "is not a notebook: Notebook does not appear to be JSON"),
        ('{"nbformat": 4, "nbformat_minor": 5, "cells": []}', "is not a valid notebook: "),
        (
            '{"nbformat": 4, "nbformat_minor": "5", "cells": [], "metadata": {}}',
            "is not a valid notebook: nbformat and nbformat_minor must be whole numbers",
        ),
        # nbformat reads both without a word: a cell's source is text, metadata an object
        (
            '{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"id": "a", '
            '"cell_type": "code", "source": 5, "metadata": {}, "outputs": [], '
            '"execution_count": null}]}',
            "is not a valid notebook: ",
        ),
        (
            '{"nbformat": 4, "nbformat_minor": 5, "cells": [], "metadata": []}',
            "is not a notebook: ",
        ),
    ],
)
def test_notebooks_record_reads_every_name_before_running_any(
    tmp_path: Path, text: str, reason: str
) -> None:
    """A file that is not a notebook, named after a good one, is refused by name before the good
    one runs (nbformat's bare "'list' object has no attribute 'get'" came after it had run). A
    version number that is not a whole number (nbformat's schema: an integer) was a traceback
    ending in a bare AssertionError."""
    import nbformat

    marker = tmp_path / "ran"
    good = tmp_path / "good.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(f"open({str(marker)!r}, 'w')")])
    nbformat.write(nb, good)
    before = good.read_bytes()
    bad = tmp_path / "bad.ipynb"
    bad.write_text(text)
    result = CliRunner().invoke(app, ["notebooks", "record", str(good), str(bad)])
    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert output.startswith(f"error: {bad} {reason}")
    assert "Traceback" not in output
    assert not marker.exists() and good.read_bytes() == before


def kept_kernel_logs(folder: Path) -> list[Path]:
    """The kernel logs a failed recording left in ``folder``: at most one, and never an empty
    one (a kernel that wrote nothing has its log removed)."""
    kept = sorted(folder.iterdir())
    assert len(kept) <= 1, kept
    assert all(log.stat().st_size > 0 for log in kept), "a quiet kernel's log is not kept"
    return kept


def test_notebooks_record_names_the_cell_that_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """nbclient's error is the failing cell's source and its whole traceback in terminal colours:
    the command printed that under "failed, left unchanged", naming no cell. It names the cell,
    numbered as JupyterLab shows it (as `aura run` does), and the error, in one line. A kernel
    that wrote to its own log (ipykernel's "IOStream.flush timed out" on a loaded machine) has
    that log named in the line too, and only then."""
    import tempfile

    import nbformat

    logs = tmp_path / "tmp"
    logs.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(logs))
    v4 = nbformat.v4
    path = tmp_path / "scratch-notebook.ipynb"  # no kernelspec, a name outside NN_name
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("A note."),
            v4.new_code_cell("x = 1"),
            v4.new_code_cell("y = x + 1\nraise ValueError('boom in cell three')"),
            v4.new_code_cell(
                "# summary\nprint(y)",
                execution_count=4,
                outputs=[v4.new_output("stream", name="stdout", text="stale\n")],
            ),
        ]
    )
    nbformat.write(nb, path)
    before = path.read_bytes()
    result = CliRunner().invoke(app, ["notebooks", "record", str(path)])
    assert result.exit_code == 1
    kept = kept_kernel_logs(logs)
    named = "".join(f" (the kernel's own log: {log})" for log in kept)
    assert result.output == (
        "error: scratch-notebook.ipynb failed in cell 3: ValueError: boom in cell three"
        f"{named}; scratch-notebook.ipynb left unchanged\n"
    )
    assert path.read_bytes() == before


def test_notebooks_record_names_a_cell_that_ran_past_its_time_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cell still running when a cell's time is up (30 minutes; 2 s here) stopped the command
    with nbclient's message, the cell's source over several lines and no cell number, and the
    log of a kernel shut down mid-cell, whose only content is that shutdown's traceback. It names
    the cell, numbered as JupyterLab shows it, and the limit, in one line, and keeps no log."""
    import tempfile

    import nbformat

    from aura.reports import notebook_outputs

    monkeypatch.setitem(notebook_outputs.record_notebook.__kwdefaults__, "timeout", 2)
    logs = tmp_path / "tmp"
    logs.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(logs))
    v4 = nbformat.v4
    path = tmp_path / "slow.ipynb"
    nb = v4.new_notebook(
        cells=[
            v4.new_markdown_cell("A note."),
            v4.new_code_cell("x = 1"),
            v4.new_code_cell("import time\ntime.sleep(30)"),
            v4.new_code_cell("# summary\nprint(x)"),
        ]
    )
    nbformat.write(nb, path)
    before = path.read_bytes()
    result = CliRunner().invoke(app, ["notebooks", "record", str(path)])
    assert result.exit_code == 1
    assert result.output == (
        "error: slow.ipynb failed in cell 3: still running after 2 s, the time a cell may "
        "take; slow.ipynb left unchanged\n"
    )
    assert path.read_bytes() == before
    assert list(logs.iterdir()) == []


def test_export_without_trained_agents_says_what_trains_them(tmp_path: Path) -> None:
    """The agents are read after the forests: no selected.json, or one that names a model for
    only one environment, is named with what trains the rest (a plain message, not a KeyError's
    quoted one)."""
    from aura.export.policies import policy_exports

    selected = tmp_path / "rl" / "selected.json"
    with pytest.raises(FileNotFoundError) as err:
        policy_exports(tmp_path, seed=0)
    assert str(err.value) == (
        f"{selected} not found; train the agents first (`aura train-rl` or notebook 03)"
    )
    selected.parent.mkdir()
    selected.write_text('{"tutor_matching": {"path": "rl/x.zip"}}', encoding="utf-8")
    with pytest.raises(ValueError) as err:
        policy_exports(tmp_path, seed=0)
    assert str(err.value) == (
        f"{selected} names no model for difficulty_adaptation; train the agents on every "
        "environment (`aura train-rl` or notebook 03)"
    )


def test_export_and_the_logs_refuse_a_policy_that_observes_its_tutors(tmp_path: Path) -> None:
    """A tutor-matching policy trained with `tutor_features` observes 33 columns; the API's
    request and the logged sessions give the eight. Both say so by name instead of failing
    inside torch."""
    from stable_baselines3 import PPO

    from aura.envs.tutor_matching import TutorMatchingEnv
    from aura.evaluation.ope import sb3_action_probabilities
    from aura.export.policies import policy_exports

    model = PPO("MlpPolicy", TutorMatchingEnv(tutor_features=True), n_steps=64, seed=0)
    path = tmp_path / "rl" / "ppo" / "model.zip"
    path.parent.mkdir(parents=True)
    model.save(path)
    selected = {
        name: {"path": "rl/ppo/model.zip"} for name in ("tutor_matching", "difficulty_adaptation")
    }
    (tmp_path / "rl" / "selected.json").write_text(json.dumps(selected), encoding="utf-8")
    with pytest.raises(ValueError) as err:
        policy_exports(tmp_path, seed=0)
    assert str(err.value).startswith(
        f"{path} observes 33 features, but a tutor_matching request gives 8 (age, grade_level, "
    )
    with pytest.raises(ValueError, match="the policy observes 33 features per row, the logged"):
        sb3_action_probabilities(model, np.zeros((3, 8), dtype=np.float32))


@pytest.mark.parametrize(
    "command",
    [
        ["generate"],
        ["train-rl"],
        ["train-supervised"],
        ["export"],
        ["tune", "--study", "never"],
        ["rl-pools"],
        ["rl-probe", "--probe", "exact_reward"],
        ["rl-budget", "--env", "tutor_matching"],
        ["rl-compare"],
    ],
    ids=lambda command: command[0],
)
def test_every_command_checks_its_params_as_a_run_does(
    tmp_path: Path, folders, command: list[str]
) -> None:
    """A section or key no notebook takes was ignored by the commands (only `aura run` and
    `aura params check` refused it), and a bad value stopped a command after part of its work."""
    params = params_file(tmp_path, folders)
    with params.open("a", encoding="utf-8") as f:
        f.write("99_bogus: {}\n")
    result = CliRunner().invoke(app, [*command, "--params", str(params)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert f"{params}: section(s) 99_bogus match no notebook" in " ".join(result.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]  # nothing written


def test_export_names_a_missing_policy_and_a_broken_results_file(tmp_path: Path) -> None:
    """The policy file selected.json names is gone: named once (SB3 named it with a second
    .zip); a results.json cut short: named, not the parser's bare message."""
    from aura.export.policies import POLICY_NAMES, policy_exports

    rl = tmp_path / "rl"
    rl.mkdir()
    paths = {name: f"rl/{name}/ppo/seed_0/final_model.zip" for name in POLICY_NAMES}
    (rl / "selected.json").write_text(
        json.dumps({name: {"algo": "ppo", "path": path} for name, path in paths.items()})
    )
    first = tmp_path / paths[POLICY_NAMES[0]]
    with pytest.raises(FileNotFoundError, match=f"^{first} not found; train the agents again"):
        policy_exports(tmp_path, 0)
    (rl / "results.json").write_text("{")
    with pytest.raises(ValueError, match=f"^{rl / 'results.json'} is not valid JSON"):
        policy_exports(tmp_path, 0)


def test_export_refuses_a_results_file_that_does_not_score_the_served_policy(
    tmp_path: Path,
) -> None:
    """selected.json and results.json of other grids: a results.json without the served
    environment or algorithm exported the policy with no score and no references, and one
    without its seed stopped on "not enough values to unpack"."""
    from aura.export.policies import POLICY_NAMES, policy_exports

    rl = tmp_path / "rl"
    rl.mkdir()
    entry = {"algo": "ppo", "seed_index": 1, "path": "rl/x.zip"}
    (rl / "selected.json").write_text(json.dumps(dict.fromkeys(POLICY_NAMES, entry)))
    scored = {"references": {}, "algorithms": {"ppo": {"seeds": [{"seed_index": 1}]}}}
    results = rl / "results.json"
    for name, other in [
        ("difficulty_adaptation ppo seed 1", {}),
        ("difficulty_adaptation ppo seed 1", {"references": {}, "algorithms": {"dqn": {}}}),
        ("difficulty_adaptation ppo seed 1", {**scored, "algorithms": {"ppo": {"seeds": []}}}),
    ]:
        content = {"results": {"tutor_matching": scored, "difficulty_adaptation": other}}
        results.write_text(json.dumps(content))
        with pytest.raises(ValueError) as err:
            policy_exports(tmp_path, 0)
        assert str(err.value) == (
            f"{results} holds no scores for {name}, which {rl / 'selected.json'} serves: the two "
            "are of other grids; train the agents again (`aura train-rl` or notebook 03)"
        )
    results.write_text(json.dumps({"results": {}}))
    with pytest.raises(ValueError, match="no scores for tutor_matching ppo seed 1; difficulty_"):
        policy_exports(tmp_path, 0)
    results.unlink()  # no results.json: exported without scores, as before (the file is read)
    with pytest.raises(FileNotFoundError, match="x.zip not found"):
        policy_exports(tmp_path, 0)


def test_export_names_a_damaged_model_file(tmp_path: Path) -> None:
    from aura.supervised import load_models

    folder = tmp_path / "supervised"
    folder.mkdir()
    for name in ("compatibility", "difficulty", "engagement"):
        (folder / f"{name}.joblib").write_bytes(b"garbage")
    with pytest.raises(ValueError, match=f"^{folder / 'compatibility.joblib'} cannot be read as"):
        load_models(tmp_path)


def test_generate_names_an_out_it_cannot_write(tmp_path: Path, folders) -> None:
    params = params_file(tmp_path, folders, {"n_learners": 30, "n_tutors": 5, "n_sessions": 50})
    a_file = tmp_path / "notes.txt"
    a_file.write_text("kept\n")
    result = CliRunner().invoke(app, ["generate", "--params", str(params), "--out", str(a_file)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    output = " ".join(result.output.split())
    assert output == f"error: --out {a_file} is a file, not a folder; nothing was drawn"
    assert a_file.read_text() == "kept\n"


@pytest.mark.parametrize("where", ["--out", "data_dir", "--out under a file"])
def test_generate_refuses_a_folder_it_cannot_write_before_it_draws(
    tmp_path: Path, folders, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """A file named as the data folder was refused only once every session was drawn (minutes
    at the default size), as the tables were written."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("kept\n")
    named = a_file / "data" if where.endswith("under a file") else a_file
    shared = {**folders, "data_dir": str(named)} if where == "data_dir" else folders
    params = params_file(tmp_path, shared)  # the default sizes
    drawn: list[object] = []
    monkeypatch.setattr("aura.sim.io.generate", lambda *args, **kwargs: drawn.append(args))
    out = [] if where == "data_dir" else ["--out", str(named)]

    result = CliRunner().invoke(app, ["generate", "--params", str(params), *out])

    assert drawn == []
    assert result.exit_code == 1 and "Traceback" not in result.output
    problem = (
        f"lies under {a_file}, which is a file, not a folder"
        if named != a_file
        else "is a file, not a folder"
    )
    expected = (
        f"error: {params}: shared.data_dir {named} {problem}"
        if where == "data_dir"
        else f"error: --out {named} {problem}; nothing was drawn"
    )
    assert " ".join(result.output.split()) == expected
    assert a_file.read_text() == "kept\n"


def test_generate_stopped_says_nothing_was_written(
    tmp_path: Path, folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C or SIGTERM ended `aura generate` with exit code 130 and not a word."""
    params = params_file(tmp_path, folders, {"n_learners": 30, "n_tutors": 5, "n_sessions": 50})

    def stopped(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("aura.sim.write_datasets", stopped)
    result = CliRunner().invoke(app, ["generate", "--params", str(params)])
    assert result.exit_code == 130 and "Traceback" not in result.output
    output = " ".join(result.output.split())
    assert output == f"interrupted: nothing was written to {tmp_path / 'data'}"


def test_train_supervised_stopped_says_the_last_models_stand(
    tmp_path: Path, folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C or SIGTERM ended the training with exit code 130 and not a word."""
    params = params_file(tmp_path, folders)
    folder = tmp_path / "models" / "supervised"

    def stopped(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("aura.supervised.train_all", stopped)
    for message in (
        f"interrupted: nothing was saved to {folder}",
        f"interrupted: nothing was saved; {folder} keeps the last training's models",
    ):
        result = CliRunner().invoke(app, ["train-supervised", "--params", str(params)])
        assert result.exit_code == 130 and "Traceback" not in result.output
        assert " ".join(result.output.split()) == message
        folder.mkdir(parents=True, exist_ok=True)


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (["tune", "--study", " "], "--study needs a name"),
        (["rl-pools", "--pool-seed", "-1"], "Invalid value for '--pool-seed'"),
        (["generate", "--out", ""], "Invalid value for '--out': is empty"),
    ],
    ids=["empty-study", "negative-pool-seed", "empty-out"],
)
def test_an_option_without_a_usable_value_is_refused(
    tmp_path: Path, folders, command: list[str], message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where an empty --out had written the tables
    result = CliRunner().invoke(app, [*command, "--params", str(params_file(tmp_path, folders))])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert message in " ".join(result.output.split())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]


@pytest.mark.parametrize(
    ("command", "said", "code"),
    [
        (["runs", "list", "--runs-dir", ""], "runs list: Invalid value for '--runs-dir'", 2),
        (["serve", "--artifacts", " "], "serve: Invalid value for '--artifacts'", 2),
        (["runs", "compare", "", "latest"], "an empty name names no run", 1),
    ],
    ids=["runs-list", "serve", "runs-compare"],
)
def test_an_empty_folder_or_run_is_refused_not_read_as_the_current_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], said: str, code: int
) -> None:
    """As a path, "" is ``.``: `aura runs list --runs-dir ""` listed every folder of the
    current one as a run without a record, `aura serve --artifacts ""` looked for a manifest
    there and `aura runs compare "" latest` named ``.`` rather than what it was given."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "not-a-run").mkdir()
    result = CliRunner().invoke(app, command)
    assert result.exit_code == code, result.output
    assert result.output.count("\n") == 1 and said in result.output, result.output


@pytest.mark.parametrize(
    ("command", "key"),
    [
        (["train-rl"], "models_dir"),
        (["train-supervised"], "models_dir"),
        (["rl-probe", "--probe", "no_shift"], "models_dir"),
        (["rl-budget", "--env", "tutor_matching"], "models_dir"),
        (["rl-pools"], "models_dir"),
        (["tune", "--study", "s"], "models_dir"),
        (["export"], "artifacts_dir"),
        (["params", "check"], "models_dir"),
    ],
)
def test_a_results_folder_under_a_file_is_refused_before_any_work(
    tmp_path: Path, folders, command: list[str], key: str
) -> None:
    """The folder a command writes its results into, under a file: the training used to run its
    minutes and then stop with a traceback (FileExistsError, NotADirectoryError); the export
    after its checks; tune blamed a --best-params it was not given."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("kept\n")
    folder = a_file / "models" if key == "models_dir" else a_file
    params = params_file(tmp_path, {**folders, key: str(folder)})
    result = CliRunner().invoke(app, [*command, "--params", str(params)])
    output = " ".join(result.output.split())
    assert result.exit_code == 1, output
    assert "Traceback" not in output
    problem = {
        "models_dir": f"shared.models_dir {a_file / 'models'} lies under {a_file}, which is a "
        "file, not a folder",
        "artifacts_dir": f"shared.artifacts_dir {a_file} is a file, not a folder",
    }[key]
    assert f"error: {params}: {problem}" in output
    assert a_file.read_text() == "kept\n"


def test_a_long_command_in_a_log_says_how_far_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a terminal the bar is off: rl-probe and rl-budget printed nothing for their
    minutes of training. A line at each tenth of the steps, the kept ones at once."""
    import io

    from rich.console import Console

    from aura.cli import common

    out = io.StringIO()
    monkeypatch.setattr(common, "console", Console(file=out, force_terminal=False, width=200))
    with common.steps_progress() as bar:
        advance = common.advancing(bar, "ppo with probe p, 2 seeds")
        for steps in (3_000, 3_500, 4_000, 9_999, 10_000):
            advance(steps, 10_000)
    lines = [line.rsplit(",", 1)[0] for line in out.getvalue().splitlines()]
    assert lines == [
        "ppo with probe p, 2 seeds: 3,000 of 10,000 steps (30%)",
        "ppo with probe p, 2 seeds: 4,000 of 10,000 steps (40%)",
        "ppo with probe p, 2 seeds: 9,999 of 10,000 steps (90%)",
        "ppo with probe p, 2 seeds: 10,000 of 10,000 steps (100%)",
    ]


def test_the_export_names_the_models_that_missed_a_target(monkeypatch: pytest.MonkeyPatch) -> None:
    """A forest that missed a target was exported and served without a word: the product team
    read the manifest's metrics or nothing."""
    from types import SimpleNamespace

    import aura.export.pipeline as pipeline

    def model(checks: dict | None, kind: str = "forest") -> SimpleNamespace:
        parity = {"rows": 10.0, "max_abs_diff": 1e-7}
        metrics = {} if checks is None else {"checks": checks}
        return SimpleNamespace(
            file="m.onnx", size_bytes=2**20, parity=parity, kind=kind, metrics=metrics
        )

    models = {
        "compatibility": model({"mse_below_0.1": True, "ratio_at_most_1.10": False}),
        "difficulty": model({"share_at_least_0.97": True}),
        "tutor_matching": model(None, kind="policy"),
    }
    manifest = SimpleNamespace(models=models, version="abc")
    monkeypatch.setattr(pipeline, "export_run", lambda *args, **kwargs: manifest)
    result = CliRunner().invoke(app, ["export", "--params", str(PARAMS_DIR / "smoke.yaml")])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "exported models that missed a target: compatibility ratio_at_most_1.10" in output
    assert "difficulty share" not in output


def test_the_export_names_the_models_learned_from_a_platform_s_tables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Forests trained on a platform's own tables have no checks, so no target was named as
    missed and the export said nothing: read as every target met."""
    from types import SimpleNamespace

    import aura.export.pipeline as pipeline

    def model(metrics: dict, kind: str = "forest") -> SimpleNamespace:
        parity = {"rows": 10.0, "max_abs_diff": 1e-7}
        return SimpleNamespace(
            file="m.onnx", size_bytes=2**20, parity=parity, kind=kind, metrics=metrics
        )

    models = {
        "compatibility": model({"simulator_data": False}),
        "difficulty": model({"simulator_data": True, "checks": {"share_at_least_0.97": True}}),
        "engagement": model({"simulator_data": False}),
        "tutor_matching": model({}, kind="policy"),
    }
    manifest = SimpleNamespace(models=models, version="abc")
    monkeypatch.setattr(pipeline, "export_run", lambda *args, **kwargs: manifest)
    result = CliRunner().invoke(app, ["export", "--params", str(PARAMS_DIR / "smoke.yaml")])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert (
        "note: exported models learned from tables the simulator did not write, so without a "
        "Bayes reference or targets checked: compatibility, engagement" in output
    )


def test_an_export_that_fails_to_write_says_so_in_a_line(
    tmp_path: Path, folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk while the files were written aside ended `aura export` in a traceback."""
    import errno

    import aura.export.pipeline as pipeline

    params = params_file(tmp_path, folders)
    half = tmp_path / ".artifacts.tmp-0" / "compatibility.onnx"

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(half))

    monkeypatch.setattr(pipeline, "export_run", full)
    assert (
        refusal(params) == f"error: {params}: the export failed: No space left on device ({half})"
    )


class Terminated(Exception):
    """What SIGTERM raises in the test below where no handler of the command's own stands: its
    default would end the test process."""


def test_export_stopped_by_sigterm_leaves_nothing_half_written(
    tmp_path: Path, folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM while the export wrote its files aside ended `aura export` at once, leaving a
    hidden folder of half the files beside the artifacts (one more at each stop)."""
    import signal

    import aura.export.pipeline as pipeline
    from aura.export.atomic import atomic_directory

    params = params_file(tmp_path, folders)
    artifacts = tmp_path / "artifacts"

    def stopped(data_dir: Path, models_dir: Path, target: Path, **kwargs: object) -> None:
        with atomic_directory(target) as staging:
            (staging / "compatibility.onnx").write_bytes(b"half")
            signal.raise_signal(signal.SIGTERM)

    def terminated(*args: object) -> None:
        raise Terminated

    monkeypatch.setattr(pipeline, "export_run", stopped)
    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        for message in (
            f"interrupted: nothing was written to {artifacts}",
            f"interrupted: nothing was written; {artifacts} keeps the last export",
        ):
            result = CliRunner().invoke(app, ["export", "--params", str(params)])
            assert result.exit_code == 130 and "Traceback" not in result.output
            assert " ".join(result.output.split()) == message
            assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
            artifacts.mkdir(exist_ok=True)
            (artifacts / "manifest.json").write_text("{}")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert [p.name for p in artifacts.iterdir()] == ["manifest.json"]


def test_rl_probe_help_names_every_probe_whole_at_80_columns() -> None:
    """The probe list sat in the option's narrow help column and was cut at 80 columns
    ("filter_start_4_blocks_c…")."""
    from aura.rl.probes import PROBES

    result = CliRunner().invoke(app, ["rl-probe", "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    words = set(result.output.replace(",", " ").replace(";", " ").split())
    assert set(PROBES) <= words
    assert "…" not in result.output.split("Options")[0]


def test_the_algo_option_names_the_registry_s_algorithms() -> None:
    """The --algo help of rl-budget and rl-probe is built from `ALGORITHMS`, so that an
    algorithm a fork adds is named there with no other edit (docs/extending.md, recipe 1)."""
    from aura.cli.rl_training import ALGO_HELP
    from aura.rl.config.algorithms import ALGORITHMS

    assert set(ALGORITHMS) <= set(ALGO_HELP.rstrip(".").replace(",", " ").split())
    for command in ("rl-budget", "rl-probe"):
        result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0 and ALGO_HELP in result.output


def test_train_supervised_before_generate_says_so_in_one_line(tmp_path: Path, folders) -> None:
    """It said "1 data problem in 1 file (rows are CSV line numbers; the header is line 1):",
    the folder on a line of its own and "dataset folder not found" on a third."""
    params = params_file(tmp_path, folders)
    result = CliRunner().invoke(app, ["train-supervised", "--params", str(params)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output == (
        f"error: {params}: {tmp_path / 'data'}: dataset folder not found (aura generate or "
        "notebook 01 writes it)\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["params.yaml"]
