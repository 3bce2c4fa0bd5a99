"""Looks inside the environments: what the oracle sees, and whether a policy could see it too.

These feed notebook 02 and answer the question the RL notebook depends on: how close to the
oracle can a policy get that sees only the observation?
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import ThreadpoolController, threadpool_limits

from aura.envs.baselines import Baseline
from aura.envs.difficulty import DifficultyAdaptationEnv
from aura.envs.tutor_matching import TutorMatchingEnv
from aura.sim import outcomes as oc


def tutor_matching_states(
    n_episodes: int, seed: int, **env_kwargs: Any
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """Observations, expected reward of every strategy, and hidden learner traits, at every
    session of `n_episodes` episodes run with uniformly random strategies (seeded).

    The expected rewards are computed after the episodes, all states at once
    (`TutorMatchingEnv.expected_rewards_at`): the same numbers as asking at every step.
    """
    env = TutorMatchingEnv(**env_kwargs)
    rng = np.random.default_rng(seed)
    observations, contexts, tutors, traits = [], [], [], []
    for i in range(n_episodes):
        obs, _ = env.reset(seed=seed + i)
        done = False
        while not done:
            observations.append(obs)
            contexts.append(env.upcoming_context())
            tutors.append(env.strategy_tutors)
            learner = env.learner
            traits.append(
                {
                    "age": learner.age,
                    "comfort": env.comfort,
                    "theta": env.theta,
                    "language": learner.language,
                }
            )
            obs, _, terminated, truncated, _ = env.step(int(rng.integers(env.action_space.n)))
            done = terminated or truncated
    expected = env.expected_rewards_at(contexts, tutors)
    return np.array(observations), expected, pd.DataFrame(traits)


def tutor_matching_experience(
    n_steps: int, seed: int, **env_kwargs: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Observations, strategies and realised (noisy) rewards of `n_steps` sessions run with
    uniformly random strategies (seeded): the experience an agent with that budget could have,
    without any exploration cost beyond trying every strategy equally often."""
    if n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps}")
    env = TutorMatchingEnv(**env_kwargs)
    rng = np.random.default_rng(seed)
    observations, actions, rewards = [], [], []
    episode = 0
    while len(rewards) < n_steps:
        obs, _ = env.reset(seed=seed + episode)
        episode += 1
        done = False
        while not done and len(rewards) < n_steps:
            action = int(rng.integers(env.action_space.n))
            observations.append(obs)
            actions.append(action)
            obs, reward, terminated, truncated, _ = env.step(action)
            rewards.append(reward)
            done = terminated or truncated
    return np.array(observations), np.array(actions), np.array(rewards)


def per_step_score(expected: np.ndarray, actions: np.ndarray) -> float:
    """Normalised score of the chosen actions, state by state: 0 is random, 1 the oracle."""
    chosen = expected[np.arange(len(actions)), actions].mean()
    random, best = expected.mean(), expected.max(axis=1).mean()
    return float((chosen - random) / (best - random))


def observation_ceiling(observations: np.ndarray, expected: np.ndarray, seed: int) -> float:
    """Per-step normalised score on held-out states of a model that sees only the observation.

    Gradient boosting learns each strategy's expected reward (relative to the state's mean) from
    the observation on one half of the states, and picks the best on the other half. A policy
    that sees only the observation cannot do much better than this; the rest is what the hidden
    state (the learner's language, the session's level and length, the tutors' true quality)
    tells the oracle.
    """
    half = len(observations) // 2
    models = fit_strategy_values(observations[:half], expected[:half], seed)
    predicted = predict_strategy_values(models, observations[half:])
    return per_step_score(expected[half:], predicted.argmax(axis=1))


ONE_OPENMP_THREAD = threadpool_limits.wrap(limits=1, user_api="openmp")
"""For the gradient-boosting fits: scikit-learn's OpenMP threads spin while they wait for each
other, so on a core another process holds they cost more than they gain (the filter's DAgger
clone took 9.4 s beside another busy process against 3.7 s on one thread, and 45 s against 3.5 s
on a busier host). One thread gives the same trees; entering the limit costs some milliseconds,
so it wraps whole fits, not each prediction (`one_openmp_thread` does that)."""

_SKLEARN_OPENMP = ThreadpoolController()
"""The thread pools loaded with the imports above, scikit-learn's OpenMP runtime among them, found
once."""


def one_openmp_thread() -> AbstractContextManager[Any]:
    """Limit scikit-learn's OpenMP runtime to one thread for a block, in microseconds: for the
    predictions an evaluation asks for step after step. Their threads spin as a fit's do (one
    four-block clone's 500 evaluation episodes took 6-12 s on two threads beside other jobs,
    1.3-1.9 s on one); `ONE_OPENMP_THREAD` finds every loaded library anew each time it is
    entered (2.5 ms), this controller found its runtime once. A forest predicts row by row, so
    its answers are the same on any number of threads."""
    return _SKLEARN_OPENMP.limit(limits=1, user_api="openmp")


