"""The budget study at smoke scale: one run trained for twice its budget, every checkpoint scored
on the held-out episodes, the study written and reused, a probe's run trained longer, and bad
choices named."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest

from aura.config import PARAMS_DIR
from aura.envs import WINDOW_ID
from aura.rl.budget import BUDGET_FILE, budget_dir, budget_study, check_budget_study
from aura.rl.config import ConfigError
from aura.rl.config.experiment import load_experiment
from aura.rl.probes import PROBES
from aura.rl.train import FINAL_MODEL, INFO_FILE

SMOKE = load_experiment(PARAMS_DIR / "smoke.yaml")


def test_budget_study_scores_every_checkpoint(tmp_path: Path) -> None:
    cfg = dataclasses.replace(SMOKE, models_dir=tmp_path)
    budget = cfg.training.total_timesteps
    reports: list[tuple[int, int]] = []
    study = budget_study(
        cfg, "difficulty_adaptation", "a2c", factor=2, on_progress=lambda *r: reports.append(r)
    )

    assert reports[0] == (0, 2 * budget) and reports[-1] == (2 * budget, 2 * budget)
    assert [p["steps"] for p in study["points"]] == [budget, 2 * budget]
    assert all(math.isfinite(p["normalised"]) for p in study["points"])
    ref = study["references"]
    assert ref["hand_rule_name"] == "staircase" and ref["ceiling_name"] == "model-based filter"
    assert ref["oracle_return"] > ref["random_return"]
    assert ref["experience"] is None  # defined for tutor matching only
    assert not any("experience_normalised" in p for p in study["points"])
    written = budget_dir(cfg, "difficulty_adaptation", "a2c", 0) / BUDGET_FILE
    assert json.loads(written.read_text())["points"] == study["points"]

    info = json.loads((written.parent / INFO_FILE).read_text())
    assert study["train_seconds"] == info["wall_seconds"] > 0  # the run's, as it records it

    reports.clear()
    final = (written.parent / FINAL_MODEL).stat().st_mtime_ns
    again = budget_study(
        cfg, "difficulty_adaptation", "a2c", factor=2, on_progress=lambda *r: reports.append(r)
    )
    assert (written.parent / FINAL_MODEL).stat().st_mtime_ns == final  # reused, not retrained
    assert set(reports) == {(2 * budget, 2 * budget)}  # and counted as done from the start
    # the reused run keeps its training's seconds: this call's 0 was written as a measurement
    assert again["train_seconds"] == study["train_seconds"]
    assert again["points"] == study["points"]
    # another factor is refused before anything trains, naming the study's own and --fresh
    message = f"holds a budget study trained with --factor 2 --every {budget}: run it with those"
    with pytest.raises(ConfigError, match=message):
        budget_study(cfg, "difficulty_adaptation", "a2c", factor=3)
    with pytest.raises(ConfigError, match="add --fresh"):
        check_budget_study(cfg, "difficulty_adaptation", "a2c", 0, 2, every=budget // 2)
    check_budget_study(cfg, "difficulty_adaptation", "a2c", 0, 3, fresh=True)


def test_tutor_matching_budget_study_scores_the_experience_reference_at_every_checkpoint(
    tmp_path: Path,
) -> None:
    cfg = dataclasses.replace(SMOKE, models_dir=tmp_path)
    study = budget_study(cfg, "tutor_matching", "a2c", factor=2)

    assert study["references"]["experience_name"] == "experience reference"
    assert all(math.isfinite(p["experience_normalised"]) for p in study["points"])
    first, second = (p["experience_normalised"] for p in study["points"])
    assert first != second  # refitted on each checkpoint's number of sessions


def test_budget_study_of_a_probe_trains_and_scores_with_its_change(tmp_path: Path) -> None:
    from stable_baselines3 import A2C

    cfg = dataclasses.replace(SMOKE, models_dir=tmp_path)
    plain = budget_study(cfg, "difficulty_adaptation", "a2c", factor=1)
    probed = budget_study(cfg, "difficulty_adaptation", "a2c", factor=1, probe="last_4_blocks")

    assert probed["probe"] == "last_4_blocks" and plain["probe"] is None
    assert probed["question"] == PROBES["last_4_blocks"].question
    assert probed["train_env"] == probed["score_env"]
    assert probed["train_env"]["id"] == WINDOW_ID and probed["train_env"]["kwargs"]["window"] == 4
    assert probed["references"] == plain["references"]  # the grid's environment's, unchanged
    assert math.isfinite(probed["points"][0]["normalised"])
    folder = budget_dir(cfg, "difficulty_adaptation", "a2c", 0, probe="last_4_blocks")
    assert folder.parts[-4:] == ("probes", "last_4_blocks", "a2c", "seed_0")
    assert json.loads((folder / BUDGET_FILE).read_text())["points"] == probed["points"]
    # The policy reads the last four blocks' six features, which only the window can feed it: it
    # was trained, and its finite score above was taken, through the window.
    model = A2C.load(folder / FINAL_MODEL)
    assert model.observation_space.shape == (4 * 6,)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"env_key": "difficulty_adaptation", "algo": "sac"}, "unknown algorithm 'sac'"),
        ({"env_key": "maze", "algo": "ppo"}, "unknown environment key 'maze'"),
        ({"env_key": "tutor_matching", "algo": "ppo", "seed_index": 5}, "seed index 5"),
        ({"env_key": "tutor_matching", "algo": "ppo", "factor": 0}, "--factor must be at least 1"),
        ({"env_key": "tutor_matching", "algo": "ppo", "every": 0}, "--every must be a positive"),
        (
            {"env_key": "tutor_matching", "algo": "ppo", "every": 7},
            r"--every must be a multiple of ppo's n_envs \(8\)",
        ),
        (  # 12,000 steps in 8-step checkpoints: 1,500 files, each saved and scored
            {"env_key": "tutor_matching", "algo": "ppo", "factor": 2, "every": 8},
            r"--every 8 gives 1,500 checkpoints of 12,000 steps.*at most 200 \(--every >= 64\)",
        ),
        ({"env_key": "tutor_matching", "algo": "ppo", "probe": "nope"}, "unknown probe 'nope'"),
        (
            {"env_key": "tutor_matching", "algo": "ppo", "probe": "last_4_blocks"},
            "changes difficulty_adaptation, not tutor_matching",
        ),
        (
            {"env_key": "difficulty_adaptation", "algo": "a2c", "probe": "recurrent"},
            "use --algo ppo, not a2c",
        ),
    ],
)
def test_budget_study_names_a_bad_choice(tmp_path: Path, kwargs: dict, message: str) -> None:
    cfg = dataclasses.replace(SMOKE, models_dir=tmp_path)
    with pytest.raises(ConfigError, match=message):
        budget_study(cfg, **kwargs)
    assert not any(tmp_path.iterdir())  # nothing trained or written


def test_held_out_episodes_without_a_scale_are_refused_before_the_study_trains(
    tmp_path: Path,
) -> None:
    """On two tutor-matching episodes from shared seed 84 random's mean return is above the
    oracle's: the study trained its run for twice the budget, then stopped in a traceback."""
    cfg = dataclasses.replace(SMOKE, models_dir=tmp_path, base_seed=84, n_test_episodes=2)
    with pytest.raises(ConfigError, match="on its 2 held-out episodes the oracle's mean return"):
        budget_study(cfg, "tutor_matching", "a2c", factor=2)
    assert not any(tmp_path.iterdir())  # nothing trained or written


def test_rl_budget_command_names_a_bad_choice() -> None:
    """The command answers a bad environment key, seed index, probe or --every, or neither, with
    the message and exit code 1, before it says what it would train."""
    from typer.testing import CliRunner

    from aura.cli import app

    params = str(PARAMS_DIR / "smoke.yaml")
    for args, message in (
        (["--env", "maze"], "unknown environment key 'maze'"),
        (["--env", "difficulty_adaptation", "--seed-index", "7"], "seed index 7 is not a run"),
        (["--probe", "nope"], "unknown probe 'nope'"),
        ([], "give the environment (--env) or a probe (--probe)"),
        (  # named as the option it is
            ["--env", "tutor_matching", "--every", "7"],
            "--every must be a multiple of ppo's n_envs (8)",
        ),
    ):
        result = CliRunner().invoke(app, ["rl-budget", *args, "--params", params])
        assert result.exit_code == 1, args
        assert result.output.startswith("error: ") and message in result.output
        assert "Traceback" not in result.output
