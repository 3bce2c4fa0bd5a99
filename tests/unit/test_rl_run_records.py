"""A run's seeds and what it records for a resume, on CartPole runs of a few hundred steps:
the training environment seeded with the run's seed, the evaluations with it plus 10,000; a
resume continues from the newest checkpoint, counts the seconds recorded beside it and keeps
the rows logged up to it; a folder of another run is refused, and the steps a resume keeps never
exceed the budget."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import torch

import aura.rl.train as aura_train
from aura.rl.config import ConfigError
from aura.rl.config.algorithms import algo_params
from aura.rl.config.environments import EnvConfig
from aura.rl.config.run import RunConfig, TrainingConfig, load_run_config
from aura.rl.train import (
    CHECKPOINT_DIR,
    FINAL_MODEL,
    INFO_FILE,
    checkpoints,
    read_progress,
    seconds_path,
    steps_kept,
    train,
)

ENV = EnvConfig("cartpole", "CartPole-v1")


def small_run(seed: int = 7, total: int = 128) -> RunConfig:
    params = algo_params("ppo", {"n_envs": 2, "n_steps": 32, "batch_size": 32, "n_epochs": 1}, "t")
    training = TrainingConfig(total_timesteps=total, eval_freq=64, n_eval_episodes=1, save_freq=64)
    return RunConfig(ENV, "ppo", seed, params, training)


def test_a_run_seeds_its_environments_from_its_seed_and_writes_its_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    torch.set_num_threads(1)
    built, evaluated = [], []
    make_vec_env, evaluation = aura_train.make_vec_env, aura_train.same_episodes_evaluation

    def recorded_env(env: EnvConfig, n_envs: int, seed: int):
        built.append((n_envs, seed))
        return make_vec_env(env, n_envs, seed)

    def recorded_evaluation(seed: int, best_model_path: Path, **kwargs):
        evaluated.append(seed)
        return evaluation(seed, best_model_path, **kwargs)

    monkeypatch.setattr(aura_train, "make_vec_env", recorded_env)
    monkeypatch.setattr(aura_train, "same_episodes_evaluation", recorded_evaluation)
    run = small_run(seed=7)
    train(run, tmp_path / "run")
    assert built[0] == (2, 7)  # the training copies: seeds 7 and 8
    assert evaluated == [10_007]
    assert load_run_config(tmp_path / "run" / "config.yaml") == run


def test_a_resume_continues_from_the_newest_checkpoint_and_counts_its_seconds(
    tmp_path: Path,
) -> None:
    torch.set_num_threads(1)
    run, run_dir = small_run(), tmp_path / "run"
    train(run, run_dir)
    assert [steps for steps, _ in checkpoints(run_dir)] == [64, 128]
    (run_dir / FINAL_MODEL).unlink()  # as a run killed after its last checkpoint leaves it
    (run_dir / INFO_FILE).unlink()
    newest = run_dir / CHECKPOINT_DIR / "rl_model_128_steps.zip"
    seconds_path(newest).write_text(json.dumps({"wall_seconds": 1000.0}))

    logged = read_progress(run_dir / "logs")["time/total_timesteps"].tolist()
    # every 64 steps (2 copies x 32), a row of the evaluation's and one of the rollout's
    assert logged == [64, 64, 128, 128]

    result = train(run, run_dir)
    info = json.loads((run_dir / INFO_FILE).read_text())
    assert read_progress(run_dir / "logs")["time/total_timesteps"].tolist() == logged
    assert (result.resumed_from, result.num_timesteps) == (128, 128)
    assert (info["resumed_from"], info["num_timesteps"]) == (128, 128)
    assert 1000.0 <= info["wall_seconds"] < 1000.0 + 120
    assert result.recorded_seconds == info["wall_seconds"]


def test_a_folder_of_another_run_is_refused_before_training(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    small_run(seed=7).save(run_dir / "config.yaml")
    with pytest.raises(ConfigError, match="holds a run with a different config.yaml"):
        train(small_run(seed=8), run_dir)
    assert not (run_dir / CHECKPOINT_DIR).exists()


def whole_model_zip(path: Path) -> None:
    """A zip with the entries a complete SB3 model lists (`is_complete_model`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data", "{}")
        archive.writestr("_stable_baselines3_version", "2")


def test_the_steps_a_resume_keeps_are_the_newest_checkpoint_s_within_the_budget(
    tmp_path: Path,
) -> None:
    run = small_run(total=128)
    assert steps_kept(run, tmp_path) == 0
    whole_model_zip(tmp_path / CHECKPOINT_DIR / "rl_model_64_steps.zip")
    assert steps_kept(run, tmp_path) == 64
    whole_model_zip(tmp_path / CHECKPOINT_DIR / "rl_model_192_steps.zip")
    assert steps_kept(run, tmp_path) == 128


def test_a_resumed_dqn_keeps_the_replay_buffer_of_its_checkpoint(tmp_path: Path) -> None:
    """Killed after 128 of 192 steps, a DQN resumes with the transitions of its checkpoint.
    SB3 calls the checkpoint before it stores the step's transition, so a checkpoint at step n
    holds n - 1 (far below buffer_size): 127 at 128, and 127 + 63 at 192 after the resume (63
    without the checkpoint's buffer)."""
    import pickle

    torch.set_num_threads(1)
    params = algo_params("dqn", {"learning_starts": 32, "buffer_size": 1000}, "t")
    training = TrainingConfig(total_timesteps=192, eval_freq=64, n_eval_episodes=1, save_freq=64)
    run, run_dir = RunConfig(ENV, "dqn", 7, params, training), tmp_path / "run"
    train(run, run_dir)
    folder = run_dir / CHECKPOINT_DIR
    for path in (
        run_dir / FINAL_MODEL,
        run_dir / INFO_FILE,
        folder / "rl_model_192_steps.zip",
        folder / "rl_model_192_steps.json",
        folder / "rl_model_replay_buffer_192_steps.pkl",
    ):
        path.unlink()
    with (folder / "rl_model_replay_buffer_128_steps.pkl").open("rb") as f:
        assert pickle.load(f).size() == 127
    assert train(run, run_dir).resumed_from == 128
    with (folder / "rl_model_replay_buffer_192_steps.pkl").open("rb") as f:
        assert pickle.load(f).size() == 127 + 63
