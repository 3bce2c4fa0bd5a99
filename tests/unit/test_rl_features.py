"""One-hot policy inputs: each categorical observation feature becomes its category's column,
continuous features pass through, and a bad declaration is named."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from aura.envs.tutor_matching import CATEGORICAL_FEATURES, OBSERVATION_FEATURES, TutorMatchingEnv
from aura.rl.features import OneHotCategories


def test_categorical_features_become_one_hot_columns() -> None:
    env = TutorMatchingEnv(n_tutors=20)
    extractor = OneHotCategories(env.observation_space, CATEGORICAL_FEATURES)
    observations = np.stack([env.reset(seed=s)[0] for s in range(50)])
    out = extractor(torch.as_tensor(observations)).numpy()

    continuous = [i for i in range(len(OBSERVATION_FEATURES)) if i not in CATEGORICAL_FEATURES]
    assert out.shape == (50, len(continuous) + sum(CATEGORICAL_FEATURES.values()))
    assert extractor.features_dim == out.shape[1]
    np.testing.assert_array_equal(out[:, : len(continuous)], observations[:, continuous])
    start = len(continuous)
    for i, k in sorted(CATEGORICAL_FEATURES.items()):
        block = out[:, start : start + k]
        index = np.rint(observations[:, i] * (k - 1)).astype(int)
        np.testing.assert_array_equal(block.argmax(axis=1), index)
        np.testing.assert_array_equal(block.sum(axis=1), 1.0)
        start += k


def test_a_category_outside_the_observation_is_named() -> None:
    env = TutorMatchingEnv(n_tutors=20)
    with pytest.raises(ValueError, match=r"categorical features \[8\]"):
        OneHotCategories(env.observation_space, {8: 3})


def test_an_index_sent_rounded_reads_as_the_nearest_category() -> None:
    """A client may send a time slot of 4 categories as 0.33 or 0.67 (1/3, 2/3 rounded): each is
    read as the category it is nearest to, as is 0.99 for the last. Observation: (x, slot)."""
    space = gym.spaces.Box(0.0, 1.0, shape=(2,), dtype=np.float32)
    extractor = OneHotCategories(space, {1: 4})
    observations = torch.tensor([[0.5, 0.33], [0.25, 0.67], [0.0, 0.99], [1.0, 0.02]])
    expected = [
        [0.5, 0, 1, 0, 0],
        [0.25, 0, 0, 1, 0],
        [0.0, 0, 0, 0, 1],
        [1.0, 1, 0, 0, 0],
    ]
    np.testing.assert_allclose(extractor(observations).numpy(), expected, rtol=1e-6)


def test_one_hot_blocks_follow_the_observation_order_whatever_the_declarations_order() -> None:
    space = gym.spaces.Box(0.0, 1.0, shape=(3,), dtype=np.float32)
    extractor = OneHotCategories(space, {2: 2, 0: 3})
    # position 0 holds category 2 of 3, position 1 is continuous, position 2 category 0 of 2
    out = extractor(torch.tensor([[1.0, 0.4, 0.0]])).numpy()
    np.testing.assert_allclose(out, [[0.4, 0, 0, 1, 1, 0]], rtol=1e-6)


def test_a_feature_of_one_category_is_named() -> None:
    space = gym.spaces.Box(0.0, 1.0, shape=(3,), dtype=np.float32)
    with pytest.raises(ValueError, match=r"categorical features \[1\] .* at least 2 categories"):
        OneHotCategories(space, {0: 3, 1: 1})
