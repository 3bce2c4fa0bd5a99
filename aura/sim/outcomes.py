"""What happens in one tutoring session: the causal core that the CSVs and both environments share.

Every function takes floats or numpy arrays (broadcasting), so the data generator calls them on
whole columns and the environments call them on one learner per step. The pieces:

- success on material of difficulty b follows item response theory, P = sigmoid(1.7 * (theta - b));
- learning is fastest near 84% success (the Eighty Five Percent Rule, Wilson et al. 2019):
  `flow(p)` peaks there; far easier material bores, far harder material frustrates;
- the tutor-learner fit weighs quality, subject expertise, style and cultural match and
  communication, with weights that depend on the learner: low online comfort and young age raise
  the value of style and cultural match, strong learners gain most from subject experts;
- engagement, learning outcome, the learner's rating of the tutor and completion follow, with noise.

The two targets the supervised models learn (engagement and compatibility) are built as
sigmoid(f(x) + Gaussian noise) over exactly the features those models see, so the simulator knows
E[y | x] and the best achievable error (see `aura.sim.rng.logit_normal_moments`).
"""

from __future__ import annotations

import numpy as np

from aura.sim.rng import sigmoid

Values = np.ndarray | float
"""One value or an array of them: every rule below works elementwise on either."""

IRT_SCALE = 1.7
OPTIMAL_SUCCESS = 0.84
"""Success rate at which learning is fastest: 1 - Phi(-1), the Eighty Five Percent Rule."""
FLOW_WIDTH = 0.12
DIFFICULTY_OFFSETS = np.array([-1.2, 0.0, 1.2])
"""Item difficulty b of the Beginner, Intermediate and Advanced levels, relative to grade level."""
ITEMS_PER_HOUR = 12
LEARNING_RATE = 0.12
"""Ability gained by one hour-long session at ideal difficulty with an average tutor."""

ENGAGEMENT_NOISE = 0.8
OUTCOME_NOISE = 0.4
COMPATIBILITY_NOISE = 0.8
TUTOR_RATING_NOISE = 0.5

REWARD_WEIGHTS = {"learning_outcome_score": 0.7, "engagement_score": 0.3}
"""Session value: the tutor-matching reward and the logged-policy value. Learning is what
tutoring is for, and engagement already drives it (it scales the ability gain), so learning
weighs more; notebook 02 shows what an even split would do."""


def success_probability(theta: np.ndarray | float, b: np.ndarray | float) -> np.ndarray | float:
    """Item response theory (2PL with unit discrimination): chance of solving an item."""
    return sigmoid(IRT_SCALE * (theta - b))


def target_difficulty(theta: np.ndarray | float) -> np.ndarray | float:
    """The difficulty b at which a learner of ability theta succeeds 84% of the time."""
    return theta - np.log(OPTIMAL_SUCCESS / (1.0 - OPTIMAL_SUCCESS)) / IRT_SCALE


def flow(success_rate: Values) -> Values:
    """How well the material suits the learner: 1 at 84% success, falling off on both sides."""
    return np.exp(-0.5 * ((success_rate - OPTIMAL_SUCCESS) / FLOW_WIDTH) ** 2)


def attention_fit(attention_span: Values, duration_hours: Values) -> Values:
    """Share of a session the learner can stay with: sessions longer than about two and a half
    attention spans (breaks included) lose the learner."""
    return np.minimum(1.0, 2.5 * attention_span / (60.0 * duration_hours))


def match_weights(age: Values, comfort: Values) -> tuple[Values, Values]:
    """How much style and cultural match matter to a learner: most to young learners who are
    not at ease online. Returns (style weight, language weight)."""
    young = np.clip((14.0 - age) / 6.0, 0.0, 1.0)
    low = 1.0 - comfort
    return 0.1 + 1.4 * low * (0.4 + 0.6 * young), 0.05 + 1.3 * low * young


def expert_weight(theta: Values) -> Values:
    """How much a tutor's subject expertise matters: most for advanced learners."""
    return 0.15 + 1.2 * sigmoid(2.0 * (theta - 0.5))


def pair_fit(
    quality: Values,
    expertise: Values,
    communication: Values,
    style_match: Values,
    language_match: Values,
    w_style: Values,
    w_language: Values,
    w_expert: Values,
) -> Values:
    """Latent tutor-learner fit (about -1.5 to 2.5): the hidden truth behind every session."""
    return (
        0.8 * (quality - 0.5) * 2.0
        + w_expert * (expertise - 0.5) * 2.0
        + w_style * style_match
        + w_language * language_match
        + 0.3 * (communication - 0.6) * 2.0
    )


