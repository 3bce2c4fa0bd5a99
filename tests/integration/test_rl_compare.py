"""`aura rl-compare`: a study's runs against the grid it changes, paired by seed and episode, on
two tiny grids written as a study is (`aura params derive`) and trained as `aura train-rl` does."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aura.cli import app
from aura.config import PARAMS_DIR
from aura.params_edit import derive_params
from aura.rl.compare import compare_grids
from aura.rl.config import ConfigError
from aura.rl.config.experiment import load_experiment
from aura.rl.experiment import run_experiment

TINY = [
    "03_rl_training.algorithms=[a2c]",
    "03_rl_training.env_keys=[difficulty_adaptation]",
    "03_rl_training.n_test_episodes=20",
    "03_rl_training.curve_episodes=10",
    "03_rl_training.training.total_timesteps=1000",
    "03_rl_training.training.eval_freq=500",
    "03_rl_training.training.save_freq=500",
]


def derived(folder: Path, name: str, *changes: str) -> Path:
    """A tiny grid's params file, derived from smoke.yaml as a study is from default.yaml."""
    changed = {change.partition("=")[0] for change in changes}
    tiny = [s for s in TINY if s.partition("=")[0] not in changed]
    settings = [*tiny, *changes, f"shared.models_dir={folder / name}"]
    path = folder / f"{name}.yaml"
    path.write_text(derive_params(PARAMS_DIR / "smoke.yaml", settings)[0], encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def grids(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("compare")
    found = {
        "base": derived(folder, "base"),
        "study": derived(
            folder, "study", "03_rl_training.hyperparams.a2c.difficulty_adaptation.gamma=0.5"
        ),
        "other_episodes": derived(folder, "other", "03_rl_training.n_test_episodes=30"),
        "tutors": derived(folder, "tutors", "03_rl_training.env_keys=[tutor_matching]"),
        "tutors_seen": derived(
            folder,
            "seen",
            "03_rl_training.env_keys=[tutor_matching]",
            "03_rl_training.envs={tutor_matching: {kwargs: {tutor_features: true}}}",
        ),
    }
    for path in found.values():
        run_experiment(load_experiment(path), n_workers=1)
    found["untrained"] = derived(folder, "untrained")
    found["untrained_more_seeds"] = derived(folder, "more", "03_rl_training.seeds=3")
    found["other_env"] = derived(folder, "tutor", "03_rl_training.env_keys=[tutor_matching]")
    return found


def test_a_study_is_paired_with_the_grid_it_changes(grids) -> None:
    [row] = compare_grids(load_experiment(grids["study"]), load_experiment(grids["base"]))
    assert (row["env_key"], row["algo"]) == ("difficulty_adaptation", "a2c")
    assert row["per_seed"] != row["base_per_seed"]  # another discount, other policies
    lead = row["lead"]
    assert lead["mean"] == pytest.approx(np.mean(row["per_seed"]) - np.mean(row["base_per_seed"]))
    assert lead["low"] < lead["mean"] < lead["high"]

    [same] = compare_grids(load_experiment(grids["base"]), load_experiment(grids["base"]))
    assert same["lead"]["mean"] == same["lead"]["low"] == same["lead"]["high"] == 0.0
    assert same["normalised"] == row["base_normalised"]


def test_a_study_that_shows_the_policy_more_is_paired_on_the_same_episodes(grids) -> None:
    """With `tutor_features` the episodes, random and the oracle are the same, and the
    references that learn from the observation (the ceiling) are not: still a pair."""
    [row] = compare_grids(load_experiment(grids["tutors_seen"]), load_experiment(grids["tutors"]))
    assert row["per_seed"] != row["base_per_seed"]
    refs = [
        json.loads((grids["base"].parent / name / "rl" / "results.json").read_text())
        for name in ("seen", "tutors")
    ]
    seen, plain = (r["results"]["tutor_matching"]["references"]["episode_returns"] for r in refs)
    assert seen["random"] == plain["random"] and seen["oracle"] == plain["oracle"]
    assert seen["observation ceiling"] != plain["observation ceiling"]


@pytest.mark.parametrize(
    ("mine", "theirs", "message"),
    [
        ("other_episodes", "base", "random and oracle returns differ on the held-out episodes"),
        ("untrained", "base", "no grid results at"),
        ("base", "untrained_more_seeds", "no grid results at"),  # named before the seeds
        ("base", "other_env", r"share no \(environment, algorithm\) to compare"),
    ],
)
def test_grids_that_pair_nothing_are_refused(grids, mine: str, theirs: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        compare_grids(load_experiment(grids[mine]), load_experiment(grids[theirs]))


def test_the_command_prints_each_lead_and_names_a_refusal(grids) -> None:
    def invoke(mine: str, theirs: str) -> tuple[int, str]:
        args = ["rl-compare", "--params", str(grids[mine]), "--against", str(grids[theirs])]
        result = CliRunner().invoke(app, args)
        assert "Traceback" not in result.output
        return result.exit_code, " ".join(result.output.split())

    code, output = invoke("study", "base")
    assert code == 0
    assert "difficulty adaptation A2C: " in output and "paired by seed and episode" in output
    [row] = compare_grids(load_experiment(grids["study"]), load_experiment(grids["base"]))
    ref = row["references"]
    assert ref["hand_rule_name"] == "staircase" and ref["ceiling_name"] == "model-based filter"
    assert (
        "difficulty adaptation: random 0, oracle 1; hand rule staircase "
        f"{ref['hand_rule_normalised']:.3f}; model-based filter {ref['ceiling_normalised']:.3f}"
    ) in output
    code, output = invoke("untrained", "base")
    assert code == 1 and output.startswith("error: no grid results at")
    assert output.endswith(f"train that grid first: aura train-rl --params {grids['untrained']}")
    code, output = invoke("base", "untrained")  # the grid compared with is the one named
    assert output.endswith(f"aura train-rl --params {grids['untrained']}")
    code, output = invoke("base", "base")
    assert code == 1 and "a grid is not compared with itself" in output
    copy = grids["base"].with_name("base-copy.yaml")  # another file, the same models folder
    copy.write_text(grids["base"].read_text())
    result = CliRunner().invoke(
        app, ["rl-compare", "--params", str(copy), "--against", str(grids["base"])]
    )
    assert result.exit_code == 1
    assert "keep their grids in the same folder" in " ".join(result.output.split())


def test_a_results_file_that_is_no_grids_is_named(grids) -> None:
    """A results.json cut short or edited by hand: named, not the parser's bare message."""
    cfg = load_experiment(grids["untrained"])  # its models folder holds no grid
    path = cfg.rl_dir / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        for text, message in [("{", "is not valid JSON"), ("[1]", "holds no grid's results")]:
            path.write_text(text)
            with pytest.raises(ConfigError, match=f"{path} {message}"):
                compare_grids(cfg, load_experiment(grids["base"]))
    finally:
        path.unlink()


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda env: env.pop("n_test_episodes"), "difficulty_adaptation has no n_test_episodes"),
        (
            lambda env: env["algorithms"]["a2c"]["seeds"][1]["test_returns"].pop(),
            "has no 20 held-out returns for a2c seed 1",
        ),
        (
            lambda env: env["references"]["episode_returns"].pop("oracle"),
            "has no 20 held-out returns for oracle",
        ),
    ],
)
def test_a_results_file_edited_by_hand_is_named(grids, damage, message: str) -> None:
    """A key removed or a list cut short stopped a comparison in a KeyError, or numpy's
    'inhomogeneous shape', as a traceback."""
    base = load_experiment(grids["base"])
    path = base.rl_dir / "results.json"
    whole = path.read_text()
    try:
        payload = json.loads(whole)
        damage(payload["results"]["difficulty_adaptation"])
        path.write_text(json.dumps(payload))
        with pytest.raises(ConfigError, match=re.escape(message)):
            compare_grids(load_experiment(grids["study"]), base)
    finally:
        path.write_text(whole)


