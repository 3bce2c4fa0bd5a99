"""A saved model scored in lockstep meets the same episodes, and takes the same actions, as one
scored an episode at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from aura.config import PARAMS_DIR
from aura.envs import evaluate_policy
from aura.rl.config import load_experiment
from aura.rl.results import evaluate_model_file
from aura.rl.train import algorithm_class, make_env

SMOKE = load_experiment(PARAMS_DIR / "smoke.yaml")


@pytest.mark.parametrize("env_key", SMOKE.env_keys)
@pytest.mark.parametrize("algo", ["ppo", "dqn"])
def test_lockstep_scoring_matches_one_episode_at_a_time(
    tmp_path: Path, env_key: str, algo: str
) -> None:
    run = SMOKE.run(env_key, algo, 0)
    vec_env = make_env(run.env, 1, run.seed)
    model = algorithm_class(algo)("MlpPolicy", vec_env, seed=run.seed, device="cpu")
    path = tmp_path / "model.zip"
    model.save(path)
    vec_env.close()

    batched = evaluate_model_file(path, run, seed=11, n_episodes=30)
    loaded = algorithm_class(algo).load(path, device="cpu")
    single = evaluate_policy(run.env.id, loaded, 30, 11, env_kwargs=run.env.kwargs)
    assert batched == pytest.approx(list(single.returns), abs=1e-9)
    assert len(set(batched)) > 1, "the episodes differ, so matching them is not trivial"
