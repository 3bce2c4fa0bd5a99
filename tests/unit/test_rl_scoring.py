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
