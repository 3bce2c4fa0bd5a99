"""One batch of simulated sessions, the placement and the matching rules against the documented
model, worked independently.

Each observed score is sigmoid(f(x) + N(0, s)) (docs/data.md: engagement s = 0.8, learning
outcome s = 0.4, compatibility s = 0.8), so logit(score) - f(x) must be a sample of N(0, s): a
Kolmogorov-Smirnov test against scipy's normal. The exercises solved are Binomial(12 per hour,
p), checked by a randomized probability integral transform, which is Uniform(0, 1) exactly under
the model. False alarms: each p-value is uniform for a correct simulator, so a check fails with
probability ALPHA = 1e-6 (about 1e-5 over this file), and the seeds are fixed; a wrong noise
scale or a dropped term gives p-values below 1e-30 at these sizes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from scipy.special import expit, logit

from aura.sim import matching
from aura.sim import outcomes as oc
from aura.sim.placement import draw_placement, placement_probabilities
from aura.sim.population import sample_learners, sample_tutors
from aura.sim.rng import logit_normal_moments
from aura.sim.session import (
    SessionContext,
    expected_session_reward,
    expected_session_scores,
    simulate_sessions,
)
from aura.sim.tables import tutors_from_table

ALPHA = 1e-6
N = 30_000


@pytest.fixture(scope="module")
def batch():
    """30,000 sessions of random learners, tutors, subjects, levels and durations."""
    rng = np.random.default_rng(21)
    learners = sample_learners(rng, N)
    tutors = sample_tutors(rng, 60)
    subject = rng.integers(0, 5, N)
    ctx = SessionContext(
        theta=learners.theta[np.arange(N), subject],
        age=learners.age,
        comfort=learners.comfort,
        attention_span=learners.attention_span,
        learning_style=learners.learning_style,
        language=learners.language,
        subject=subject,
        level=rng.integers(0, 3, N),
        duration_hours=rng.choice([0.5, 0.75, 1.0, 1.5, 2.0], N),
    )
    tutor_idx = rng.integers(0, len(tutors), N)
    draw = simulate_sessions(np.random.default_rng(22), ctx, tutors, tutor_idx)
    return ctx, tutors, tutor_idx, draw


def _assert_normal(residual: np.ndarray, sd: float, what: str) -> None:
    result = stats.kstest(residual, stats.norm(0.0, sd).cdf)
    assert result.pvalue > ALPHA, (what, residual.mean(), residual.std(), result)


def test_exercises_solved_are_binomial_12_an_hour_at_the_irt_success_probability(batch) -> None:
    """exercise_success_rate = Binomial(12 x hours, sigmoid(1.7 (theta - b))) / items, b =
    -1.2, 0, +1.2 for Beginner, Intermediate, Advanced."""
    ctx, _, _, draw = batch
    n_items = np.rint(12 * ctx.duration_hours)
    p = expit(1.7 * (ctx.theta - np.array([-1.2, 0.0, 1.2])[ctx.level]))
    np.testing.assert_allclose(draw.p_success, p)
    solved = draw.exercise_success_rate * n_items
    np.testing.assert_allclose(solved, np.rint(solved), atol=1e-9)
    solved = np.rint(solved)
    lo, hi = stats.binom.cdf(solved - 1, n_items, p), stats.binom.cdf(solved, n_items, p)
    u = lo + np.random.default_rng(0).random(N) * (hi - lo)
    assert stats.kstest(u, "uniform").pvalue > ALPHA


def test_matches_and_the_hidden_fit_read_the_tutors_hidden_qualities(batch) -> None:
    """style_match and language_match compare the learner's with the tutor's; the hidden fit
    weighs hidden quality, hidden expertise in the session's subject and hidden communication,
    with the expert weight of the learner's ability."""
    ctx, tutors, t, draw = batch
    style = tutors.teaching_style[t] == ctx.learning_style
    language = tutors.language[t] == ctx.language
    np.testing.assert_array_equal(draw.style_match, style)
    np.testing.assert_array_equal(draw.language_match, language)
    w_style, w_language = oc.match_weights(ctx.age, ctx.comfort)
    fit = oc.pair_fit(
        tutors.quality[t],
        tutors.expertise[t, ctx.subject],
        tutors.communication[t],
        style,
        language,
        w_style,
        w_language,
        oc.expert_weight(ctx.theta),
    )
    np.testing.assert_allclose(draw.fit, fit)


