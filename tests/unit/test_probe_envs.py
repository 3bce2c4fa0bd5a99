"""The probes' environments: the reward probes pay the simulator's expected reward of the chosen
strategy on the environment's own episodes, and the window probe sees the last blocks of the same
episodes, so a probe's policy is scored on the grid's held-out episodes."""

from __future__ import annotations

import re
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

from aura.envs import (
    DIFFICULTY_ID,
    EXACT_REWARD_ID,
    RELATIVE_REWARD_ID,
    TUTOR_MATCHING_ID,
    WINDOW_ID,
)
from aura.envs.tutor_matching import CATEGORICAL_FEATURES
from aura.rl.config.environments import EnvConfig, one_hot_categories

ACTIONS = [0, 4, 1, 3, 2, 4, 0, 1, 2, 3, 4, 4]


@pytest.mark.parametrize(
    ("env_id", "relative"), [(EXACT_REWARD_ID, False), (RELATIVE_REWARD_ID, True)]
)
def test_reward_probes_pay_the_expected_reward_of_the_chosen_strategy(
    env_id: str, relative: bool
) -> None:
    probe = gym.make(env_id, n_tutors=30)
    twin = gym.make(TUTOR_MATCHING_ID, n_tutors=30)
    obs, _ = probe.reset(seed=7)
    twin_obs, _ = twin.reset(seed=7)
    for action in ACTIONS:
        np.testing.assert_array_equal(obs, twin_obs)  # the same episode, step by step
        expected = twin.unwrapped.expected_rewards()
        obs, reward, terminated, _, info = probe.step(action)
        twin_obs, realised, twin_terminated, _, twin_info = twin.step(action)
        paid = expected[action] - (expected.mean() if relative else 0.0)
        assert reward == pytest.approx(paid, abs=1e-12)
        assert reward != realised
        assert info == twin_info and terminated == twin_terminated
    assert terminated


def test_relative_rewards_of_the_strategies_in_one_state_sum_to_zero() -> None:
    paid = []
    for action in range(5):
        probe = gym.make(RELATIVE_REWARD_ID, n_tutors=30)
        probe.reset(seed=3)
        paid.append(probe.step(action)[1])
    assert sum(paid) == pytest.approx(0.0, abs=1e-12)
    assert max(paid) > min(paid)


def test_window_probe_sees_the_last_four_blocks_of_the_same_episode() -> None:
    probe = gym.make(WINDOW_ID, window=4)
    base = gym.make(DIFFICULTY_ID)
    obs, _ = probe.reset(seed=11)
    base_obs, _ = base.reset(seed=11)
    assert obs.shape == (24,)
    seen = [base_obs] * 4
    actions = np.random.default_rng(0).integers(3, size=40)
    for action in actions:
        np.testing.assert_array_equal(obs, np.concatenate(seen[-4:]))
        obs, reward, terminated, truncated, _ = probe.step(int(action))
        base_obs, base_reward, *_ = base.step(int(action))
        seen.append(base_obs)
        assert reward == base_reward  # scored on the environment's own reward
        if terminated or truncated:
            break


@pytest.mark.parametrize("window", [0, True, 2.0, "2", None])
def test_a_window_of_the_wrong_kind_is_refused_by_name(window: object) -> None:
    """True ran as a window of 1; 2.0, "2" and None failed in gymnasium's or Python's words, and
    so did numpy's 2, which a window now is."""
    with pytest.raises(
        ValueError, match=re.escape(f"window must be a positive integer, got {window!r}")
    ):
        gym.make(WINDOW_ID, window=window)
    assert gym.make(WINDOW_ID, window=np.int64(2)).observation_space.shape == (12,)


def test_reward_probes_accept_one_hot_inputs() -> None:
    for env_id in (EXACT_REWARD_ID, RELATIVE_REWARD_ID):
        env = EnvConfig("tutor_matching", env_id)
        assert one_hot_categories(env, "probe") == CATEGORICAL_FEATURES


def test_the_probes_environments_need_only_aura_envs() -> None:
    """A saved probe run names one of these ids; a process that loads it imports `aura.envs`
    (as training and scoring do) and nothing of the probes."""
    check = (
        "import sys, gymnasium as gym, aura.envs\n"
        f"for env_id in {[WINDOW_ID, EXACT_REWARD_ID, RELATIVE_REWARD_ID]!r}:\n"
        "    gym.make(env_id).reset(seed=0)\n"
        "assert 'aura.rl.probes' not in sys.modules, 'aura.envs imported the probes'\n"
    )
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