def test_notebook_03_loads_a_saved_grid_only_as_its_params_define_it(grids) -> None:
    """`load = True` in notebook 03 (`saved_grid`): the grid these params trained is read back;
    one scored on other episodes, or none, is refused with what to do, where the notebook used to
    print these params' episode count beside another grid's numbers."""
    from aura.rl.results import RESULTS_FILE
    from aura.rl.saved import saved_grid

    base = load_experiment(grids["base"])
    saved = json.loads((base.rl_dir / RESULTS_FILE).read_text())
    assert saved_grid(base) == saved
    other = grids["base"].with_name("base-other-episodes.yaml")
    other.write_text(
        derive_params(grids["base"], ["03_rl_training.n_test_episodes=30"])[0], encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="other held-out episodes .*train the grid first"):
        saved_grid(load_experiment(other))
    with pytest.raises(ConfigError, match="no grid results at"):
        saved_grid(load_experiment(grids["untrained"]))


def test_a_grid_scored_on_another_saved_policy_than_its_params_ask_is_refused(grids) -> None:
    """`scored_model` changes which saved policy of each run is scored, not the runs: a params
    file that asks for the final policies of a grid scored on its best checkpoints was read as
    if it matched, so a probe scored its own runs' final policies against the grid's best
    checkpoints and a comparison or notebook 03 printed the other policy's numbers."""
    from aura.rl.saved import saved_grid

    final = grids["base"].with_name("base-final.yaml")  # the same models folder
    final.write_text(
        derive_params(
            grids["base"], ["03_rl_training.scored_model={difficulty_adaptation: final}"]
        )[0],
        encoding="utf-8",
    )
    message = (
        "difficulty_adaptation scored each run's best policy, these params ask for its final one "
        "(03_rl_training.scored_model); train the grid first"
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        saved_grid(load_experiment(final))
    with pytest.raises(ConfigError, match=re.escape(message)):
        compare_grids(load_experiment(grids["study"]), load_experiment(final))


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        (
            "03_rl_training.ceiling_episodes=100",
            "difficulty_adaptation was scored with ceiling_episodes 200, these params ask for "
            "100 (03_rl_training.ceiling_episodes)",
        ),
        (
            "03_rl_training.curve_episodes=5",
            "difficulty_adaptation was scored with curve_episodes 10, these params ask for 5 "
            "(03_rl_training.curve_episodes)",
        ),
    ],
)
def test_a_grid_scored_with_other_reference_or_curve_episodes_is_refused(
    grids, setting: str, message: str
) -> None:
    """Neither setting changes a run, so a grid whose upper reference learned from other
    episodes, or whose curves were scored on other episodes, was read as these params' own: a
    probe stored the grid's curve beside its own scored on other episodes."""
    from aura.rl.saved import saved_grid

    other = grids["base"].with_name("base-other-setting.yaml")  # the same models folder
    other.write_text(derive_params(grids["base"], [setting])[0], encoding="utf-8")
    message += "; train the grid first with aura train-rl on the same params file (it keeps the"
    with pytest.raises(ConfigError, match=re.escape(message)):
        saved_grid(load_experiment(other))
    with pytest.raises(ConfigError, match=re.escape(message)):
        compare_grids(load_experiment(grids["study"]), load_experiment(other))


