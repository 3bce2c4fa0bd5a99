"""Tutor matching paid what a session is worth instead of what it realised: the simulator's exact
expected reward of the chosen strategy (``relative``: minus its mean over the five strategies in
the same state). No served agent can be paid this; the reward probes (`aura.rl.probes`) train on
it to ask whether the realised reward's noise, or the missing comparison within a state, is what
holds a policy back. Observations, episodes and info are the environment's own, so a policy
trained here is scored on the grid's held-out episodes of `TutorMatchingEnv`."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from aura.envs.tutor_matching import TutorMatchingEnv, strategy_index


class ExpectedReward(gym.Wrapper):
    """Pays the chosen strategy's exact expected reward for the session (``relative``: minus the
    mean over all strategies in the same state) instead of the session's realised reward."""

    def __init__(self, env: TutorMatchingEnv, relative: bool) -> None:
        super().__init__(env)
        self.relative = relative

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        expected = self.unwrapped.expected_rewards()  # read before the session changes the state
        obs, _, terminated, truncated, info = self.env.step(action)
        reward = expected[strategy_index(action)] - (expected.mean() if self.relative else 0.0)
        return obs, float(reward), terminated, truncated, info


def exact_reward_env(**env_kwargs: Any) -> gym.Env:
    """Tutor matching paid the chosen strategy's exact expected reward."""
    return ExpectedReward(TutorMatchingEnv(**env_kwargs), relative=False)


def relative_reward_env(**env_kwargs: Any) -> gym.Env:
    """Tutor matching paid the chosen strategy's expected reward minus the mean over all five."""
    return ExpectedReward(TutorMatchingEnv(**env_kwargs), relative=True)


for _creator in (exact_reward_env, relative_reward_env):
    # what `one_hot` expands (aura.rl.config.environments.one_hot_categories reads it from the
    # entry point)
    _creator.categorical_features = TutorMatchingEnv.categorical_features  # type: ignore[attr-defined]
