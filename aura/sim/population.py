"""Learners and tutors: who they are, what a platform sees of them, and what stays hidden.

Every draw comes from the one `numpy.random.Generator` passed in, in a fixed order, so the same
seed gives the same population. Hidden quantities (ability, tutor quality, true expertise) live
in the same dataclasses as the observed ones but are written to `data/truth/`, never to the CSVs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from aura.sim.rng import categorical, sigmoid
from aura.sim.vocab import LEARNING_STYLES, SUBJECTS, TIME_SLOTS

SUBJECT_OFFSETS = np.array([-0.2, 0.0, 0.2, 0.1, -0.3])
"""Mean ability per subject on the logit scale (math and coding are harder for most learners)."""

LEARNING_STYLE_PROBS = np.array([0.35, 0.20, 0.20, 0.25])
SUBJECT_PROBS = np.array([0.30, 0.25, 0.20, 0.10, 0.15])
TIME_PROBS = np.array([0.15, 0.35, 0.35, 0.15])
LANGUAGE_PROBS = np.array([0.55, 0.20, 0.15, 0.10])
TUTOR_LANGUAGE_PROBS = np.array([0.50, 0.20, 0.20, 0.10])


@dataclass
class Learners:
    """A population of learners, indexed 0..n-1 (ids are index + 1).

    `theta` is the hidden ability per subject (n, n_subjects), on the item-response logit scale,
    normed to the learner's grade: a learner with theta 0 passes grade-level material of
    difficulty 0 about half the time.
    """

    age: np.ndarray
    grade_level: np.ndarray
    learning_style: np.ndarray
    subject_preference: np.ndarray
    time_preference: np.ndarray
    language: np.ndarray
    comfort: np.ndarray
    attention_span: np.ndarray
    theta: np.ndarray
    activity: np.ndarray

    def __len__(self) -> int:
        return len(self.age)


@dataclass
class Tutors:
    """A pool of tutors, indexed 0..m-1 (ids are index + 1).

    Hidden: `quality`, `expertise` (m, n_subjects; near zero for subjects not taught),
    `communication`, `adaptability`. Observed: `rating` (a noisy proxy of quality),
    `effectiveness`, `expertise_observed`, `communication_rating`, `adaptability_score`.
    """

    years_experience: np.ndarray
    teaches: np.ndarray
    available: np.ndarray
    teaching_style: np.ndarray
    language: np.ndarray
    quality: np.ndarray
    expertise: np.ndarray
    communication: np.ndarray
    adaptability: np.ndarray
    rating: np.ndarray
    effectiveness: np.ndarray
    expertise_observed: np.ndarray
    communication_rating: np.ndarray
    adaptability_score: np.ndarray

    def __len__(self) -> int:
        return len(self.rating)


def sample_learners(rng: np.random.Generator, n: int) -> Learners:
    """Draw `n` learners. Age follows grade closely; comfort online and attention span grow
    with age; abilities share a general factor across subjects."""
    grade = rng.integers(1, 13, size=n)
    age = np.clip(np.rint(grade + 6.5 + rng.normal(0.0, 0.6, size=n)), 8, 18).astype(np.int64)
    style = categorical(rng, LEARNING_STYLE_PROBS, n)
    subject = categorical(rng, SUBJECT_PROBS, n)
    time = categorical(rng, TIME_PROBS, n)
    language = categorical(rng, LANGUAGE_PROBS, n)
    comfort = rng.beta(1.6 + 0.22 * (age - 8), 2.2)
    attention = np.clip(8.0 + 3.2 * (age - 8) + rng.normal(0.0, 5.0, size=n), 5.0, 60.0)
    general = rng.normal(0.0, 1.0, size=(n, 1))
    specific = rng.normal(0.0, 1.0, size=(n, len(SUBJECTS)))
    theta = 0.8 * general + 0.6 * specific + SUBJECT_OFFSETS
    activity = rng.gamma(2.0, 1.0, size=n)
    return Learners(
        age=age,
        grade_level=grade.astype(np.int64),
        learning_style=style,
        subject_preference=subject,
        time_preference=time,
        language=language,
        comfort=comfort,
        attention_span=np.round(attention, 1),
        theta=theta,
        activity=activity,
    )


def sample_tutors(rng: np.random.Generator, m: int) -> Tutors:
    """Draw `m` tutors. Each teaches one to three subjects, is free in some time slots, and has a
    hidden quality that the public rating reflects only noisily."""
    n_subjects = len(SUBJECTS)
    years = np.clip(np.rint(rng.gamma(2.0, 4.0, size=m)), 0, 40).astype(np.int64)
    n_taught = 1 + rng.binomial(2, 0.5, size=m)
    order = np.argsort(rng.random((m, n_subjects)), axis=1)
    ranks = np.argsort(order, axis=1)
    teaches = ranks < n_taught[:, None]
    available = rng.random((m, len(TIME_SLOTS))) < 0.55
    fallback = rng.integers(0, len(TIME_SLOTS), size=m)
    available[np.arange(m), fallback] |= ~available.any(axis=1)
    style = rng.integers(0, len(LEARNING_STYLES), size=m)
    language = categorical(rng, TUTOR_LANGUAGE_PROBS, m)
    quality = sigmoid(0.9 * rng.normal(0.0, 1.0, size=m) + 0.04 * (years - 8))
    expertise_taught = np.clip(
        rng.beta(4.0, 2.0, size=(m, n_subjects)) + 0.005 * years[:, None], 0, 1
    )
    expertise = np.where(teaches, expertise_taught, 0.15 * rng.beta(2.0, 5.0, size=(m, n_subjects)))
    communication = rng.beta(4.0, 2.0, size=m)
    adaptability = rng.beta(3.0, 2.0, size=m)
    rating = np.clip(1.0 + 4.0 * sigmoid(3.0 * (quality - 0.5) * 2 + rng.normal(0.0, 0.6, m)), 1, 5)
    effectiveness = np.clip(quality + rng.normal(0.0, 0.08, size=m), 0.0, 1.0)
    noise = rng.normal(0.0, 0.1, size=(m, n_subjects))
    expertise_observed = np.where(teaches, np.clip(expertise + noise, 0.0, 1.0), 0.0)
    communication_rating = np.clip(1.0 + 4.0 * (communication + rng.normal(0.0, 0.05, m)), 1, 5)
    adaptability_score = np.clip(adaptability + rng.normal(0.0, 0.05, size=m), 0.0, 1.0)
    return Tutors(
        years_experience=years,
        teaches=teaches,
        available=available,
        teaching_style=style,
        language=language,
        quality=quality,
        expertise=expertise,
        communication=communication,
        adaptability=adaptability,
        rating=np.round(rating, 1),
        effectiveness=np.round(effectiveness, 3),
        expertise_observed=np.round(expertise_observed, 3),
        communication_rating=np.round(communication_rating, 1),
        adaptability_score=np.round(adaptability_score, 3),
    )
