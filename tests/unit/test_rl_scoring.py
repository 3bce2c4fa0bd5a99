"""A saved model scored in lockstep meets the same episodes, and takes the same actions, as one
scored an episode at a time; a recurrent model's memory is carried through each episode as SB3's
own evaluation carries it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from aura.config import PARAMS_DIR
from aura.envs import evaluate_policy
from aura.rl.config.experiment import load_experiment
from aura.rl.scoring import evaluate_model_file
from aura.rl.train import algorithm_class, make_vec_env, run_class

SMOKE = load_experiment(PARAMS_DIR / "smoke.yaml")


@pytest.mark.parametrize("env_key", SMOKE.env_keys)
@pytest.mark.parametrize("algo", ["ppo", "dqn"])
def test_lockstep_scoring_matches_one_episode_at_a_time(
    tmp_path: Path, env_key: str, algo: str
) -> None:
    run = SMOKE.run(env_key, algo, 0)
    vec_env = make_vec_env(run.env, 1, run.seed)
    model = algorithm_class(algo)("MlpPolicy", vec_env, seed=run.seed, device="cpu")
    path = tmp_path / "model.zip"
    model.save(path)
    vec_env.close()

    batched = evaluate_model_file(path, run, seed=11, n_episodes=30)
    loaded = algorithm_class(algo).load(path, device="cpu")
    single = evaluate_policy(run.env.id, loaded, 30, 11, env_kwargs=run.env.kwargs)
    assert batched == pytest.approx(list(single.returns), abs=1e-9)
    assert len(set(batched)) > 1, "the episodes differ, so matching them is not trivial"


def test_a_recurrent_policy_carries_its_memory_through_each_episode(tmp_path: Path) -> None:
    """SB3's evaluate_policy is the reference: it passes the LSTM state from step to step and
    clears it at an episode's start. Episode i of the scorer is reset with seed 11 + i."""
    from stable_baselines3.common.evaluation import evaluate_policy as sb3_evaluate

    run = dataclasses.replace(SMOKE.run("difficulty_adaptation", "ppo", 0), lstm_hidden_size=8)
    vec_env = make_vec_env(run.env, 1, run.seed)
    model = run_class(run)("MlpLstmPolicy", vec_env, seed=run.seed, device="cpu")
    path = tmp_path / "model.zip"
    model.save(path)

    scored = evaluate_model_file(path, run, seed=11, n_episodes=6)
    reference = []
    for i in range(6):
        vec_env.seed(11 + i)
        returns, _ = sb3_evaluate(
            model, vec_env, n_eval_episodes=1, deterministic=True, return_episode_rewards=True
        )
        reference += returns
    vec_env.close()
    assert scored == pytest.approx(reference, abs=1e-6)  # SB3's Monitor rounds to 6 decimals
    assert len(set(scored)) > 1, "the episodes differ, so matching them is not trivial"


def test_a_learning_curve_is_each_checkpoints_mean_return_oldest_first_then_the_final(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checkpoints at 200 and 1,000 steps (saved out of order), the final policy counted at
    1,024: each point is the mean (not the median) of its held-out returns."""
    from aura.rl import scoring
    from aura.rl.train import CHECKPOINT_DIR, CHECKPOINT_PREFIX, FINAL_MODEL

    folder = tmp_path / CHECKPOINT_DIR
    folder.mkdir()
    for steps in (1000, 200):
        (folder / f"{CHECKPOINT_PREFIX}_{steps}_steps.zip").touch()
    (folder / "notes.txt").touch()
    returns = {
        f"{CHECKPOINT_PREFIX}_200_steps.zip": [0.0, 0.0, 3.0],  # mean 1, median 0
        f"{CHECKPOINT_PREFIX}_1000_steps.zip": [1.0, 1.0, 7.0],  # mean 3
        FINAL_MODEL: [2.0, 5.0, 5.0],  # mean 4
    }
    asked: list[tuple[int, int]] = []

    def evaluate(path: Path, run, seed: int, n_episodes: int) -> list[float]:
        asked.append((seed, n_episodes))
        return returns[path.name]

    monkeypatch.setattr(scoring, "evaluate_model_file", evaluate)
    curve = scoring.score_checkpoints(tmp_path, None, 1024, seed=5, n_episodes=3)
    assert curve == [(200, 1.0), (1000, 3.0), (1024, 4.0)]
    assert set(asked) == {(5, 3)}


@pytest.mark.parametrize(
    ("scored_model", "file"), [("best", "best_model.zip"), ("final", "final_model.zip")]
)
def test_the_scored_policy_of_each_seed_is_the_file_the_params_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scored_model: str, file: str
) -> None:
    from aura.rl import scoring

    monkeypatch.setattr(scoring, "load_run_config", lambda path: path)
    entry = {"seeds": [{"run_dir": "rl/x/ppo/seed_0"}, {"run_dir": "rl/x/ppo/seed_1"}]}
    found = scoring.scored_models(entry, tmp_path, scored_model)
    assert found == [
        (tmp_path / f"rl/x/ppo/seed_{k}" / file, tmp_path / f"rl/x/ppo/seed_{k}" / "config.yaml")
        for k in range(2)
    ]
