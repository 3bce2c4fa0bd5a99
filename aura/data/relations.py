"""The relations the simulator promises, measured on a dataset (with standard errors).

The simulator is built so that age follows grade, that the public rating tracks hidden tutor quality
only noisily, that engagement and learning go together, that a style match matters more to
learners not at ease online, and that outcomes improve over a learner's sessions. These functions
measure each on any loaded dataset, so the data notebook reports them and the tests assert them
with the same code (`tests/unit/test_simulator.py`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from aura.data.loading import Datasets
from aura.sim.outcomes import OPTIMAL_SUCCESS

LOW_COMFORT = 0.4
"""Comfort below this counts as 'not at ease online' when splitting the style-match effect."""


@dataclass(frozen=True)
class SampleMean:
    """A mean with its standard error and the number of observations behind it."""

    mean: float
    se: float
    n: int


def key_correlations(data: Datasets, tutors_truth: pd.DataFrame | None = None) -> dict[str, float]:
    """Pearson correlations: age-grade, engagement-outcome, and rating-hidden quality when the
    simulator's truth is given (aligned by tutor_id)."""
    learners, sessions = data.learners, data.sessions
    out = {
        "age_grade": float(learners["age"].corr(learners["grade_level"])),
        "engagement_outcome": float(
            sessions["engagement_score"].corr(sessions["learning_outcome_score"])
        ),
    }
    if tutors_truth is not None:
        quality = tutors_truth.set_index("tutor_id")["quality"].reindex(data.tutors["tutor_id"])
        out["rating_quality"] = float(np.corrcoef(data.tutors["rating"], quality)[0, 1])
    return out


def correlation_se(r: float, n: int) -> float:
    """The standard error of a Pearson correlation ``r`` of ``n`` pairs, from Fisher's z (whose
    own is 1 / sqrt(n - 3)) mapped back: (1 - r^2) / sqrt(n - 3). Approximate where the pairs
    are far from normal (age and grade are whole numbers), and enough to read a correlation's
    digits by."""
    return float((1.0 - r**2) / np.sqrt(n - 3)) if n > 3 else float("nan")


def _difference(on: pd.Series, off: pd.Series) -> SampleMean:
    return SampleMean(
        mean=float(on.mean() - off.mean()),
        se=float(np.hypot(on.sem(), off.sem())),
        n=len(on) + len(off),
    )


def style_match_effect(sessions: pd.DataFrame, cut: float = LOW_COMFORT) -> dict[str, SampleMean]:
    """Mean engagement with a style match minus without, for learners below and above `cut`
    comfort (the comfort recorded at the session), and the gap between the two."""
    low = sessions["comfort_level_online"] < cut
    effects = {}
    for name, rows in ((f"comfort < {cut:g}", low), (f"comfort >= {cut:g}", ~low)):
        part = sessions.loc[rows]
        match = part["style_match"] == 1
        effects[name] = _difference(
            part.loc[match, "engagement_score"], part.loc[~match, "engagement_score"]
        )
    below, above = effects.values()
    effects["gap"] = SampleMean(
        mean=below.mean - above.mean, se=float(np.hypot(below.se, above.se)), n=below.n + above.n
    )
    return effects


def outcome_changes(sessions: pd.DataFrame) -> pd.DataFrame:
    """Change of learning_outcome_score from a learner's previous session on the same subject
    and level (so the material is comparable), with the later session's index."""
    ordered = sessions.sort_values(["learner_id", "session_index"])
    change = ordered.groupby(["learner_id", "subject", "difficulty_level"])[
        "learning_outcome_score"
    ].diff()
    return pd.DataFrame({"session_index": ordered["session_index"], "change": change}).dropna()


def outcome_improvement(sessions: pd.DataFrame) -> SampleMean:
    """Mean within-learner outcome change between comparable consecutive sessions."""
    change = outcome_changes(sessions)["change"]
    return SampleMean(mean=float(change.mean()), se=float(change.sem()), n=len(change))


def success_against_target(sessions: pd.DataFrame) -> pd.DataFrame:
    """The sessions' exercise success rate, its median and mean, beside the success rate the
    simulator's placement aims each level at (`OPTIMAL_SUCCESS`, the 84% at which learning is
    fastest, which the difficulty environment's reward peaks at and its staircase targets), and
    the gap between the two: a spread-out success rate means little until it is set beside
    the rate the platform was trying to hit."""
    rate = sessions["exercise_success_rate"]
    values = pd.Series({"median": rate.median(), "mean": rate.mean()}, dtype=float)
    return pd.DataFrame(
        {
            "exercise success rate": values,
            "target": OPTIMAL_SUCCESS,
            "gap": values - OPTIMAL_SUCCESS,
        }
    ).rename_axis("statistic")
