"""`aura.data.relations` on tables small enough to work each figure out by hand.

test_simulator.py checks the simulator's promises at the spec's scale against bounds; these pin
the arithmetic that reports them: which rows fall on which side of the comfort cut, the standard
errors, the changes between comparable sessions and the gaps to the 84% target.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from aura.data.loading import Datasets
from aura.data.relations import (
    correlation_se,
    key_correlations,
    outcome_improvement,
    style_match_effect,
    success_against_target,
)


def test_a_correlations_standard_error_is_one_minus_r_squared_over_root_n_minus_3() -> None:
    assert correlation_se(0.5, 12) == pytest.approx(0.75 / 3)  # sqrt(12 - 3) = 3
    assert correlation_se(0.0, 4) == pytest.approx(1.0)
    assert math.isnan(correlation_se(0.5, 3))  # no standard error from three pairs


def test_the_style_match_effect_splits_at_the_cut_and_combines_the_errors() -> None:
    """Below 0.4: with a match 0.8 and 0.6, without 0.3 and 0.5, so 0.7 - 0.4 = 0.3, each mean's
    standard error 0.1. From 0.4 (the row at exactly 0.4 among them): with a match 0.9 and 0.5,
    without 0.6 and 0.4, so 0.7 - 0.5 = 0.2, standard errors 0.2 and 0.1. `language_match`,
    which is not the style match, is 0 throughout."""
    sessions = pd.DataFrame(
        {
            "comfort_level_online": [0.2, 0.1, 0.3, 0.2, 0.4, 0.9, 0.5, 0.7],
            "style_match": [1, 1, 0, 0, 1, 1, 0, 0],
            "language_match": [0] * 8,
            "engagement_score": [0.8, 0.6, 0.3, 0.5, 0.9, 0.5, 0.6, 0.4],
        }
    )
    effects = style_match_effect(sessions, cut=0.4)
    assert list(effects) == ["comfort < 0.4", "comfort >= 0.4", "gap"]
    low, high, gap = effects.values()
    assert (low.mean, low.se, low.n) == pytest.approx((0.3, math.hypot(0.1, 0.1), 4))
    assert (high.mean, high.se, high.n) == pytest.approx((0.2, math.hypot(0.2, 0.1), 4))
    assert (gap.mean, gap.se, gap.n) == pytest.approx((0.1, math.sqrt(0.02 + 0.05), 8))


def test_the_success_rate_is_set_beside_the_84_percent_target() -> None:
    sessions = pd.DataFrame({"exercise_success_rate": [0.5, 1.0, 0.6]})
    table = success_against_target(sessions)
    assert table.loc["median"].tolist() == pytest.approx([0.6, 0.84, 0.6 - 0.84])
    assert table.loc["mean"].tolist() == pytest.approx([0.7, 0.84, 0.7 - 0.84])


def test_the_outcome_improvement_compares_a_learners_sessions_on_one_subject_and_level() -> None:
    """Learner 1's math at Beginner goes 0.5 -> 0.7 (+0.2); its Intermediate session has no
    earlier one at that level. Learner 2's science rows are written out of order: by
    session_index it goes 0.3 -> 0.6 (+0.3). Mean 0.25, standard error 0.05."""
    sessions = pd.DataFrame(
        {
            "session_id": [1, 2, 3, 5, 4],
            "learner_id": [1, 1, 1, 2, 2],
            "session_index": [1, 2, 3, 2, 1],
            "subject": ["math", "math", "math", "science", "science"],
            "difficulty_level": ["Beginner", "Beginner", "Intermediate", "Beginner", "Beginner"],
            "learning_outcome_score": [0.5, 0.7, 0.4, 0.6, 0.3],
        }
    )
    change = outcome_improvement(sessions)
    assert (change.mean, change.se, change.n) == pytest.approx((0.25, 0.05, 2))


def test_the_rating_is_correlated_with_the_quality_of_the_same_tutor() -> None:
    """The truth lists the tutors in another order than the table: aligned by tutor_id the
    rating rises with quality (r = 1); the teaching effectiveness does not."""
    learners = pd.DataFrame({"age": [8, 9, 10], "grade_level": [1, 2, 3]})
    sessions = pd.DataFrame(
        {"engagement_score": [0.1, 0.2, 0.3], "learning_outcome_score": [0.3, 0.2, 0.1]}
    )
    tutors = pd.DataFrame(
        {
            "tutor_id": [1, 2, 3],
            "rating": [1.0, 2.0, 3.0],
            "teaching_effectiveness": [0.9, 0.1, 0.5],
        }
    )
    truth = pd.DataFrame({"tutor_id": [3, 2, 1], "quality": [0.3, 0.2, 0.1]})
    data = Datasets(learners=learners, tutors=tutors, sessions=sessions, folder=Path("."))
    assert key_correlations(data, truth) == pytest.approx(
        {"age_grade": 1.0, "engagement_outcome": -1.0, "rating_quality": 1.0}
    )
