"""What the two environments take from their user: actions of the kinds gymnasium and SB3 pass
and nothing else, and no reset options, neither of which may change an episode's draws,
observations or rewards."""

from __future__ import annotations

import re
from collections.abc import Callable

import gymnasium as gym
import numpy as np
import pytest
from stable_baselines3 import A2C, DQN, PPO
from stable_baselines3.common.base_class import BaseAlgorithm

import aura.envs as E

ENV_IDS = (E.TUTOR_MATCHING_ID, E.DIFFICULTY_ID)
ALLOWED = {
    E.TUTOR_MATCHING_ID: "a strategy index 0..4",
    E.DIFFICULTY_ID: "0 (decrease), 1 (maintain) or 2 (increase)",
}
ACTIONS = [0, 2, 1, 1, 2, 0, 2, 1]
"""Valid in both environments (tutor matching has five strategies, difficulty three moves)."""


def episode(
    env: gym.Env, seed: int, kind: Callable[[int], object] = int, options: dict | None = None
) -> tuple[list, list]:
    """Observations and (reward, terminated, truncated, info) of one seeded episode driven by
    `ACTIONS` (cycled), each action passed as ``kind(action)``."""
    obs, info = env.reset(seed=seed, options=options)
    observations, steps = [obs], [info]
    for t in range(10_000):
        obs, reward, terminated, truncated, info = env.step(kind(ACTIONS[t % len(ACTIONS)]))
        observations.append(obs)
        steps.append((reward, terminated, truncated, info))
        if terminated or truncated:
            return observations, steps
    raise AssertionError("the episode did not end")


