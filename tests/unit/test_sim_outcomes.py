"""The session rules of `aura.sim.outcomes` against the model the docs state, worked by hand.

docs/data.md and the design give each rule's form (item response theory at scale 1.7, learning
fastest at 84% success, which learners gain most from style, cultural match and subject experts,
comfort moving by 0.04 (engagement - 0.45) a session, the reward 0.7 outcome + 0.3 engagement);
the expected values below are worked out from those statements, not read back from the code.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit, logit

from aura.sim import outcomes as oc


def test_success_follows_item_response_theory_at_scale_1_7() -> None:
    """P = sigmoid(1.7 (theta - b)): one half at theta = b, 1 / (1 + e^-1.7) = 0.845535 one
    logit above, and the mirror image below."""
    assert oc.success_probability(0.3, 0.3) == pytest.approx(0.5)
    assert oc.success_probability(1.0, 0.0) == pytest.approx(0.845534735)
    assert oc.success_probability(0.0, 1.0) == pytest.approx(1 - 0.845534735)


def test_the_target_difficulty_gives_84_percent_success() -> None:
    """b* = theta - logit(0.84) / 1.7 = theta - ln(5.25) / 1.7 = theta - 0.975428."""
    theta = np.array([-2.0, 0.0, 1.5])
    b = oc.target_difficulty(theta)
    np.testing.assert_allclose(theta - b, 0.975428280, atol=1e-8)
    np.testing.assert_allclose(oc.success_probability(theta, b), 0.84)


def test_flow_peaks_at_84_percent_and_falls_as_a_gaussian_of_width_012() -> None:
    """flow(p) = exp(-0.5 ((p - 0.84) / 0.12)^2): 1 at 0.84, e^-0.5 one width away, e^-2 two."""
    np.testing.assert_allclose(
        oc.flow(np.array([0.84, 0.72, 0.96, 0.60])), [1.0, *np.exp([-0.5, -0.5, -2.0])]
    )


def test_attention_fit_is_the_share_of_the_session_two_and_a_half_spans_cover() -> None:
    """min(1, 2.5 span / session minutes): 24 minutes cover an hour, 12 half of it, and 6
    minutes an eighth of two hours."""
    spans = np.array([24.0, 12.0, 12.0, 6.0, 60.0])
    hours = np.array([1.0, 1.0, 0.5, 2.0, 0.5])
    np.testing.assert_allclose(oc.attention_fit(spans, hours), [1.0, 0.5, 1.0, 0.125, 1.0])


def test_style_and_cultural_match_matter_most_to_young_learners_not_at_ease_online() -> None:
    """Both weights fall with comfort at every age and with age at low comfort; past 14 the
    language weight no longer depends on comfort (cultural match matters for the young)."""
    ages = np.arange(8.0, 19.0)
    comforts = np.linspace(0.0, 1.0, 11)
    age, comfort = np.meshgrid(ages, comforts, indexing="ij")
    style, language = oc.match_weights(age, comfort)
    for w in (style, language):
        assert (np.diff(w, axis=1) < 0)[ages < 14].all()  # less comfort, more weight
        assert (np.diff(w[:, 0]) <= 0).all() and w[0, 0] > w[-1, 0]  # younger, more weight
    assert np.ptp(language[ages >= 14], axis=1).max() == pytest.approx(0.0)
    assert (style[:, 0] > style[:, -1]).all()


def test_subject_expertise_matters_more_to_stronger_learners() -> None:
    """Advanced learners gain most from subject experts: the weight rises with ability."""
    w = oc.expert_weight(np.linspace(-3.0, 3.0, 61))
    assert (np.diff(w) > 0).all() and w[0] > 0


def test_the_fit_rises_with_each_tutor_quality_and_match_by_its_weight() -> None:
    """pair_fit is additive: a style match adds the style weight, a language match the language
    weight, and quality, expertise and communication each raise it."""
    base = dict(
        quality=0.5,
        expertise=0.5,
        communication=0.6,
        style_match=0.0,
        language_match=0.0,
        w_style=0.7,
        w_language=0.2,
        w_expert=1.1,
    )
    f0 = oc.pair_fit(**base)
    assert f0 == pytest.approx(0.0)
    assert oc.pair_fit(**base | {"style_match": 1.0}) - f0 == pytest.approx(0.7)
    assert oc.pair_fit(**base | {"language_match": 1.0}) - f0 == pytest.approx(0.2)
    for field in ("quality", "expertise", "communication"):
        assert oc.pair_fit(**base | {field: 0.9}) > f0 > oc.pair_fit(**base | {field: 0.1}), field


def test_engagement_peaks_at_the_84_percent_success_rate_and_values_a_style_match() -> None:
    """engagement responds to difficulty as the flow curve does (best at 84% success), and a
    style match lifts it more for a learner less at ease online."""
    success = np.linspace(0.0, 1.0, 101)
    e = oc.engagement_logit(1.0, 24.0, 0.5, 0.0, 0.0, success)
    assert int(np.argmax(e)) == 84
    comfort = np.linspace(0.0, 1.0, 11)
    bonus = oc.engagement_logit(1.0, 24.0, comfort, 1.0, 0.0, 0.84) - oc.engagement_logit(
        1.0, 24.0, comfort, 0.0, 0.0, 0.84
    )
    assert (bonus > 0).all() and (np.diff(bonus) < 0).all()


def test_learning_gain_rises_with_fit_and_time_with_diminishing_returns() -> None:
    """Fastest near 84% success, scaled by the fit (positive everywhere the fit lies, about -1.5
    to 2.5), attention and engagement, and by time with diminishing returns: twice the time
    gains more, but less than twice as much."""
    fit = np.linspace(-1.5, 2.5, 41)
    g = oc.learning_gain(0.84, fit, 1.0, 0.5, 1.0)
    assert (g > 0).all() and (np.diff(g) > 0).all()
    one, two = oc.learning_gain(0.84, 0.5, 1.0, 0.5, np.array([1.0, 2.0]))
    assert one < two < 2 * one
    p = np.linspace(0.5, 0.99, 50)
    assert p[np.argmax(oc.learning_gain(p, 0.5, 1.0, 0.5, 1.0))] == pytest.approx(0.84)
    assert oc.learning_gain(0.84, 0.0, 1.0, 0.5, 1.0) == pytest.approx(oc.LEARNING_RATE)


def test_a_gain_from_its_kept_rate_is_the_gain_to_the_bit() -> None:
    """The difficulty filter keeps `learning_rate_at_flow` of each difficulty and multiplies in
    the learner's state later: the gain must be the one formula 0.12 flow max(0.2, 1 + fit / 2)
    attention (0.5 + engagement) sqrt(duration), multiplied left to right, to the last bit."""
    rng = np.random.default_rng(0)
    flow, fit, attention, engagement = rng.random((4, 500))
    fit = 4.0 * fit - 1.5
    duration = 10 / 12
    formula = (
        0.12
        * flow
        * np.maximum(0.2, 1.0 + 0.5 * fit)
        * attention
        * (0.5 + engagement)
        * np.sqrt(duration)
    )
    kept = oc.learning_gain_at_rate(
        oc.learning_rate_at_flow(flow, fit), attention, engagement, duration
    )
    assert kept.tobytes() == formula.tobytes()
    direct = oc.learning_gain_at_flow(flow, fit, attention, engagement, duration)
    assert direct.tobytes() == formula.tobytes()


def test_the_outcome_rises_with_mastery_and_fit() -> None:
    """sigmoid(1.2 (ability after - difficulty) + 0.6 fit + noise): ability up, difficulty
    down and fit up each raise it, by those slopes."""
    assert oc.outcome_logit(1.0, 0.0, 0.0) == pytest.approx(1.2)
    assert oc.outcome_logit(0.0, 1.0, 0.0) == pytest.approx(-1.2)
    assert oc.outcome_logit(0.0, 0.0, 1.0) == pytest.approx(0.6)


def test_compatibility_rises_with_each_observed_tutor_attribute_and_shares_the_fit_weights() -> (
    None
):
    """The survey score rises with rating, communication rating, listed expertise and
    experience (up to 15 years), and weighs style and cultural match by the same
    learner-dependent weights as the hidden fit."""
    base = dict(
        age=10.0,
        comfort=0.3,
        style_match=0.0,
        language_match=0.0,
        rating=3.0,
        years=5.0,
        comm=3.0,
        expertise=0.5,
    )
    c0 = oc.compatibility_logit(**base)
    for field, low, high in (("rating", 2.0, 4.5), ("comm", 2.0, 4.5), ("expertise", 0.1, 0.9)):
        assert (
            oc.compatibility_logit(**base | {field: high})
            > c0
            > oc.compatibility_logit(**base | {field: low})
        ), field
    years = oc.compatibility_logit(**base | {"years": np.arange(0.0, 16.0)})
    assert (np.diff(years) > 0).all()
    w_style, w_language = oc.match_weights(10.0, 0.3)
    assert oc.compatibility_logit(**base | {"style_match": 1.0}) - c0 == pytest.approx(w_style)
    assert oc.compatibility_logit(**base | {"language_match": 1.0}) - c0 == pytest.approx(
        w_language
    )


def test_the_learners_rating_of_the_tutor_is_drawn_with_normal_noise_of_sd_05() -> None:
    """tutor_rating = clip(round2(1 + 4 sigmoid(1.5 z + 0.6)), 1, 5) in half stars, z =
    2 (engagement - 0.5) + 1.5 (outcome - 0.5) + 1.2 (quality - 0.5) + N(0, 0.5). The half-star
    counts of 100,000 draws at each of three inputs against the probabilities that normal noise
    gives each star (chi-square; false alarm 1e-6 a check, seeds fixed)."""
    stars = np.arange(1.0, 5.01, 0.5)
    for seed, (e, o, q) in enumerate(((0.5, 0.5, 0.5), (0.8, 0.7, 0.9), (0.2, 0.3, 0.1))):
        n = 100_000
        drawn = oc.tutor_rating_given(
            np.random.default_rng(seed), np.full(n, e), np.full(n, o), np.full(n, q)
        )
        assert np.isin(drawn, stars).all()
        z0 = 2.0 * (e - 0.5) + 1.5 * (o - 0.5) + 1.2 * (q - 0.5)
        # star r holds 1 + 4 s in [r - 0.25, r + 0.25), s = sigmoid(1.5 z + 0.6)
        s_edges = np.clip((np.append(stars - 0.25, 5.25) - 1.0) / 4.0, 0.0, 1.0)
        with np.errstate(divide="ignore"):
            z_edges = (logit(s_edges) - 0.6) / 1.5
        probs = np.diff(stats.norm.cdf(z_edges, loc=z0, scale=0.5))
        counts = np.array([(drawn == r).sum() for r in stars])
        keep = probs * n > 5
        expected = probs[keep] / probs[keep].sum() * counts[keep].sum()
        assert counts[~keep].sum() < 20
        assert stats.chisquare(counts[keep], expected).pvalue > 1e-6, (e, o, q, counts)


def test_completion_rises_with_engagement() -> None:
    """Bernoulli(sigmoid(6 (engagement - 0.3) + 0.5)): sigmoid(0.5) = 0.622459 at 0.3."""
    assert oc.completion_probability(0.3) == pytest.approx(expit(0.5))
    assert oc.completion_probability(0.8) == pytest.approx(expit(3.5))
    assert (np.diff(oc.completion_probability(np.linspace(0, 1, 11))) > 0).all()


def test_comfort_moves_by_004_times_engagement_less_045_within_0_1() -> None:
    """comfort + 0.04 (engagement - 0.45) a session, kept within [0, 1]."""
    comfort = np.array([0.5, 0.5, 0.001, 0.999, 0.3])
    engagement = np.array([0.95, 0.2, 0.0, 1.0, 0.45])
    np.testing.assert_allclose(
        oc.comfort_after_session(comfort, engagement), [0.52, 0.49, 0.0, 1.0, 0.3]
    )


def test_the_session_reward_is_07_outcome_plus_03_engagement() -> None:
    """README: the tutor-matching reward is 0.7 x learning outcome + 0.3 x engagement."""
    assert oc.session_reward(engagement=1.0, outcome=0.0) == pytest.approx(0.3)
    assert oc.session_reward(engagement=0.0, outcome=1.0) == pytest.approx(0.7)
    assert oc.session_reward(engagement=0.5, outcome=0.2) == pytest.approx(0.29)


def test_the_kept_rate_is_floored_at_a_fifth_for_the_poorest_fit() -> None:
    """0.12 flow max(0.2, 1 + fit / 2): a fit below -1.6 still learns at a fifth of the rate, and
    above it the rate grows by half the fit. Worked by hand at flow 1 and 0.5."""
    fit = np.array([-3.0, -1.6, -1.0, 0.0, 2.0])
    np.testing.assert_allclose(
        oc.learning_rate_at_flow(1.0, fit), [0.024, 0.024, 0.06, 0.12, 0.24], rtol=1e-12
    )
    np.testing.assert_allclose(
        oc.learning_rate_at_flow(0.5, fit), [0.012, 0.012, 0.03, 0.06, 0.12], rtol=1e-12
    )