@pytest.mark.parametrize(
    ("forget", "key"),
    [
        (lambda env: env.pop("ceiling_episodes"), "ceiling_episodes"),
        (lambda env: env.pop("curves"), "curve_episodes"),
    ],
)
def test_a_grid_scored_before_its_episode_settings_were_recorded_is_refused(
    grids, forget, key: str
) -> None:
    """A results.json written before ``ceiling_episodes`` (or the curves) was recorded cannot
    say which it was scored with: refused with the command that scores the kept runs again."""
    from aura.rl.saved import saved_grid

    base = load_experiment(grids["base"])
    path = base.rl_dir / "results.json"
    whole = path.read_text()
    try:
        payload = json.loads(whole)
        forget(payload["results"]["difficulty_adaptation"])
        path.write_text(json.dumps(payload))
        message = (
            f"{path}: difficulty_adaptation was scored before {key} was recorded, these params "
            f"ask for {getattr(base, key)} (03_rl_training.{key}); train the grid first with "
            "aura train-rl on the same params file (it keeps the finished runs and scores them "
            "again)"
        )
        with pytest.raises(ConfigError, match=f"^{re.escape(message)}$"):
            saved_grid(base)
    finally:
        path.write_text(whole)


def test_a_grid_of_another_number_of_seeds_is_named_with_both_counts(grids) -> None:
    """A grid of two seeds read with params that ask for one said it had 'no 1 a2c runs'."""
    one = grids["base"].with_name("base-one-seed.yaml")  # the same models folder
    one.write_text(derive_params(grids["base"], ["03_rl_training.seeds=1"])[0], encoding="utf-8")
    message = (
        "holds 2 a2c run(s) on difficulty_adaptation, these params ask for 1 "
        "(03_rl_training.seeds); train the grid first"
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        compare_grids(load_experiment(grids["study"]), load_experiment(one))


def test_a_grid_whose_runs_are_training_again_is_not_read_by_its_old_results(grids) -> None:
    """`aura train-rl --fresh` clears each run before it trains it again, and killed midway left
    the last grid's results.json beside runs that no longer held its policies: a comparison
    read the old numbers, and `aura rl-pools` said a model it had not found was 'damaged or cut
    short' and to delete the run folder, checkpoints and all, that a resume would continue."""
    from aura.rl.train import FINAL_MODEL, require_whole_model

    base = load_experiment(grids["base"])
    run_dir = base.run_dir("difficulty_adaptation", "a2c", 1)
    final = run_dir / FINAL_MODEL
    aside = final.with_name("aside.zip")
    final.rename(aside)  # as a run cleared and training again
    try:
        with pytest.raises(ConfigError, match=re.escape(f"{run_dir} holds no finished run")):
            compare_grids(load_experiment(grids["study"]), base)
        with pytest.raises(ConfigError, match=re.escape(f"{final} does not exist")) as refused:
            require_whole_model(final)
        assert "delete" not in str(refused.value)
    finally:
        aside.rename(final)
    compare_grids(load_experiment(grids["study"]), base)
