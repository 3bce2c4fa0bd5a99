"""Reference policies for both environments: random, fixed actions, hand rules and oracles.

Every baseline has the same interface, `reset()` at the start of an episode and
`act(obs, env) -> int`; `env` is the (possibly wrapped) environment, so an oracle can read the
hidden state through `env.unwrapped`. Hand rules use only what a platform observes.
"""

from __future__ import annotations

from typing import Any, Protocol

import gymnasium as gym
import numpy as np

from aura.envs.difficulty import DECREASE, INCREASE, MAINTAIN, DifficultyAdaptationEnv
from aura.envs.tutor_matching import TutorMatchingEnv
from aura.sim.outcomes import OPTIMAL_SUCCESS
from aura.sim.vocab import DIFFICULTY_MOVES


class Baseline(Protocol):
    """What `aura.envs.evaluate_policy` needs of a policy object."""

    name: str

    def reset(self) -> None: ...

    def act(self, obs: np.ndarray, env: gym.Env) -> int: ...


class RandomPolicy:
    """Uniformly random actions from its own seeded generator."""

    def __init__(self, n_actions: int, seed: int = 0) -> None:
        self.name = "random"
        self.n_actions = n_actions
        self.rng = np.random.default_rng(seed)

    def reset(self) -> None:
        """Nothing to forget between episodes."""

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        return int(self.rng.integers(self.n_actions))


class FixedPolicy:
    """Always the same action (e.g. always 'balanced', always 'maintain')."""

    def __init__(self, action: int, name: str) -> None:
        self.name = name
        self.action = int(action)

    def reset(self) -> None:
        """Nothing to forget between episodes."""

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        return self.action


class TutorMatchingOracle:
    """Picks the strategy with the highest expected reward for the next session, computed by the
    simulator from the hidden state (ability, true tutor quality and expertise, session level and
    length). Greedy per session: each choice moves ability only a little, so one-step optimal is
    the natural upper reference."""

    name = "oracle"

    def reset(self) -> None:
        """Nothing to forget between episodes."""

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        inner = env.unwrapped
        if not isinstance(inner, TutorMatchingEnv):
            raise TypeError(f"TutorMatchingOracle needs a TutorMatchingEnv, got {type(inner)}")
        return int(np.argmax(inner.expected_rewards()))


class DifficultyOracle:
    """Moves the difficulty towards the learner's true 84%-success difficulty (reads theta)."""

    name = "oracle"

    def reset(self) -> None:
        """Nothing to forget between episodes."""

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        inner = env.unwrapped
        if not isinstance(inner, DifficultyAdaptationEnv):
            raise TypeError(f"DifficultyOracle needs a DifficultyAdaptationEnv, got {type(inner)}")
        return inner.oracle_action()


class WeightedStaircase:
    """Weighted up/down staircase (Kaernbach 1991) aimed at 84% success.

    Every solved item counts +(1 - 0.84), every failed one -0.84, so the count drifts up exactly
    when success is above 84%; when it reaches +threshold the difficulty goes up, when it reaches
    -threshold it goes down, and the count restarts. Reads only the last block's observed success
    rate (`last_success_rate`), which a platform records.
    """

    name = "staircase"

    def __init__(self, threshold: float = 1.0, target: float = OPTIMAL_SUCCESS) -> None:
        self.threshold = threshold
        self.target = target
        self.count = 0.0

    def reset(self) -> None:
        self.count = 0.0

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        inner = env.unwrapped
        n = inner.items_per_step
        solved = inner.last_success_rate * n
        self.count += solved * (1.0 - self.target) - (n - solved) * self.target
        if self.count >= self.threshold:
            self.count = 0.0
            return INCREASE
        if self.count <= -self.threshold:
            self.count = 0.0
            return DECREASE
        return MAINTAIN


def tutor_matching_baselines(seed: int = 0) -> dict[str, Any]:
    """Random, each fixed strategy ('fixed:<name>') and the oracle."""
    from aura.sim.vocab import STRATEGIES

    policies: dict[str, Any] = {"random": RandomPolicy(len(STRATEGIES), seed)}
    for k, name in enumerate(STRATEGIES):
        policies[f"fixed:{name}"] = FixedPolicy(k, f"fixed:{name}")
    policies["oracle"] = TutorMatchingOracle()
    return policies


def difficulty_baselines(seed: int = 0) -> dict[str, Any]:
    """Random, each fixed action, the weighted staircase and the oracle."""
    policies: dict[str, Any] = {"random": RandomPolicy(3, seed)}
    for k, name in enumerate(DIFFICULTY_MOVES):
        policies[f"fixed:{name}"] = FixedPolicy(k, f"fixed:{name}")
    policies["staircase"] = WeightedStaircase()
    policies["oracle"] = DifficultyOracle()
    return policies
