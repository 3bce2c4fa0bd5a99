"""The API's observation equals the environment's for the same learners.

The manifest carries the environments' observation normalisation; the API rebuilds observations
from it without importing the environments. Here a learner profile, as a client would send it,
goes through the API's own record validation and normaliser and must give the floats
`aura/TutorMatching-v0` and `aura/DifficultyAdaptation-v0` hand their policies.
"""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter

from aura.api.records import Normaliser, raw_matrix, record_type
from aura.export.policies import difficulty_adaptation_features, tutor_matching_features
from aura.sim.vocab import LEARNING_STYLES, SUBJECTS, TIME_SLOTS


@pytest.mark.parametrize("episode_length", [12, 5])
def test_tutor_matching_observation_parity(episode_length: int) -> None:
    from aura.envs import TutorMatchingEnv

    env = TutorMatchingEnv(episode_length=episode_length, n_tutors=20)
    features = tutor_matching_features(episode_length)
    adapter = TypeAdapter(list[record_type("Learner", features)])
    records, observations = [], []
    for seed in range(40):
        obs, _ = env.reset(seed=seed)
        for step in range(3):
            learner = env.learner
            records.append(
                {
                    "age": learner.age,
                    "grade_level": learner.grade_level,
                    "comfort_level_online": float(env.comfort),
                    "session_count": env.step_count,
                    "learning_progress_score": float(obs[4]),
                    "subject_preference": SUBJECTS[learner.subject_preference],
                    "learning_style": LEARNING_STYLES[learner.learning_style],
                    "time_preference": TIME_SLOTS[learner.time_preference],
                }
            )
            observations.append(obs)
            if step < 2:
                obs, *_ = env.step(seed % 5)
    validated = adapter.validate_python(records)
    api = Normaliser(features)(raw_matrix(validated, [f.name for f in features]))
    assert api.dtype == np.float32
    np.testing.assert_allclose(api, np.array(observations), atol=1e-6)
    assert {r["session_count"] for r in records} == {0, 1, 2}


def test_difficulty_observation_parity() -> None:
    from aura.envs import DifficultyAdaptationEnv
    from aura.envs.difficulty import OBSERVATION_FEATURES

    env = DifficultyAdaptationEnv()
    features = difficulty_adaptation_features()
    assert [f.name for f in features] == list(OBSERVATION_FEATURES)
    observations = []
    for seed in range(20):
        obs, _ = env.reset(seed=seed)
        observations.append(obs)
        for action in (0, 2, 1):
            obs, _, terminated, truncated, _ = env.step(action)
            observations.append(obs)
            if terminated or truncated:
                break
    records = [dict(zip(OBSERVATION_FEATURES, map(float, o), strict=True)) for o in observations]
    validated = TypeAdapter(list[record_type("Signals", features)]).validate_python(records)
    api = Normaliser(features)(raw_matrix(validated, list(OBSERVATION_FEATURES)))
    np.testing.assert_allclose(api, np.array(observations), atol=1e-6)


@pytest.mark.parametrize("episode_length", [12, 5])
def test_tutor_matching_observation_is_bit_for_bit_the_environments(episode_length: int) -> None:
    """The parity above allows 1e-6; a policy's near-tie could turn on the last bit, so every
    value the integer and categorical inputs can take (and the range ends of the others) must
    give the very float32 the environment computes, not one a rounding away."""
    from itertools import product

    features = tutor_matching_features(episode_length)
    grid = product(
        range(8, 19),
        range(1, 13),
        (0.0, 0.37, 1.0),
        range(episode_length + 1),
        (0.0, 0.61, 1.0),
        range(len(SUBJECTS)),
        range(len(LEARNING_STYLES)),
        range(len(TIME_SLOTS)),
    )
    raw = np.array(list(grid), dtype=np.float64)
    sizes = np.array([1, 1, 1, 1, 1, len(SUBJECTS), len(LEARNING_STYLES), len(TIME_SLOTS)])
    env = np.empty_like(raw, dtype=np.float32)  # as TutorMatchingEnv assigns each coordinate
    env[:, 0] = (raw[:, 0] - 8) / 10.0
    env[:, 1] = (raw[:, 1] - 1) / 11.0
    env[:, 2], env[:, 4] = raw[:, 2], raw[:, 4]
    env[:, 3] = raw[:, 3] / episode_length
    env[:, 5:] = raw[:, 5:] / (sizes[5:] - 1)
    normaliser = Normaliser(features)
    np.testing.assert_array_equal(normaliser(raw), env)
    one = np.array([normaliser.one(row) for row in raw[::97].tolist()], dtype=np.float32)
    np.testing.assert_array_equal(one, env[::97])
