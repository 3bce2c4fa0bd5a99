"""The simulator's populations against the distributions docs/data.md gives for each column.

Each test draws a large population at a fixed seed and compares it with the documented model
worked out independently with scipy: a rounded or clipped column is turned back into the interval
of the latent noise it came from, and a randomized probability integral transform over that interval
(u = F(lo) + V (F(hi) - F(lo)), V uniform) is exactly Uniform(0, 1) under the model, whatever the
rounding and clipping. Counts go to a chi-square test against the exact probabilities.

False alarms: under the documented model each p-value is uniform, so a correct simulator fails a
check with probability ALPHA = 1e-6, about 3e-5 over the checks here; the seeds are fixed, so the
outcome is deterministic anyway. A wrong parameter (a mean for a standard deviation, a swapped
pair of Beta parameters, an off-by-one bound) gives p-values below 1e-20 at these sizes.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from scipy.special import logit

from aura.sim.generate import (
    PREFERRED_SLOT_SHARE,
    PREFERRED_SUBJECT_SHARE,
    _pick_other,
    sessions_per_learner,
)
from aura.sim.population import sample_learners, sample_tutors
from aura.sim.rng import categorical
from aura.sim.vocab import SUBJECTS

ALPHA = 1e-6
N_LEARNERS = 120_000
N_TUTORS = 60_000


@pytest.fixture(scope="module")
def learners():
    return sample_learners(np.random.default_rng(11), N_LEARNERS)


@pytest.fixture(scope="module")
def tutors():
    return sample_tutors(np.random.default_rng(12), N_TUTORS)


def _uniform(lo: np.ndarray, hi: np.ndarray, seed: int = 0) -> np.ndarray:
    """Randomized PIT: a uniform point between the model's CDF at the two ends of each row's
    interval (Uniform(0, 1) exactly when the rows follow the model)."""
    return lo + np.random.default_rng(seed).random(len(lo)) * (hi - lo)


def _assert_uniform(u: np.ndarray, what: str) -> None:
    result = stats.kstest(u, "uniform")
    assert result.pvalue > ALPHA, (what, result)


def _assert_counts(observed: np.ndarray, probs: np.ndarray, what: str) -> None:
    expected = probs / probs.sum() * observed.sum()
    result = stats.chisquare(observed, expected)
    assert result.pvalue > ALPHA, (what, observed, expected.round(1), result)


def test_grades_are_uniform_over_1_to_12(learners) -> None:
    """grade_level: Uniform over 1..12."""
    counts = np.bincount(learners.grade_level, minlength=14)
    assert counts[0] == counts[13] == 0
    _assert_counts(counts[1:13], np.ones(12), "grade")


def test_age_is_the_rounded_grade_plus_6_5_and_normal_noise_clipped_to_8_18(learners) -> None:
    """age = clip(round(grade + 6.5 + N(0, 0.6)), 8, 18): an age a came from noise in
    [a - 0.5, a + 0.5) - grade - 6.5, open below at 8 and above at 18."""
    age, grade = learners.age.astype(float), learners.grade_level.astype(float)
    assert age.min() >= 8 and age.max() <= 18
    noise = stats.norm(0.0, 0.6)
    lo = np.where(age == 8, -np.inf, age - 0.5 - grade - 6.5)
    hi = np.where(age == 18, np.inf, age + 0.5 - grade - 6.5)
    _assert_uniform(_uniform(noise.cdf(lo), noise.cdf(hi)), "age | grade")


def test_comfort_is_beta_with_a_first_parameter_growing_with_age(learners) -> None:
    """comfort_level_online (before any session): Beta(1.6 + 0.22 (age - 8), 2.2)."""
    u = stats.beta.cdf(learners.comfort, 1.6 + 0.22 * (learners.age - 8), 2.2)
    _assert_uniform(u, "comfort | age")


def test_attention_span_grows_with_age_with_normal_noise_clipped_to_5_60(learners) -> None:
    """attention_span_minutes = clip(8 + 3.2 (age - 8) + N(0, 5), 5, 60), one decimal."""
    span, centre = learners.attention_span, 8.0 + 3.2 * (learners.age - 8)
    assert span.min() >= 5.0 and span.max() <= 60.0
    noise = stats.norm(0.0, 5.0)
    lo = np.where(span == 5.0, -np.inf, span - 0.05 - centre)
    hi = np.where(span == 60.0, np.inf, span + 0.05 - centre)
    _assert_uniform(_uniform(noise.cdf(lo), noise.cdf(hi)), "attention | age")


def test_ability_is_standard_normal_about_the_subject_offsets_with_a_general_factor(
    learners,
) -> None:
    """Hidden theta per subject: N(subject offset, 1), the subjects sharing a general factor
    (0.8 general + 0.6 specific: correlation 0.64 between subjects). Offsets: math and coding
    are harder (-0.2, -0.3), english and history easier (+0.2, +0.1), science 0."""
    offsets = np.array([-0.2, 0.0, 0.2, 0.1, -0.3])
    centred = learners.theta - offsets
    for j, subject in enumerate(SUBJECTS):
        _assert_uniform(stats.norm.cdf(centred[:, j]), f"theta {subject}")
    r = np.corrcoef(centred.T)[np.triu_indices(len(SUBJECTS), 1)]
    se = (1 - 0.64**2) / np.sqrt(N_LEARNERS)  # about 0.0017
    assert np.abs(r - 0.64).max() < 5 * se, r


def test_activity_is_gamma_2_1(learners) -> None:
    """The hidden activity that shares out the sessions: Gamma(2, 1)."""
    _assert_uniform(stats.gamma.cdf(learners.activity, 2.0, scale=1.0), "activity")


def test_categorical_profile_fields_have_the_documented_shares(learners) -> None:
    """learning_style 35/20/20/25%, subject_preference 30/25/20/10/15%, time_preference
    15/35/35/15%, language 55/20/15/10%."""
    for name, probs in (
        ("learning_style", [0.35, 0.20, 0.20, 0.25]),
        ("subject_preference", [0.30, 0.25, 0.20, 0.10, 0.15]),
        ("time_preference", [0.15, 0.35, 0.35, 0.15]),
        ("language", [0.55, 0.20, 0.15, 0.10]),
    ):
        counts = np.bincount(getattr(learners, name), minlength=len(probs))
        _assert_counts(counts, np.array(probs), name)


def test_categorical_draws_every_category_with_its_probability() -> None:
    """`categorical` is the one sampler behind every categorical column: the last category too."""
    probs = np.array([0.1, 0.2, 0.3, 0.4])
    draws = categorical(np.random.default_rng(5), probs, 200_000)
    _assert_counts(np.bincount(draws, minlength=4), probs, "categorical")
    unnormalised = categorical(np.random.default_rng(5), 10 * probs, 200_000)
    np.testing.assert_array_equal(unnormalised, draws)


def test_years_of_experience_are_rounded_gamma_2_4_clipped_to_40(tutors) -> None:
    """years_experience = clip(round(Gamma(2, 4)), 0, 40)."""
    years = tutors.years_experience.astype(float)
    assert years.min() >= 0 and years.max() <= 40
    dist = stats.gamma(2.0, scale=4.0)
    lo = np.where(years == 0, 0.0, years - 0.5)
    hi = np.where(years == 40, np.inf, years + 0.5)
    _assert_uniform(_uniform(dist.cdf(lo), dist.cdf(hi)), "years")


def test_tutors_teach_one_plus_binomial_2_half_subjects(tutors) -> None:
    """subjects: 1 + Binomial(2, 0.5) of the five, so 1, 2, 3 with 1/4, 1/2, 1/4."""
    counts = np.bincount(tutors.teaches.sum(axis=1), minlength=6)
    assert counts[0] == counts[4] == counts[5] == 0
    _assert_counts(counts[1:4], np.array([0.25, 0.5, 0.25]), "subjects taught")
    _assert_counts(tutors.teaches.sum(axis=0), np.ones(len(SUBJECTS)), "which subjects")


def test_each_slot_is_free_with_probability_055_and_at_least_one_is(tutors) -> None:
    """availability: each of four slots with probability 0.55, at least one: a tutor drawn with
    none gets one slot, so 1 slot has probability 4 (0.55)(0.45)^3 + 0.45^4."""
    k = tutors.available.sum(axis=1)
    probs = stats.binom.pmf(np.arange(5), 4, 0.55)
    probs[1] += probs[0]
    counts = np.bincount(k, minlength=5)
    assert counts[0] == 0
    _assert_counts(counts[1:], probs[1:], "slots per tutor")


def test_the_rating_is_6_quality_plus_normal_noise_through_a_sigmoid(tutors) -> None:
    """rating = 1 + 4 sigmoid(6 (quality - 0.5) + N(0, 0.6)), one decimal: a rating r came from
    noise between logit((r -+ 0.05 - 1) / 4) - 6 (quality - 0.5)."""
    r, shift = tutors.rating, 6.0 * (tutors.quality - 0.5)
    noise = stats.norm(0.0, 0.6)
    with np.errstate(divide="ignore"):
        lo = logit(np.clip((r - 0.05 - 1.0) / 4.0, 0.0, 1.0)) - shift
        hi = logit(np.clip((r + 0.05 - 1.0) / 4.0, 0.0, 1.0)) - shift
    _assert_uniform(_uniform(noise.cdf(lo), noise.cdf(hi)), "rating | quality")


def _clipped_rounded(observed, hidden, sd, low, high, step, scale=1.0, offset=0.0):
    """PIT of observed = clip(offset + scale (hidden + N(0, sd)), low, high) rounded to `step`."""
    noise = stats.norm(0.0, sd)
    lo = np.where(observed <= low, -np.inf, ((observed - step / 2) - offset) / scale - hidden)
    hi = np.where(observed >= high, np.inf, ((observed + step / 2) - offset) / scale - hidden)
    return _uniform(noise.cdf(lo), noise.cdf(hi))


def test_observed_tutor_fields_are_their_hidden_value_plus_the_documented_noise(tutors) -> None:
    """teaching_effectiveness = quality + N(0, 0.08) and adaptability_score = adaptability +
    N(0, 0.05), clipped to [0, 1], three decimals; communication_rating = 1 + 4 (communication
    + N(0, 0.05)), clipped to [1, 5], one decimal; expertise_<subject> = expertise + N(0, 0.1),
    clipped to [0, 1], three decimals, for a taught subject and 0 for the others."""
    t = tutors
    checks = {
        "effectiveness": _clipped_rounded(t.effectiveness, t.quality, 0.08, 0.0, 1.0, 1e-3),
        "adaptability": _clipped_rounded(t.adaptability_score, t.adaptability, 0.05, 0, 1, 1e-3),
        "communication": _clipped_rounded(
            t.communication_rating, t.communication, 0.05, 1.0, 5.0, 0.1, scale=4.0, offset=1.0
        ),
        "expertise": _clipped_rounded(
            t.expertise_observed[t.teaches], t.expertise[t.teaches], 0.1, 0.0, 1.0, 1e-3
        ),
    }
    for name, u in checks.items():
        _assert_uniform(u, name)
    assert (t.expertise_observed[~t.teaches] == 0).all()


def test_a_session_keeps_the_preferred_subject_or_slot_at_its_share_else_another_uniformly() -> (
    None
):
    """subject: the learner's preference with probability 0.7; time_slot with 0.8; otherwise any
    other option with equal chance."""
    n = 200_000
    for options, keep in ((len(SUBJECTS), PREFERRED_SUBJECT_SHARE), (4, PREFERRED_SLOT_SHARE)):
        preferred = np.zeros(n, dtype=np.int64)
        picked = _pick_other(np.random.default_rng(7), preferred, options, keep)
        probs = np.array([keep] + [(1 - keep) / (options - 1)] * (options - 1))
        _assert_counts(np.bincount(picked, minlength=options), probs, f"keep {keep}")
    assert (PREFERRED_SUBJECT_SHARE, PREFERRED_SLOT_SHARE) == (0.7, 0.8)


def test_sessions_beyond_the_first_go_out_in_proportion_to_activity() -> None:
    """session_count = 1 + Multinomial(n_sessions - n_learners, activity / sum(activity)): the
    extra sessions of each fifth of learners by activity match its share of the activity, within
    4 multinomial standard deviations (the share of a group of a multinomial is binomial)."""
    rng = np.random.default_rng(9)
    activity = rng.gamma(2.0, 1.0, size=5_000)
    counts = sessions_per_learner(np.random.default_rng(10), activity, 50_000)
    assert counts.min() >= 1 and counts.sum() == 50_000
    extra = counts - 1
    groups = np.array_split(np.argsort(activity), 5)
    for group in groups:
        share = activity[group].sum() / activity.sum()
        z = (extra[group].sum() - 45_000 * share) / np.sqrt(45_000 * share * (1 - share))
        assert abs(z) < 4, (share, z)
