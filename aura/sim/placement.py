"""The learner's preferred difficulty level: an ordered-logit placement over six profile fields.

A platform places a learner by what it has seen: learners who both succeed often and progress
well move up a level. The placement is drawn as level = cut(z(x) + logistic noise), so the simulator
knows P(level | x) exactly and with it the best accuracy any classifier could reach.
"""

from __future__ import annotations

import numpy as np

from aura.sim.rng import sigmoid

PLACEMENT_FEATURES: tuple[str, ...] = (
    "age",
    "grade_level",
    "comfort_level_online",
    "attention_span_minutes",
    "learning_progress_score",
    "success_rate",
)
CUTS = np.array([-0.77, 0.69])
PLACEMENT_NOISE = 0.1


def placement_score(features: dict[str, np.ndarray]) -> np.ndarray:
    """z(x): a learner moves up only when both success and progress are high, so the weaker of
    the two decides (a gate, not a weighted sum: linear models cannot represent it exactly);
    grade and attention nudge; age and comfort do not enter."""
    gate = np.minimum(features["success_rate"] - 0.70, features["learning_progress_score"] - 0.78)
    return (
        8.0 * gate
        + 0.04 * (features["grade_level"] - 6.5)
        + 0.01 * (features["attention_span_minutes"] - 24.0)
    )


def placement_probabilities(features: dict[str, np.ndarray]) -> np.ndarray:
    """(rows, 3) exact P(Beginner / Intermediate / Advanced | x)."""
    z = placement_score(features)
    below = sigmoid((CUTS[None, :] - z[:, None]) / PLACEMENT_NOISE)
    return np.column_stack([below[:, 0], below[:, 1] - below[:, 0], 1.0 - below[:, 1]])


def draw_placement(rng: np.random.Generator, features: dict[str, np.ndarray]) -> np.ndarray:
    """Level index per learner, drawn from `placement_probabilities`."""
    probs = placement_probabilities(features)
    u = rng.random(len(probs))[:, None]
    return (u > np.cumsum(probs, axis=1)[:, :-1]).sum(axis=1)
