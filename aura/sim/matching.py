"""The five matching strategies, the logged platform's stochastic choice among them, and the
concrete tutor each strategy picks from a pool.

A strategy sees only what a platform sees (ratings, listed expertise, styles, languages,
availability), never the hidden quality or expertise, which is why 'best rating' is good but
imperfect. The same code picks tutors for the logged sessions and for the environment.
"""

from __future__ import annotations

import numpy as np

from aura.sim.population import Tutors
from aura.sim.vocab import STRATEGIES

BEST_RATING, SUBJECT_EXPERT, CULTURAL_MATCH, STYLE_MATCH, BALANCED = range(len(STRATEGIES))

LOGGING_BASE_LOGITS = np.array([0.6, 0.2, -0.2, 0.0, 0.3])
CHOICE_CELLS = 1 << 20
"""(row, tutor) pairs `choose_tutors` scores at once: about 10,000 rows of the spec's pool of
100, so the spec's rounds are still scored whole."""


def eligibility(tutors: Tutors, subject: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """(rows, tutors) mask of who can take each session: teaches the subject and is free in the
    slot; if nobody is, anyone teaching the subject; if nobody teaches it, anyone."""
    teaches = tutors.teaches[:, subject].T
    mask = teaches & tutors.available[:, slot].T
    none_free = ~mask.any(axis=1)
    mask[none_free] = teaches[none_free]
    nobody = ~mask.any(axis=1)
    mask[nobody] = True
    return mask


def strategy_scores(
    tutors: Tutors,
    strategy: int,
    subject: np.ndarray,
    learning_style: np.ndarray,
    language: np.ndarray,
) -> np.ndarray:
    """(rows, tutors) score of each tutor under one strategy; the highest eligible one is picked.

    Cultural and style match prefer matching tutors and break ties by rating; balanced weighs
    rating, listed expertise, style and language match equally.
    """
    rating = (tutors.rating[None, :] - 1.0) / 4.0
    if strategy == BEST_RATING:
        return np.broadcast_to(rating, (len(subject), len(tutors)))
    if strategy == SUBJECT_EXPERT:
        return tutors.expertise_observed[:, subject].T + 0.01 * rating
    language_match = tutors.language[None, :] == language[:, None]
    style_match = tutors.teaching_style[None, :] == learning_style[:, None]
    if strategy == CULTURAL_MATCH:
        return language_match + rating
    if strategy == STYLE_MATCH:
        return style_match + rating
    if strategy == BALANCED:
        expertise = tutors.expertise_observed[:, subject].T
        return 0.25 * (rating + expertise + style_match + language_match)
    raise ValueError(f"unknown strategy index {strategy}; expected 0..{len(STRATEGIES) - 1}")


def choose_tutors(
    tutors: Tutors,
    strategy: np.ndarray,
    subject: np.ndarray,
    slot: np.ndarray,
    learning_style: np.ndarray,
    language: np.ndarray,
) -> np.ndarray:
    """Tutor index picked for each row by that row's strategy (ties go to the lowest index).

    Rows are scored a block at a time (`CHOICE_CELLS`): a round's every (row, tutor) score at
    once took about 5 bytes a pair, 5 GB for 10,000 learners and a pool of 100,000 tutors, which
    no memory check counted. Each row's pick depends on that row alone, so the blocks change
    nothing.
    """
    block = max(1, CHOICE_CELLS // max(len(tutors), 1))
    chosen = np.empty(len(strategy), dtype=np.int64)
    for start in range(0, len(strategy), block):
        part = np.arange(start, min(start + block, len(strategy)))
        mask = eligibility(tutors, subject[part], slot[part])
        for k in range(len(STRATEGIES)):
            hits = np.flatnonzero(strategy[part] == k)
            if hits.size:
                rows = part[hits]
                scores = strategy_scores(
                    tutors, k, subject[rows], learning_style[rows], language[rows]
                )
                chosen[rows] = np.argmax(np.where(mask[hits], scores, -np.inf), axis=1)
    return chosen


def logging_policy(age: np.ndarray, comfort: np.ndarray) -> np.ndarray:
    """(rows, 5) probabilities with which the historical platform chose each strategy.

    It leans towards style and cultural match for young, low-comfort learners, and never gives a
    strategy less than a few percent, so off-policy estimates have support everywhere.
    """
    young = np.clip((14.0 - age) / 6.0, 0.0, 1.0)
    low = 1.0 - comfort
    logits = np.broadcast_to(LOGGING_BASE_LOGITS, (len(age), len(STRATEGIES))).copy()
    logits[:, CULTURAL_MATCH] += 0.9 * low * young
    logits[:, STYLE_MATCH] += 0.9 * low
    logits[:, SUBJECT_EXPERT] += 0.5 * (1.0 - young)
    logits -= logits.max(axis=1, keepdims=True)
    probs = np.exp(logits)
    return probs / probs.sum(axis=1, keepdims=True)