def assert_same_episode(first: tuple[list, list], second: tuple[list, list]) -> None:
    """Observations to the bit, rewards, flags and info equal."""
    assert len(first[0]) == len(second[0])
    for a, b in zip(first[0], second[0], strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    assert first[1] == second[1]


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize(
    "kind",
    [
        np.int64,
        np.int32,
        np.uint8,
        np.array,  # shape (): SB3's predict for one observation
        lambda a: np.array([a]),  # shape (1,): SB3's predict for a batch of one
        lambda a: np.array([a], dtype=np.int16),
    ],
    ids=["int64", "int32", "uint8", "array()", "array(1,)", "int16 array(1,)"],
)
def test_numpy_integer_actions_give_the_episode_int_actions_give(
    env_id: str, kind: Callable[[int], object]
) -> None:
    env = gym.make(env_id)
    for seed in (0, 5):
        assert_same_episode(episode(env, seed, kind), episode(env, seed))


# Rewards of seed 3 under actions 0, 2, 1, 1, 2 (tutor matching: 0, 1, 2, 3, 4), as the
# environments gave them before actions were checked; to 1e-12 rather than to the bit, since
# the last bit of numpy's exp may differ between processors. A changed draw, observation or
# formula moves them by far more.
RECORDED_REWARDS = {
    E.TUTOR_MATCHING_ID: (
        [0, 1, 2, 3, 4],
        [0.6740828762831685, 0.6070568231961216, 0.8008299369113817, 0.9318908520507827,
         0.9291151169697687],
    ),
    E.DIFFICULTY_ID: (
        [0, 2, 1, 1, 2],
        [0.8444726896701966, 0.5982774157970148, 0.7463199851212712, 0.8425669683489538,
         0.7022759609893182],
    ),
}  # fmt: skip


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_a_seeded_episode_pays_what_it_paid_before(env_id: str) -> None:
    """With every action kind SB3 passes."""
    actions, recorded = RECORDED_REWARDS[env_id]
    for kind in (int, np.int64, np.array, lambda a: np.array([a])):
        env = gym.make(env_id)
        env.reset(seed=3)
        rewards = []
        for action in actions:
            rewards.append(env.step(kind(action))[1])
        assert rewards == pytest.approx(recorded, rel=1e-12, abs=0)


BAD_ACTIONS = [
    1.7,
    1.0,
    np.float64(1.0),
    True,
    np.bool_(True),
    "1",
    None,
    [1],
    np.array([1, 2]),
    np.array([[1]]),
    np.array(1.0),
    np.array([True]),
]


def steps(env: gym.Env, actions: list[int]) -> list[tuple]:
    """(observation's bytes, reward, terminated, truncated, info) of each of `actions`."""
    return [(obs.tobytes(), *rest) for obs, *rest in map(env.step, actions)]


def started(env_id: str) -> gym.Env:
    """An environment one step into the episode of seed 2."""
    env = gym.make(env_id)
    env.reset(seed=2)
    env.step(1)
    return env


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("action", BAD_ACTIONS, ids=repr)
def test_an_action_of_the_wrong_kind_is_refused_by_name_and_changes_nothing(
    env_id: str, action: object
) -> None:
    """`int(action)` took 1.7, 1.0, True and "1" as 1, and failed on [1] with a TypeError."""
    env = started(env_id)
    message = (
        f"action must be {ALLOWED[env_id]}: a Python or numpy integer, or an integer array of "
        f"shape () or (1,); got {action!r}"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        env.step(action)
    assert steps(env, [2, 0]) == steps(started(env_id), [2, 0])


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("action", [-1, 5, np.int64(7), np.array([9]), np.uint64(2**64 - 1)])
def test_an_integer_out_of_range_keeps_its_message(env_id: str, action: object) -> None:
    env = started(env_id)
    got = int(np.asarray(action).item())
    with pytest.raises(ValueError, match=re.escape(f"action must be {ALLOWED[env_id]}, got {got}")):
        env.step(action)
    assert steps(env, [2, 0]) == steps(started(env_id), [2, 0])


@pytest.mark.parametrize("env_id", [E.EXACT_REWARD_ID, E.RELATIVE_REWARD_ID])
def test_the_reward_variants_take_and_refuse_the_same_actions(env_id: str) -> None:
    """They index the expected rewards by the action: a batch of one used to fail there."""
    for kind in (np.int64, np.array, lambda a: np.array([a])):
        env = gym.make(env_id)
        env.reset(seed=4)
        twin = gym.make(env_id)
        twin.reset(seed=4)
        assert steps(env, [kind(a) for a in (3, 1)]) == steps(twin, [3, 1])
    with pytest.raises(ValueError, match=re.escape("got 1.7")):
        env.step(1.7)


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("algorithm", [PPO, A2C, DQN])
def test_the_actions_sb3_passes_are_taken(env_id: str, algorithm: type[BaseAlgorithm]) -> None:
    """What each algorithm's `predict` returns, for one observation and for a batch of one, and
    what it passes while it learns (through its vector environment)."""
    small = {"n_steps": 8, "batch_size": 8} if algorithm is PPO else {}
    if algorithm is DQN:
        small = {"learning_starts": 4, "batch_size": 4, "train_freq": 4}
    model = algorithm("MlpPolicy", gym.make(env_id), seed=0, device="cpu", **small)
    model.learn(16)
    env = gym.make(env_id)
    obs, _ = env.reset(seed=0)
    for batch in (False, True):
        action, _ = model.predict(obs[None] if batch else obs, deterministic=False)
        assert action.shape == ((1,) if batch else ())
        obs = env.step(action)[0]


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_a_gymnasium_vector_environment_steps_them(env_id: str) -> None:
    envs = gym.make_vec(env_id, num_envs=2, vectorization_mode="sync")
    envs.reset(seed=[0, 1])
    for t in range(20):
        envs.step(np.array([ACTIONS[t % 8], ACTIONS[(t + 3) % 8]]))
    envs.close()


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_reset_refuses_options_by_name_and_takes_none_or_an_empty_dict(env_id: str) -> None:
    """Options were ignored: an option meant to choose the learner drew a random one."""
    env = started(env_id)
    with pytest.raises(ValueError, match="reset takes no options; unknown option keys: 'learner'"):
        env.reset(seed=9, options={"learner": 3})
    with pytest.raises(ValueError, match="reset options must be None or an empty dict, got 'x'"):
        env.reset(options="x")
    assert steps(env, [2, 0]) == steps(started(env_id), [2, 0])  # the episode goes on untouched
    assert_same_episode(episode(env, 6, options={}), episode(gym.make(env_id), 6))