def test_engagement_is_its_logit_plus_normal_noise_of_sd_08(batch) -> None:
    ctx, _, _, draw = batch
    f = oc.engagement_logit(
        ctx.duration_hours,
        ctx.attention_span,
        ctx.comfort,
        draw.style_match,
        draw.language_match,
        draw.exercise_success_rate,
    )
    _assert_normal(logit(draw.engagement_score) - f, 0.8, "engagement")


def test_the_outcome_is_mastery_after_the_sessions_gain_plus_normal_noise_of_sd_04(batch) -> None:
    """learning_outcome_score = sigmoid(1.2 (ability after - difficulty) + 0.6 fit + N(0, 0.4)),
    the ability after being the ability before plus the session's gain."""
    ctx, _, _, draw = batch
    gain = oc.learning_gain(
        draw.p_success,
        draw.fit,
        oc.attention_fit(ctx.attention_span, ctx.duration_hours),
        draw.engagement_score,
        ctx.duration_hours,
    )
    np.testing.assert_allclose(draw.gain, gain)
    b = np.array([-1.2, 0.0, 1.2])[ctx.level]
    f = 1.2 * (ctx.theta + gain - b) + 0.6 * draw.fit
    _assert_normal(logit(draw.learning_outcome_score) - f, 0.4, "outcome")


def test_compatibility_reads_the_observed_attributes_plus_normal_noise_of_sd_08(batch) -> None:
    """compatibility_score = sigmoid(f(eight observed features) + N(0, 0.8)): the tutor's
    listed expertise, never the hidden one; its truth moments are those of that logit."""
    ctx, tutors, t, draw = batch
    f = oc.compatibility_logit(
        ctx.age,
        ctx.comfort,
        draw.style_match,
        draw.language_match,
        tutors.rating[t],
        tutors.years_experience[t],
        tutors.communication_rating[t],
        tutors.expertise_observed[t, ctx.subject],
    )
    _assert_normal(logit(draw.compatibility_score) - f, 0.8, "compatibility")
    mean, var = logit_normal_moments(f, 0.8)
    np.testing.assert_allclose(draw.compatibility_mean, mean)
    np.testing.assert_allclose(draw.compatibility_var, var)


def test_sessions_complete_as_often_as_their_engagement_says(batch) -> None:
    """completed ~ Bernoulli(sigmoid(6 (engagement - 0.3) + 0.5)): the count within 4
    binomial standard deviations of its expectation, overall and in each engagement quartile."""
    _, _, _, draw = batch
    p = expit(6.0 * (draw.engagement_score - 0.3) + 0.5)
    for rows in np.array_split(np.argsort(draw.engagement_score), 4):
        z = (draw.completed[rows].sum() - p[rows].sum()) / np.sqrt((p * (1 - p))[rows].sum())
        assert abs(z) < 4, z


@pytest.mark.parametrize("mu", [-2.5, 0.0, 1.3])
@pytest.mark.parametrize("scale", [0.4, 0.8])
def test_logit_normal_moments_are_the_integrals_over_the_normal(mu: float, scale: float) -> None:
    """The truth's E[y | x] and Var[y | x] of y = sigmoid(mu + scale Z), against scipy's
    adaptive quadrature of the same integrals."""

    def moment(k: int) -> float:
        def f(z: float) -> float:
            return expit(mu + scale * z) ** k * stats.norm.pdf(z)

        return integrate.quad(f, -12, 12, epsabs=1e-12)[0]

    mean, var = logit_normal_moments(np.array([mu]), scale)
    assert mean[0] == pytest.approx(moment(1), abs=1e-9)
    assert var[0] == pytest.approx(moment(2) - moment(1) ** 2, abs=1e-9)


def test_the_expected_reward_weighs_the_expected_scores_07_and_03(batch) -> None:
    ctx, tutors, t, _ = batch
    rows = np.arange(50)
    small = SessionContext(**{k: v[rows] for k, v in vars(ctx).items()})
    engagement, outcome = expected_session_scores(small, tutors, t[rows])
    np.testing.assert_allclose(
        expected_session_reward(small, tutors, t[rows]), 0.7 * outcome + 0.3 * engagement
    )


