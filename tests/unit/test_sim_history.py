"""A generated history against the relations docs/data.md states between its columns.

One dataset of 3,000 learners, 40 tutors and 12,000 sessions at a fixed seed. Exact relations
(comfort moving session by session, time order, slot hours) are checked to the CSVs' rounding;
drawn ones (completion, durations, the preferred subject and slot, the session's level, the gaps
between sessions) against the documented probabilities, worked by hand, by a z-score within 4
standard deviations or a chi-square p-value above 1e-6. False alarms: a correct simulator
passes each with probability above 0.9999 (4 sd) or exactly 1 - 1e-6, and the seed is fixed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from aura.sim.generate import generate
from aura.sim.vocab import SUBJECTS, TIME_SLOTS

N_LEARNERS, N_SESSIONS = 3_000, 12_000


@pytest.fixture(scope="module")
def sim():
    return generate(31, n_learners=N_LEARNERS, n_tutors=40, n_sessions=N_SESSIONS)


@pytest.fixture(scope="module")
def sessions(sim) -> pd.DataFrame:
    learners = sim.learners.set_index("learner_id")
    s = sim.sessions.copy()
    for column in ("subject_preference", "time_preference"):
        s[column] = learners[column].reindex(s["learner_id"]).to_numpy()
    s["theta_before"] = sim.sessions_truth["theta_before"].to_numpy()
    return s.sort_values(["learner_id", "session_index"])


def _z(successes: float, p: np.ndarray) -> float:
    return (successes - p.sum()) / np.sqrt((p * (1 - p)).sum())


def test_comfort_moves_by_004_times_engagement_less_045_session_by_session(sim, sessions) -> None:
    """A session's comfort_level_online is the comfort before it: the previous session's plus
    0.04 (its engagement - 0.45), within [0, 1]; the learner table's comfort is the one after
    the last session. Both sides are rounded to 4 decimals, so they agree to 1.1e-4."""

    def after(frame: pd.DataFrame) -> pd.Series:
        moved = frame["comfort_level_online"] + 0.04 * (frame["engagement_score"] - 0.45)
        return moved.clip(0.0, 1.0)

    nxt = sessions.groupby("learner_id")["comfort_level_online"].shift(-1)
    has_next = nxt.notna()
    np.testing.assert_allclose(nxt[has_next], after(sessions)[has_next], atol=1.1e-4)
    last = sessions[~has_next].set_index("learner_id")
    final = sim.learners.set_index("learner_id")["comfort_level_online"]
    np.testing.assert_allclose(final.loc[last.index], after(last), atol=1.1e-4)
    first = sessions.groupby("learner_id")["comfort_level_online"].first()
    initial = pd.Series(np.round(sim.population.comfort, 4), index=sim.learners["learner_id"])
    np.testing.assert_allclose(first, initial.loc[first.index], atol=1e-9)


def test_sessions_complete_with_the_probability_their_engagement_gives(sessions) -> None:
    """completion_status is 'completed' with probability sigmoid(6 (engagement - 0.3) + 0.5), in
    each quartile of engagement (the engagement is rounded to 4 decimals, which moves a
    probability by 1e-4 at most)."""
    e = sessions["engagement_score"].to_numpy()
    done = (sessions["completion_status"] == "completed").to_numpy()
    p = 1.0 / (1.0 + np.exp(-(6.0 * (e - 0.3) + 0.5)))
    for rows in np.array_split(np.argsort(e), 4):
        assert abs(_z(done[rows].sum(), p[rows])) < 4


def test_durations_have_the_documented_shares(sessions) -> None:
    """duration_hours: 0.5/0.75/1/1.5/2 at 20/25/30/15/10%."""
    counts = sessions["duration_hours"].value_counts().reindex([0.5, 0.75, 1.0, 1.5, 2.0])
    expected = np.array([0.20, 0.25, 0.30, 0.15, 0.10]) * len(sessions)
    assert counts.sum() == len(sessions)
    assert stats.chisquare(counts.to_numpy(), expected).pvalue > 1e-6, counts


def test_a_session_keeps_the_learners_preferred_subject_and_slot_at_their_shares(sessions) -> None:
    """subject: the learner's preference with probability 0.7, otherwise any other subject
    equally; time_slot: the preference with probability 0.8."""
    n = len(sessions)
    for column, preference, keep in (
        ("subject", "subject_preference", 0.7),
        ("time_slot", "time_preference", 0.8),
    ):
        kept = (sessions[column] == sessions[preference]).sum()
        assert abs(_z(kept, np.full(n, keep))) < 4, (column, kept / n)
    other = sessions[sessions["subject"] != sessions["subject_preference"]]
    pairs = pd.crosstab(other["subject_preference"], other["subject"])
    for preferred, row in pairs.iterrows():
        counts = row.drop(preferred).to_numpy()
        assert stats.chisquare(counts).pvalue > 1e-6, (preferred, counts)


def test_learners_prefer_time_slots_15_35_35_15(sim) -> None:
    """time_preference: morning, afternoon, evening, weekend at 15/35/35/15%."""
    counts = sim.learners["time_preference"].value_counts().reindex(list(TIME_SLOTS))
    expected = np.array([0.15, 0.35, 0.35, 0.15]) * N_LEARNERS
    assert stats.chisquare(counts.to_numpy(), expected).pvalue > 1e-6, counts
    assert set(sim.learners["subject_preference"]) <= set(SUBJECTS)


def test_sessions_are_in_time_order_at_their_slots_hour(sessions) -> None:
    """session_id follows time; every session of a slot starts at the slot's hour: morning
    before noon, afternoon from noon to five, evening from five."""
    by_id = sessions.sort_values("session_id")
    t = pd.to_datetime(by_id["timestamp"])
    assert t.is_monotonic_increasing
    hours = t.dt.hour.groupby(by_id["time_slot"]).unique()
    assert all(len(h) == 1 for h in hours), hours
    hour = {slot: int(h[0]) for slot, h in hours.items()}
    assert hour["morning"] < 12 <= hour["afternoon"] < 17 <= hour["evening"], hour
    assert (t.dt.minute == 0).all()


def test_sessions_are_one_plus_exponential_6_days_apart_from_a_uniform_start(sessions) -> None:
    """The first session is 1 + Exponential(6) days after a start day uniform over the first
    240: its day (floored) has mean 119.5 + 1 + sum_k e^(-k/6) = 126.014 and variance
    (240^2 - 1)/12 + q/(1-q)^2 with q = e^(-1/6), 4,835.8. Later sessions follow 1 +
    Exponential(6) days apart: over every learner, the floored span from first to last session
    is 7 days per gap (standard deviation 6 per gap, plus less than 1 per learner from the
    flooring)."""
    day = (pd.to_datetime(sessions["timestamp"]) - pd.Timestamp("2025-09-01")).dt.days
    by_learner = day.groupby(sessions["learner_id"])
    first = by_learner.first()
    q = np.exp(-1.0 / 6.0)
    mean, var = 119.5 + 1.0 + q / (1 - q), (240**2 - 1) / 12 + q / (1 - q) ** 2
    assert abs(first.mean() - mean) < 4 * np.sqrt(var / len(first)), first.mean()
    gaps = by_learner.size() - 1
    span = (by_learner.last() - first)[gaps > 0].sum()
    n_gaps, n_learners = gaps.sum(), (gaps > 0).sum()
    assert abs(span - 7.0 * n_gaps) < 4 * np.sqrt(36.0 * n_gaps + n_learners) + 0.05 * n_learners


def test_a_sessions_level_is_nearest_the_84_percent_difficulty_of_a_noisy_estimate(
    sessions,
) -> None:
    """The level whose difficulty (-1.2, 0, 1.2) is nearest estimate - ln(5.25)/1.7, the
    estimate N(theta, 0.5): Beginner when the estimate is below 0.975428 - 0.6, Advanced above
    0.975428 + 0.6. Each level's count in each fifth of the sessions by ability against the sum
    of those probabilities, within 4 binomial standard deviations."""
    theta = sessions["theta_before"].to_numpy()
    c = np.log(0.84 / 0.16) / 1.7
    below, above = stats.norm.cdf((c - 0.6 - theta) / 0.5), stats.norm.sf((c + 0.6 - theta) / 0.5)
    probs = {"Beginner": below, "Intermediate": 1 - below - above, "Advanced": above}
    level = sessions["difficulty_level"].to_numpy()
    for rows in np.array_split(np.argsort(theta), 5):
        for name, p in probs.items():
            if p[rows].sum() > 20:
                assert abs(_z((level[rows] == name).sum(), p[rows])) < 4, (name, theta[rows].mean())
