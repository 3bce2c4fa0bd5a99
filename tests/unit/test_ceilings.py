"""The upper references: the difficulty filter tracks the hidden ability it never reads, and both
references beat the best rule a platform could use without them."""

from __future__ import annotations

import numpy as np

from aura.envs import evaluate_policy
from aura.envs.analysis import per_step_score, predict_strategy_values, tutor_matching_states
from aura.envs.baselines import WeightedStaircase
from aura.envs.ceilings import ABILITY_GRID, DifficultyFilter, ObservationCeiling
from aura.envs.difficulty import DifficultyAdaptationEnv
from aura.sim.vocab import STRATEGIES


def test_difficulty_filter_tracks_the_hidden_ability() -> None:
    env = DifficultyAdaptationEnv()
    policy = DifficultyFilter()
    errors, spread = [], []
    for episode in range(10):
        obs, _ = env.reset(seed=episode)
        policy.reset()
        done, step = False, 0
        while not done:
            action = policy.act(obs, env)
            if step >= 5:  # after a few blocks the posterior has forgotten the prior
                errors.append(abs(float(policy.posterior @ ABILITY_GRID) - env.theta))
                spread.append(env.theta)
            obs, _, terminated, truncated, _ = env.step(action)
            done, step = terminated or truncated, step + 1
    assert np.mean(errors) < 0.25, np.mean(errors)
    assert np.mean(errors) < 0.2 * np.std(spread)


def test_difficulty_filter_beats_the_staircase_on_common_episodes() -> None:
    seed, n = 123, 40
    env = DifficultyAdaptationEnv
    filtered = evaluate_policy(env, DifficultyFilter(), n, seed)
    staircase = evaluate_policy(env, WeightedStaircase(), n, seed)
    diff = np.array(filtered.returns) - np.array(staircase.returns)
    assert diff.mean() > 2 * diff.std(ddof=1) / np.sqrt(n), diff.mean()


def test_observation_ceiling_beats_the_best_fixed_strategy_on_held_out_states() -> None:
    ceiling = ObservationCeiling.fit(600, seed=77)
    observations, expected, _ = tutor_matching_states(300, 999)
    chosen = predict_strategy_values(ceiling.models, observations).argmax(axis=1)
    fixed = max(per_step_score(expected, np.full(len(expected), k)) for k in range(len(STRATEGIES)))
    assert per_step_score(expected, chosen) > fixed