def _profile(success, progress, grade, attention):
    n = len(success)
    return {
        "age": np.full(n, 12.0),
        "grade_level": np.asarray(grade, dtype=float),
        "comfort_level_online": np.full(n, 0.5),
        "attention_span_minutes": np.asarray(attention, dtype=float),
        "learning_progress_score": np.asarray(progress, dtype=float),
        "success_rate": np.asarray(success, dtype=float),
    }


def test_placement_is_an_ordered_logit_on_the_weaker_of_success_and_progress() -> None:
    """z = 8 min(success - 0.70, progress - 0.78) + 0.04 (grade - 6.5) + 0.01 (attention - 24);
    level = Beginner below -0.77, Advanced above 0.69 of z + Logistic(0, 0.1). Worked by hand:
    success 0.80, progress 0.86, grade 7, attention 24 give z = 0.64 + 0.02 = 0.66;
    success 0.60, progress 0.90, grade 7, attention 24 give z = -0.78; attention 34 adds 0.1; a
    learner who succeeds always but progresses little (0.5) is placed as the weak one."""
    features = _profile(
        [0.80, 0.60, 0.60, 1.0], [0.86, 0.90, 0.90, 0.5], [7, 7, 7, 7], [24, 24, 34, 24]
    )
    z = np.array([0.66, -0.78, -0.68, 8 * (0.5 - 0.78) + 0.02])
    cuts = np.array([-0.77, 0.69])
    below = stats.logistic.cdf(cuts[None, :], loc=z[:, None], scale=0.1)
    expected = np.column_stack([below[:, 0], below[:, 1] - below[:, 0], 1 - below[:, 1]])
    probs = placement_probabilities(features)
    np.testing.assert_allclose(probs, expected, atol=1e-12)
    assert probs[3, 0] > 0.999
    n = 100_000
    many = {k: np.repeat(v, n) for k, v in features.items()}
    drawn = draw_placement(np.random.default_rng(3), many).reshape(4, n)
    for row in range(4):
        counts = np.bincount(drawn[row], minlength=3)
        keep = expected[row] * n > 5
        assert counts[~keep].sum() <= 5
        exp = expected[row, keep] / expected[row, keep].sum() * counts[keep].sum()
        if keep.sum() > 1:
            assert stats.chisquare(counts[keep], exp).pvalue > ALPHA, (row, counts)


def _pool(**fields):
    """A pool of four tutors who all teach math and are free in every slot; `fields` override."""
    tutors = sample_tutors(np.random.default_rng(0), 4)
    tutors.teaches[:] = True
    tutors.available[:] = True
    tutors.rating[:] = 3.0
    tutors.expertise_observed[:] = 0.5
    tutors.expertise[:] = 0.5
    tutors.teaching_style[:] = 0
    tutors.language[:] = 0
    for name, values in fields.items():
        getattr(tutors, name)[:] = values
    return tutors


def _pick(tutors, strategy, style=1, language=1, subject=0, slot=0):
    one = np.array
    return matching.choose_tutors(
        tutors, one([strategy]), one([subject]), one([slot]), one([style]), one([language])
    )[0]


def test_each_strategy_picks_by_what_the_platform_sees() -> None:
    """best rating: the highest rating; subject expert: the highest listed expertise, never the
    hidden one; cultural match: a tutor of the learner's language, ties broken by rating; style
    match: of the learner's style, then rating; balanced: rating (as (r - 1) / 4), listed
    expertise, style and language match weighed equally."""
    tutors = _pool(rating=[3.0, 4.5, 2.0, 4.0], language=[0, 0, 1, 1], teaching_style=[1, 0, 0, 0])
    assert _pick(tutors, matching.BEST_RATING) == 1
    assert _pick(tutors, matching.CULTURAL_MATCH) == 3
    assert _pick(tutors, matching.STYLE_MATCH) == 0
    tutors = _pool(
        expertise_observed=np.array([[0.6], [0.9], [0.5], [0.7]]),
        expertise=np.array([[0.9], [0.2], [0.95], [0.7]]),
    )
    assert _pick(tutors, matching.SUBJECT_EXPERT) == 1
    tutors = _pool(
        rating=[5.0, 1.0, 3.0, 1.0],
        expertise_observed=np.array([[0.0], [1.0], [0.0], [0.0]]),
        teaching_style=[0, 0, 1, 0],
        language=[0, 0, 0, 1],
    )
    scores = matching.strategy_scores(
        tutors, matching.BALANCED, np.array([0]), np.array([1]), np.array([1])
    )
    np.testing.assert_allclose(scores, [[0.25, 0.25, 0.25 * (0.5 + 1.0), 0.25]])


