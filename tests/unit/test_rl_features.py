"""One-hot policy inputs: each categorical observation feature becomes its category's column,
continuous features pass through, and a bad declaration is named."""

from __future__ import annotations

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
