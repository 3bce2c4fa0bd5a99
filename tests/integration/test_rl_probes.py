"""Probes at smoke scale: the grid's PPO runs trained again with one change, scored on the grid's
held-out episodes beside the grid's own runs (and beside the start a policy imitated), reused on a
second call, and bad choices named."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aura.config import PARAMS_DIR
from aura.env_ids import WINDOW_ID
from aura.rl.config import ConfigError
from aura.rl.config.environments import EnvConfig
from aura.rl.config.experiment import load_experiment
from aura.rl.config.run import ImitationConfig, load_run_config
from aura.rl.curves import curve_yardstick
from aura.rl.experiment import run_experiment
from aura.rl.probes import PROBE_FILE, PROBES, probe_dir, probe_study
from aura.rl.scoring import evaluate_model_file
from aura.rl.train import FINAL_MODEL, IMITATION_FILE, INFO_FILE, START_MODEL, train

SMOKE = load_experiment(PARAMS_DIR / "smoke.yaml")

SCORE_SAVED_START = """
import json, sys
from pathlib import Path
from aura.rl.config.run import load_run_config
from aura.rl.scoring import evaluate_model_file
run_dir, seed, n = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
run = load_run_config(run_dir / "config.yaml")
returns = evaluate_model_file(run_dir / "start_model.zip", run, seed, n)
assert "aura.rl.probes" not in sys.modules
print(json.dumps(returns))
"""


def trained_ppo_grid(folder: Path, env_key: str, **changes: object):
    """The smoke grid cut to PPO on one environment, trained, with its results.json."""
    cfg = dataclasses.replace(
        SMOKE, models_dir=folder, algorithms=("ppo",), envs=(SMOKE.env(env_key),), **changes
    )
    run_experiment(cfg, n_workers=1)
    return cfg


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory):
    """PPO on tutor matching: 2 seeds, the smoke budget."""
    folder = tmp_path_factory.mktemp("probes")
    return trained_ppo_grid(folder, "tutor_matching", n_test_episodes=30, curve_episodes=10)


def test_probe_is_scored_beside_the_grid_on_the_same_episodes(grid) -> None:
    reports: list[tuple[int, int]] = []
    study = probe_study(
        grid, "relative_reward", n_workers=2, on_progress=lambda *r: reports.append(r)
    )
    total = grid.n_seeds * grid.training.total_timesteps  # counted in both workers
    assert reports[0] == (0, total) and reports[-1] == (total, total)

    assert study["train_env"]["id"] == "aura/TutorMatchingRelativeReward-v0"
    assert study["score_env"]["id"] == "aura/TutorMatching-v0"
    assert len(study["probe_per_seed"]) == len(study["grid_per_seed"]) == grid.n_seeds
    assert all(len(r) == grid.n_test_episodes for r in study["test_returns"])
    results = json.loads((grid.rl_dir / "results.json").read_text())["results"]["tutor_matching"]
    grid_ppo = results["algorithms"]["ppo"]
    assert study["grid_per_seed"] == [s["normalised"] for s in grid_ppo["seeds"]]
    assert study["grid_normalised"] == grid_ppo["normalised"]
    lead = np.mean(study["probe_per_seed"]) - np.mean(study["grid_per_seed"])
    assert study["lead_over_grid"]["mean"] == pytest.approx(lead)
    assert study["references"]["hand_rule_name"] == results["references"]["hand_rule_name"]
    assert study["probe_per_seed"] != study["grid_per_seed"]  # another reward, other policies
    # the learning curve: the grid's checkpoints, scored on the grid's curve episodes
    n_curve, curve = study["curve_episodes"], study["held_out_curve"]
    assert n_curve == grid.curve_episodes
    steps = [point["timesteps"] for point in curve]
    assert len(steps) >= 2 and steps == [p["timesteps"] for p in grid_ppo["held_out_curve"]]
    assert study["grid_held_out_curve"] == grid_ppo["held_out_curve"]
    assert study["final_steps"] == [steps[-1]] * grid.n_seeds  # rl-probe names it "(final)"
    _, curve_score = curve_yardstick(results["references"], n_curve)
    finals = [curve_score(np.mean(r[:n_curve])) for r in study["test_returns"]]  # final models
    assert curve[-1]["mean"] == pytest.approx(np.mean(finals))
    written = probe_dir(grid, "relative_reward", "ppo") / PROBE_FILE
    assert json.loads(written.read_text())["probe_per_seed"] == study["probe_per_seed"]

    # each seed's training seconds, as its run records them
    seeds = sorted(written.parent.glob("seed_*"))
    recorded = [json.loads((run / INFO_FILE).read_text())["wall_seconds"] for run in seeds]
    assert study["train_seconds_per_seed"] == recorded and all(s > 0 for s in recorded)
    assert study["train_seconds"] == pytest.approx(sum(recorded))

    saved = [(run / FINAL_MODEL).stat().st_mtime_ns for run in seeds]
    again = probe_study(grid, "relative_reward", n_workers=1)
    assert [(run / FINAL_MODEL).stat().st_mtime_ns for run in seeds] == saved  # reused
    # a reused seed keeps its training's seconds: this call's 0 was written as a measurement
    assert again["train_seconds_per_seed"] == study["train_seconds_per_seed"]
    assert again["train_seconds"] == study["train_seconds"]
    assert again["probe_per_seed"] == study["probe_per_seed"]


@pytest.fixture(scope="module")
def difficulty_grid(tmp_path_factory: pytest.TempPathFactory):
    """PPO on difficulty adaptation at a sixth of the smoke budget (a recurrent policy trains
    about ten times slower than the MLP)."""
    budget = dataclasses.replace(SMOKE.training, total_timesteps=1024, eval_freq=512, save_freq=512)
    folder = tmp_path_factory.mktemp("recurrent")
    return trained_ppo_grid(
        folder, "difficulty_adaptation", n_test_episodes=10, curve_episodes=5, training=budget
    )


def test_the_recurrent_probe_trains_an_lstm_on_the_grids_own_observation(difficulty_grid) -> None:
    from sb3_contrib import RecurrentPPO

    study = probe_study(difficulty_grid, "recurrent", n_workers=1)

    env = difficulty_grid.env("difficulty_adaptation").to_dict()
    assert study["train_env"] == study["score_env"] == env
    assert len(study["probe_per_seed"]) == len(study["grid_per_seed"]) == difficulty_grid.n_seeds
    assert all(len(r) == difficulty_grid.n_test_episodes for r in study["test_returns"])
    assert study["probe_per_seed"] != study["grid_per_seed"]
    run_dir = probe_dir(difficulty_grid, "recurrent", "ppo") / "seed_0"
    saved = load_run_config(run_dir / "config.yaml")
    assert saved == dataclasses.replace(
        difficulty_grid.run("difficulty_adaptation", "ppo", 0), lstm_hidden_size=64
    )
    model = RecurrentPPO.load(run_dir / "best_model.zip", device="cpu")
    assert model.policy.lstm_actor.hidden_size == 64


def test_the_recurrent_probe_is_for_ppo_only(difficulty_grid) -> None:
    both = dataclasses.replace(difficulty_grid, algorithms=("ppo", "a2c"))
    with pytest.raises(ConfigError, match="probe 'recurrent' trains PPO with a recurrent policy"):
        probe_study(both, "recurrent", "a2c")
    assert not probe_dir(both, "recurrent", "a2c").exists()


@pytest.mark.parametrize(
    ("name", "window"),
    [("filter_start", 1), ("filter_start_4_blocks", 4), ("filter_start_4_blocks_critic", 4)],
)
def test_a_filter_start_probe_scores_the_start_and_the_end_on_the_same_episodes(
    name: str, window: int, difficulty_grid, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stable_baselines3 import PPO

    critic_episodes = 20 if PROBES[name].imitation.critic_episodes else 0
    # the filter's own episodes only
    small = ImitationConfig(rounds=1, episodes=20, epochs=5, critic_episodes=critic_episodes)
    probe = dataclasses.replace(PROBES[name], imitation=small)
    monkeypatch.setitem(PROBES, name, probe)

    study = probe_study(difficulty_grid, name, n_workers=1)

    grid_env = difficulty_grid.env("difficulty_adaptation")
    env = grid_env
    if window > 1:  # observed, taught and scored through the window
        env = EnvConfig(grid_env.key, WINDOW_ID, {**grid_env.kwargs, "window": window})
    assert study["train_env"] == study["score_env"] == env.to_dict()
    assert study["imitation"] == dataclasses.asdict(small)
    n = difficulty_grid.n_seeds
    assert len(study["start_per_seed"]) == len(study["probe_per_seed"]) == n
    lead = np.mean(study["probe_per_seed"]) - np.mean(study["start_per_seed"])
    assert study["lead_over_start"]["mean"] == pytest.approx(lead)
    assert study["start_per_seed"] != study["probe_per_seed"]  # training moved the policy
    run_dir = probe_dir(difficulty_grid, name, "ppo") / "seed_0"
    saved = load_run_config(run_dir / "config.yaml")
    assert saved == dataclasses.replace(
        difficulty_grid.run("difficulty_adaptation", "ppo", 0), env=env, imitation=small
    )
    taught = json.loads((run_dir / IMITATION_FILE).read_text())
    assert study["start_agreement"][0] == taught["agreement"] > taught["constant_agreement"]
    assert ("critic" in taught) == (critic_episodes > 0)
    start = PPO.load(run_dir / START_MODEL, device="cpu")
    assert start.observation_space.shape == (6 * window,)
    # the learning curve starts at the start, scored on the curve's episodes
    n_curve = difficulty_grid.curve_episodes
    assert study["held_out_curve"][0]["timesteps"] == 0
    references = json.loads((difficulty_grid.rl_dir / "results.json").read_text())["results"]
    _, curve_score = curve_yardstick(references["difficulty_adaptation"]["references"], n_curve)
    start_returns = [
        evaluate_model_file(path / START_MODEL, saved, difficulty_grid.test_seed, n_curve)
        for path in sorted(run_dir.parent.glob("seed_*"))
    ]
    starts = [curve_score(np.mean(returns)) for returns in start_returns]
    assert study["held_out_curve"][0]["mean"] == pytest.approx(np.mean(starts))
    # a process that imports nothing of the probes loads the saved run and scores it the same
    scored_apart = subprocess.run(
        [
            sys.executable,
            "-c",
            SCORE_SAVED_START,
            str(run_dir),
            str(difficulty_grid.test_seed),
            str(n_curve),
        ],
        capture_output=True,
        text=True,
    )
    assert scored_apart.returncode == 0, scored_apart.stderr
    assert json.loads(scored_apart.stdout) == start_returns[0]

    # retrained afresh without imitation, the folder keeps no start of the earlier run
    train(difficulty_grid.run("difficulty_adaptation", "ppo", 0), run_dir, resume=False)
    assert not (run_dir / START_MODEL).exists() and not (run_dir / IMITATION_FILE).exists()


def test_the_filter_start_probe_needs_an_actor(difficulty_grid) -> None:
    both = dataclasses.replace(difficulty_grid, algorithms=("ppo", "dqn"))
    with pytest.raises(ConfigError, match="use --algo ppo or a2c, not dqn"):
        probe_study(both, "filter_start", "dqn")
    assert not probe_dir(both, "filter_start", "dqn").exists()


@pytest.mark.parametrize(
    ("name", "algo", "message"),
    [
        ("louder_reward", "ppo", "unknown probe 'louder_reward'; expected one of exact_reward"),
        ("relative_reward", "dqn", "unknown algorithm 'dqn'; the grid trains ppo"),
        ("last_4_blocks", "ppo", "changes difficulty_adaptation, which this grid does not train"),
    ],
)
def test_a_bad_choice_is_named(grid, name: str, algo: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        probe_study(grid, name, algo)
    assert not probe_dir(grid, name, algo).exists()


def test_a_probe_without_a_comparable_grid_asks_for_one(grid, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no grid results at .*; train the grid first"):
        probe_study(dataclasses.replace(grid, models_dir=tmp_path), "exact_reward")
    other = dataclasses.replace(grid, n_test_episodes=20)
    with pytest.raises(ConfigError, match="scored on other held-out episodes"):
        probe_study(other, "exact_reward")
    key = ("ppo", "tutor_matching")
    block = dataclasses.replace(grid.hyperparams[key], learning_rate=1e-4)
    edited = dataclasses.replace(grid, hyperparams={**grid.hyperparams, key: block})
    with pytest.raises(ConfigError, match=r"seed_0/config.yaml is not the run these params define"):
        probe_study(edited, "exact_reward")
    assert not probe_dir(grid, "exact_reward", "ppo").exists()


def test_rl_probe_command_names_a_bad_probe() -> None:
    from typer.testing import CliRunner

    from aura.cli import app

    params = str(PARAMS_DIR / "smoke.yaml")
    result = CliRunner().invoke(app, ["rl-probe", "--probe", "louder", "--params", params])
    assert result.exit_code == 1
    assert "unknown probe 'louder'" in result.output
    assert "Traceback" not in result.output