def ceiling_reading(
    best_fixed: float, observation: float, with_language: float, n_fit_states: int
) -> str:
    """Notebook 02's reading of its per-session scores (`per_step_score` of the best fixed
    strategy, `observation_ceiling` on the observation, and on the observation with the
    learner's language), in Markdown, from the numbers themselves: the model trails the best
    fixed strategy at the notebook's own sizes and leads it with enough states, and a sentence
    written for one of them read as false at the other."""
    gap = observation - best_fixed
    if gap < 0:
        verdict = (
            f"{-gap:.3f} below the best fixed strategy's {best_fixed:.3f}: fitted on "
            f"{n_fit_states:,} states, the model has not learned which strategy suits whom as "
            "well as the single best strategy does on average (its score grows with the states "
            "it learns from; notebook 03's upper reference is the same kind of model fitted on "
            "far more states)"
        )
    else:
        verdict = (
            f"{gap:.3f} above the best fixed strategy's {best_fixed:.3f}: a policy of the "
            f"observation can gain that much a session over the rule on these states (fitted on "
            f"{n_fit_states:,} states; the score grows with the states it learns from)"
        )
    change = with_language - observation
    language = (
        f"Given the learner's language as well, it scores {with_language:.3f} ({change:+.3f}): "
        + (
            "what the language tells the oracle is part of the gap a policy of the eight "
            "features cannot close."
            if change > 0
            else "at this size the extra column does not help the model, so no part of the gap "
            "can be put down to the language here."
        )
    )
    return f"The model on the observation scores {observation:.3f} a session, {verdict}. {language}"


@ONE_OPENMP_THREAD
def fit_strategy_values(observations: np.ndarray, expected: np.ndarray, seed: int) -> list[Any]:
    """One gradient-boosting model per strategy: its expected reward relative to the state's
    mean over strategies, as a function of the observation."""
    relative = expected - expected.mean(axis=1, keepdims=True)
    return [
        HistGradientBoostingRegressor(max_iter=300, random_state=seed).fit(
            observations, relative[:, k]
        )
        for k in range(expected.shape[1])
    ]


@ONE_OPENMP_THREAD
def fit_strategy_rewards(
    observations: np.ndarray, actions: np.ndarray, rewards: np.ndarray, n_strategies: int, seed: int
) -> list[Any]:
    """One gradient-boosting model per strategy: the reward of a session run with it, as a
    function of the observation, from realised rewards (early stopping on a held-out tenth keeps
    the trees from fitting the reward noise)."""
    models = []
    for k in range(n_strategies):
        chosen = actions == k
        if not chosen.any():
            raise ValueError(f"no session in the experience tried strategy {k}")
        models.append(
            HistGradientBoostingRegressor(max_iter=300, early_stopping=True, random_state=seed).fit(
                observations[chosen], rewards[chosen]
            )
        )
    return models


def predict_strategy_values(models: list[Any], observations: np.ndarray) -> np.ndarray:
    """(states, strategies) predicted values: relative to the mean for `fit_strategy_values`
    models, realised rewards for `fit_strategy_rewards` models; the argmax is the pick in both.
    On one OpenMP thread (`one_openmp_thread`)."""
    with one_openmp_thread():
        return np.column_stack([m.predict(observations) for m in models])


def difficulty_trajectory(policy: Baseline, seed: int, **env_kwargs: Any) -> pd.DataFrame:
    """One seeded episode block by block: the difficulty set, its 84% target, success,
    engagement, and the ability after the block.

    A row's target is the 84%-success difficulty of the ability the block was worked at (before
    it), the value the block's difficulty is aimed at: taken from the ability after the block,
    a plot of the target against the difficulty set drew every policy one block behind it."""
    env = DifficultyAdaptationEnv(**env_kwargs)
    obs, _ = env.reset(seed=seed)
    policy.reset()
    rows, done = [], False
    while not done:
        worked_at = env.theta
        obs, reward, terminated, truncated, info = env.step(policy.act(obs, env))
        rows.append(
            {
                "step": env.step_count,
                "theta": env.theta,
                "difficulty": env.b,
                "target_difficulty": float(oc.target_difficulty(worked_at)),
                "success": info["exercise_success_rate"],
                "p_success": info["p_success"],
                "engagement": info["engagement"],
                "reward": reward,
            }
        )
        done = terminated or truncated
    return pd.DataFrame(rows)