def test_a_strategy_picks_only_among_eligible_tutors() -> None:
    """The highest-rated tutor is busy in the slot: best rating picks the best free one."""
    tutors = _pool(rating=[3.0, 4.5, 2.0, 4.0])
    tutors.available[1] = [False, True, True, True]
    assert _pick(tutors, matching.BEST_RATING, slot=0) == 3
    rng = np.random.default_rng(4)
    pool = sample_tutors(rng, 30)
    rows = 2_000
    subject, slot = rng.integers(0, 5, rows), rng.integers(0, 4, rows)
    chosen = matching.choose_tutors(
        pool,
        rng.integers(0, 5, rows),
        subject,
        slot,
        rng.integers(0, 4, rows),
        rng.integers(0, 4, rows),
    )
    assert matching.eligibility(pool, subject, slot)[np.arange(rows), chosen].all()


def test_the_logging_policy_leans_to_style_and_cultural_match_for_the_young_not_at_ease() -> None:
    """The style-match share falls with comfort at every age; the cultural-match share falls
    with comfort for the young; both are larger for a learner of 8 than of 16 at low comfort."""
    comfort = np.linspace(0.0, 1.0, 11)
    for age in (8.0, 11.0, 16.0):
        p = matching.logging_policy(np.full(11, age), comfort)
        assert (np.diff(p[:, matching.STYLE_MATCH]) < 0).all(), age
        if age < 14:
            assert (np.diff(p[:, matching.CULTURAL_MATCH]) < 0).all(), age
    young, old = matching.logging_policy(np.array([8.0, 16.0]), np.array([0.1, 0.1]))
    leaning = [matching.CULTURAL_MATCH, matching.STYLE_MATCH]
    assert young[leaning].sum() > old[leaning].sum()


def test_a_pool_from_the_tables_reads_truth_or_the_documented_proxies() -> None:
    """Without truth, hidden communication is (communication_rating - 1) / 4, quality the
    effectiveness, expertise the listed one, adaptability the score; with truth, each from its
    own column."""
    tutors = pd.DataFrame(
        {
            "tutor_id": [7, 3],
            "years_experience": [2, 10],
            "rating": [4.1, 2.5],
            "total_sessions": [1, 0],
            "subjects": ["math", "math;coding"],
            "teaching_effectiveness": [0.8, 0.3],
            "student_improvement_rate": [0.1, np.nan],
            "communication_rating": [3.0, 5.0],
            "adaptability_score": [0.4, 0.6],
            "teaching_style": ["visual", "kinesthetic"],
            "language": ["spanish", "english"],
            "availability": ["morning", "evening;weekend"],
            "expertise_math": [0.7, 0.5],
            "expertise_science": [0.0, 0.0],
            "expertise_english": [0.0, 0.0],
            "expertise_history": [0.0, 0.0],
            "expertise_coding": [0.0, 0.9],
        }
    )
    pool = tutors_from_table(tutors)
    np.testing.assert_allclose(pool.communication, [0.5, 1.0])
    np.testing.assert_allclose(pool.quality, [0.8, 0.3])
    np.testing.assert_allclose(pool.adaptability, [0.4, 0.6])
    np.testing.assert_array_equal(pool.teaching_style, [0, 3])
    np.testing.assert_array_equal(pool.language, [1, 0])
    np.testing.assert_array_equal(pool.available, [[1, 0, 0, 0], [0, 0, 1, 1]])
    truth = pd.DataFrame(
        {
            "tutor_id": [3, 7],
            "quality": [0.2, 0.9],
            "communication": [0.35, 0.65],
            "adaptability": [0.15, 0.85],
            **{
                f"expertise_{s}": [0.1, 0.2]
                for s in ("math", "science", "english", "history", "coding")
            },
        }
    )
    pool = tutors_from_table(tutors, truth)
    np.testing.assert_allclose(pool.quality, [0.9, 0.2])
    np.testing.assert_allclose(pool.communication, [0.65, 0.35])
    np.testing.assert_allclose(pool.adaptability, [0.85, 0.15])