def engagement_logit(
    duration_hours: Values,
    attention_span: Values,
    comfort: Values,
    style_match: Values,
    language_match: Values,
    success: Values,
) -> Values:
    """Engagement before noise, from six things the platform records about a session.

    `success` is the session's observed exercise success rate, so engagement responds to
    difficulty fit the way the flow curve says; low-comfort learners engage more with a tutor
    who teaches in their style and speaks their language.
    """
    low = 1.0 - comfort
    return (
        -1.1
        + 1.8 * flow(success)
        + 1.2 * attention_fit(attention_span, duration_hours)
        + 0.8 * (comfort - 0.5)
        + (0.2 + 1.0 * low) * style_match
        + (0.1 + 0.7 * low) * language_match
    )


def learning_gain(
    p_success: Values, fit: Values, attention: Values, engagement: Values, duration_hours: Values
) -> Values:
    """Ability gained in the session's subject: fastest near 84% success, scaled by fit,
    attention, engagement and (with diminishing returns) time."""
    return learning_gain_at_flow(flow(p_success), fit, attention, engagement, duration_hours)


def learning_gain_at_flow(
    flow_value: Values, fit: Values, attention: Values, engagement: Values, duration_hours: Values
) -> Values:
    """`learning_gain` given the flow of its success rate: the same operations in the same order,
    for callers that reuse one flow many times (the difficulty filter weighs a grid of abilities
    at each of a few difficulties, block after block)."""
    return learning_gain_at_rate(
        learning_rate_at_flow(flow_value, fit), attention, engagement, duration_hours
    )


def learning_rate_at_flow(flow_value: Values, fit: Values) -> Values:
    """The first factors of `learning_gain_at_flow`, those of the material and the tutor: a
    caller that meets the same difficulty and fit again and again (the difficulty filter) keeps
    them and multiplies in the learner's state with `learning_gain_at_rate`, to the same bits."""
    return LEARNING_RATE * flow_value * np.maximum(0.2, 1.0 + 0.5 * fit)


def learning_gain_at_rate(
    rate: Values, attention: Values, engagement: Values, duration_hours: Values
) -> Values:
    """`learning_gain_at_flow` from its `learning_rate_at_flow`: the remaining factors, in the
    order `learning_gain_at_flow` multiplies them."""
    return rate * attention * (0.5 + engagement) * np.sqrt(duration_hours)


def outcome_logit(theta_after: Values, b: Values, fit: Values) -> Values:
    """Post-session assessment score before noise: mastery of the material plus the fit."""
    return 1.2 * (theta_after - b) + 0.6 * fit


def compatibility_logit(
    age: Values,
    comfort: Values,
    style_match: Values,
    language_match: Values,
    rating: Values,
    years: Values,
    comm: Values,
    expertise: Values,
) -> Values:
    """The learner's post-session 'how well did this tutor suit me' survey, before noise.

    Built from eight observed learner and tutor attributes with the same learner-dependent
    weights as the hidden fit, so the score is a fair, learnable proxy of it.
    """
    w_style, w_language = match_weights(age, comfort)
    return (
        -0.6
        + 0.6 * (rating - 3.0)
        + 0.25 * (comm - 3.0)
        + 0.03 * np.minimum(years, 15)
        + 0.9 * (expertise - 0.5)
        + w_style * style_match
        + w_language * language_match
    )


def tutor_rating_given(
    rng: np.random.Generator, engagement: Values, outcome: Values, quality: Values
) -> Values:
    """The 1-5 rating a learner gives after a session (0.5 steps)."""
    z = 2.0 * (engagement - 0.5) + 1.5 * (outcome - 0.5) + 1.2 * (quality - 0.5)
    z = z + rng.normal(0.0, TUTOR_RATING_NOISE, size=np.shape(engagement))
    return np.clip(np.rint(2.0 * (1.0 + 4.0 * sigmoid(1.5 * z + 0.6))) / 2.0, 1.0, 5.0)


def completion_probability(engagement: Values) -> Values:
    """Chance that the learner stays to the end of the session."""
    return sigmoid(6.0 * (engagement - 0.3) + 0.5)


def session_reward(engagement: Values, outcome: Values) -> Values:
    """Value of a session to the platform: the documented mix of outcome and engagement."""
    return (
        REWARD_WEIGHTS["learning_outcome_score"] * outcome
        + REWARD_WEIGHTS["engagement_score"] * engagement
    )


def comfort_after_session(comfort: Values, engagement: Values) -> Values:
    """Online comfort after a session: an engaging session builds ease, a dull one erodes it.

    The same rule moves comfort session after session in `aura.sim.generate.simulate_history`.
    """
    return np.minimum(1.0, np.maximum(0.0, comfort + 0.04 * (engagement - 0.45)))
