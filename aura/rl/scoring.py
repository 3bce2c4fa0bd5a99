"""Saved policies scored on seeded held-out episodes.

A trained model acts greedily and is stepped through ``aura.envs.evaluate_policy``, the function
every reference goes through too, so a policy and its references meet the same learners on the
same episodes, and their scores are paired episode by episode (`aura.rl.intervals`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from aura.envs.evaluation import EvalResult
from aura.rl.config.environments import EnvConfig
from aura.rl.config.run import RunConfig, load_run_config
from aura.rl.train import (
    CONFIG_FILE,
    FINAL_MODEL,
    SCORED_FILES,
    checkpoints,
    require_whole_model,
    run_class,
)


def evaluate(env_cfg: EnvConfig, policy: Any, seed: int, n_episodes: int) -> EvalResult:
    """Seeded held-out episodes through ``aura.envs.evaluate_policy``; environments defined in the
    params by any Gymnasium id go through the same function."""
    from aura.envs import evaluate_policy

    return evaluate_policy(env_cfg.id, policy, n_episodes, seed, env_kwargs=env_cfg.kwargs)


def evaluate_policy_mean(env_cfg: EnvConfig, policy: Any, seed: int, n_episodes: int) -> float:
    """Mean held-out return of a policy object (a reference or a baseline)."""
    return float(evaluate(env_cfg, policy, seed, n_episodes).mean_return)


class GreedyBatch:
    """A Stable-Baselines3 model's greedy actions for a batch of observations.

    AURA's policies are MLPs, memoryless, so ``aura.envs.evaluate_policy`` may step their
    episodes in lockstep and ask for every running episode's action in one forward pass. On
    1,000 held-out episodes that takes 1.4-1.5 s per policy on tutor matching and 0.8-1.2 s on
    difficulty adaptation, against 5.5-6.0 s and 8.3-10.2 s one call at a time (medians of two
    runs of ``benchmarks/bench_rl_training.py``). A batched forward pass adds in a different
    order than a batch of one, so an action whose two best values tie to the last bits may come
    out differently; the scores are as deterministic either way.
    """

    def __init__(self, model: Any) -> None:
        self.model = model

    def act_batch(self, observations: np.ndarray) -> np.ndarray:
        actions, _ = self.model.predict(observations, deterministic=True)
        return np.asarray(actions)


class GreedyRecurrent:
    """A recurrent model's greedy actions, one episode at a time: the LSTM's state is carried
    from step to step and cleared where an episode starts (``act``/``reset``, as the baselines).
    Stepped in lockstep it would need a state per running episode; a probe scores three such
    policies, so the simpler path is kept."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.reset()

    def reset(self) -> None:
        self.state: Any = None
        self.episode_start = np.ones(1, dtype=bool)

    def act(self, obs: np.ndarray, env: Any) -> int:
        action, self.state = self.model.predict(
            obs[None], state=self.state, episode_start=self.episode_start, deterministic=True
        )
        self.episode_start = np.zeros(1, dtype=bool)
        return int(action[0])


def evaluate_model(path: Path, run: RunConfig, seed: int, n_episodes: int) -> EvalResult:
    """Held-out episodes of a saved model of ``run`` (greedy actions; episodes in lockstep, or
    one at a time for a recurrent policy), summarised as `aura.envs.evaluate_policy` does."""
    import torch

    torch.set_num_threads(1)
    model = run_class(run).load(require_whole_model(path), device="cpu")
    policy = GreedyRecurrent(model) if run.lstm_hidden_size else GreedyBatch(model)
    return evaluate(run.env, policy, seed, n_episodes)


def scored_models(
    entry: Mapping[str, Any], models_dir: Path, scored_model: str
) -> list[tuple[Path, RunConfig]]:
    """The scored policy's file (``scored_model``: best or final) and the run config of each seed
    of an algorithm's entry in ``results.json``, whose run folders are under ``models_dir``."""
    runs = [models_dir / run_seed["run_dir"] for run_seed in entry["seeds"]]
    return [
        (run_dir / SCORED_FILES[scored_model], load_run_config(run_dir / CONFIG_FILE))
        for run_dir in runs
    ]


def evaluate_model_file(path: Path, run: RunConfig, seed: int, n_episodes: int) -> list[float]:
    """Held-out returns of a saved model of ``run`` (`evaluate_model`)."""
    return list(evaluate_model(path, run, seed, n_episodes).returns)


def score_checkpoints(
    run_dir: Path, run: RunConfig, final_steps: int, seed: int, n_episodes: int
) -> list[tuple[int, float]]:
    """(steps, mean held-out return) of every checkpoint of a run and of its final policy
    (counted at ``final_steps``), oldest first: a learning curve on held-out episodes."""
    scored = dict(checkpoints(run_dir))
    scored[final_steps] = run_dir / FINAL_MODEL  # the same policy as a last checkpoint
    return [
        (steps, float(np.mean(evaluate_model_file(path, run, seed, n_episodes))))
        for steps, path in sorted(scored.items())
    ]
