"""Simulate sessions for many (learner, tutor) rows at once, and the expected value of a session
that the oracle policies read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import binom

from aura.sim import outcomes as oc
from aura.sim.population import Tutors
from aura.sim.rng import logit_normal_mean, logit_normal_moments, normal_quadrature, sigmoid


@dataclass
class SessionContext:
    """Everything about the learner side of a batch of sessions (one entry per row)."""

    theta: np.ndarray
    age: np.ndarray
    comfort: np.ndarray
    attention_span: np.ndarray
    learning_style: np.ndarray
    language: np.ndarray
    subject: np.ndarray
    level: np.ndarray
    duration_hours: np.ndarray


@dataclass
class SessionDraw:
    """Observed results and hidden truth of a batch of simulated sessions."""

    exercise_success_rate: np.ndarray
    style_match: np.ndarray
    language_match: np.ndarray
    engagement_score: np.ndarray
    learning_outcome_score: np.ndarray
    compatibility_score: np.ndarray
    tutor_rating: np.ndarray
    completed: np.ndarray
    p_success: np.ndarray
    fit: np.ndarray
    gain: np.ndarray
    engagement_mean: np.ndarray
    engagement_var: np.ndarray
    compatibility_mean: np.ndarray
    compatibility_var: np.ndarray


def _pair_terms(ctx: SessionContext, tutors: Tutors, tutor_idx: np.ndarray):
    """Style and language match and the hidden fit of each row's pair."""
    style_match = (tutors.teaching_style[tutor_idx] == ctx.learning_style).astype(float)
    language_match = (tutors.language[tutor_idx] == ctx.language).astype(float)
    w_style, w_language = oc.match_weights(ctx.age, ctx.comfort)
    fit = oc.pair_fit(
        tutors.quality[tutor_idx],
        tutors.expertise[tutor_idx, ctx.subject],
        tutors.communication[tutor_idx],
        style_match,
        language_match,
        w_style,
        w_language,
        oc.expert_weight(ctx.theta),
    )
    return style_match, language_match, fit


def simulate_sessions(
    rng: np.random.Generator, ctx: SessionContext, tutors: Tutors, tutor_idx: np.ndarray
) -> SessionDraw:
    """Run one session per row. Draw order is fixed (successes, engagement, outcome,
    compatibility, rating, completion) so a seed reproduces every column."""
    n = len(tutor_idx)
    b = oc.DIFFICULTY_OFFSETS[ctx.level]
    p = oc.success_probability(ctx.theta, b)
    n_items = np.maximum(1, np.rint(oc.ITEMS_PER_HOUR * ctx.duration_hours)).astype(np.int64)
    success = rng.binomial(n_items, p) / n_items
    style_match, language_match, fit = _pair_terms(ctx, tutors, tutor_idx)

    e_logit = oc.engagement_logit(
        ctx.duration_hours, ctx.attention_span, ctx.comfort, style_match, language_match, success
    )
    engagement = sigmoid(e_logit + oc.ENGAGEMENT_NOISE * rng.normal(size=n))
    attention = oc.attention_fit(ctx.attention_span, ctx.duration_hours)
    gain = oc.learning_gain(p, fit, attention, engagement, ctx.duration_hours)
    o_logit = oc.outcome_logit(ctx.theta + gain, b, fit)
    outcome = sigmoid(o_logit + oc.OUTCOME_NOISE * rng.normal(size=n))

    c_logit = oc.compatibility_logit(
        ctx.age,
        ctx.comfort,
        style_match,
        language_match,
        tutors.rating[tutor_idx],
        tutors.years_experience[tutor_idx],
        tutors.communication_rating[tutor_idx],
        tutors.expertise_observed[tutor_idx, ctx.subject],
    )
    compatibility = sigmoid(c_logit + oc.COMPATIBILITY_NOISE * rng.normal(size=n))
    rating = oc.tutor_rating_given(rng, engagement, outcome, tutors.quality[tutor_idx])
    completed = rng.random(n) < oc.completion_probability(engagement)
    e_mean, e_var = logit_normal_moments(e_logit, oc.ENGAGEMENT_NOISE)
    c_mean, c_var = logit_normal_moments(c_logit, oc.COMPATIBILITY_NOISE)
    return SessionDraw(
        exercise_success_rate=success,
        style_match=style_match,
        language_match=language_match,
        engagement_score=engagement,
        learning_outcome_score=outcome,
        compatibility_score=compatibility,
        tutor_rating=rating,
        completed=completed,
        p_success=p,
        fit=fit,
        gain=gain,
        engagement_mean=e_mean,
        engagement_var=e_var,
        compatibility_mean=c_mean,
        compatibility_var=c_var,
    )


def expected_session_scores(
    ctx: SessionContext, tutors: Tutors, tutor_idx: np.ndarray, chunk: int = 512
) -> tuple[np.ndarray, np.ndarray]:
    """Expected engagement and learning outcome of each row, read from the hidden state.

    Exact up to quadrature: it sums over the binomial number of exercises solved, integrates the
    engagement noise (which also drives the learning gain) with 16 Gauss-Hermite nodes and the
    outcome noise with 32. Rows are processed in chunks to bound memory. The oracles and the
    off-policy evaluation's true values read this.
    """
    b = oc.DIFFICULTY_OFFSETS[ctx.level]
    p = oc.success_probability(ctx.theta, b)
    n_items = np.maximum(1, np.rint(oc.ITEMS_PER_HOUR * ctx.duration_hours)).astype(np.int64)
    style_match, language_match, fit = _pair_terms(ctx, tutors, tutor_idx)
    attention = oc.attention_fit(ctx.attention_span, ctx.duration_hours)
    nodes, weights = normal_quadrature(16)
    k = np.arange(int(n_items.max()) + 1)
    engagement_mean = np.empty(len(tutor_idx))
    outcome_mean = np.empty(len(tutor_idx))
    for start in range(0, len(tutor_idx), chunk):
        r = slice(start, start + chunk)
        n, pr = n_items[r, None], p[r, None]
        pmf = binom.pmf(k[None, :], n, pr)
        success = np.minimum(k[None, :], n) / n
        e_logit = oc.engagement_logit(
            ctx.duration_hours[r, None],
            ctx.attention_span[r, None],
            ctx.comfort[r, None],
            style_match[r, None],
            language_match[r, None],
            success,
        )
        engagement = sigmoid(e_logit[..., None] + oc.ENGAGEMENT_NOISE * nodes)
        gain = oc.learning_gain(
            pr[..., None],
            fit[r, None, None],
            attention[r, None, None],
            engagement,
            ctx.duration_hours[r, None, None],
        )
        o_logit = oc.outcome_logit(
            ctx.theta[r, None, None] + gain, b[r, None, None], fit[r, None, None]
        )
        outcome = logit_normal_mean(o_logit, oc.OUTCOME_NOISE)
        engagement_mean[r] = np.sum(pmf * (engagement @ weights), axis=1)
        outcome_mean[r] = np.sum(pmf * (outcome @ weights), axis=1)
    return engagement_mean, outcome_mean


def expected_session_reward(
    ctx: SessionContext, tutors: Tutors, tutor_idx: np.ndarray
) -> np.ndarray:
    """Expected session reward of each row, with the platform's weights (`outcomes.REWARD_WEIGHTS`):
    the reward the logged sessions were scored by."""
    w = oc.REWARD_WEIGHTS
    engagement, outcome = expected_session_scores(ctx, tutors, tutor_idx)
    return w["learning_outcome_score"] * outcome + w["engagement_score"] * engagement
