"""The 95% intervals of normalised scores, over training seeds and held-out episodes.

Every policy is reported as a normalised score, (R - R_random) / (R_oracle - R_random): 0 is
the random policy, 1 the oracle that reads the simulator's hidden state. All policies and all
references of an environment are scored on the same seeded held-out episodes, so differences
between them are not differences of luck in the episodes drawn.

A result's 95% interval covers both things that could have come out otherwise: the training seeds
(a Student-t interval over them; three seeds are few, and the t interval is honest about it) and
the held-out episodes themselves (a bootstrap over episodes, resampled together for the policy,
random and the oracle). The two sources are independent, so their half-widths add in quadrature.
A fixed set of 200 episodes moves a tutor-matching score by a few hundredths from one set to the
next, more than the seeds do; an interval over the seeds alone would hide that. "Beats the hand
rule" is judged on the policy's lead over the rule on the same episodes, with the same two sources
in its interval.

With one seed the seeds' spread cannot be measured, and the t interval over them is infinitely
wide. The held-out episodes still say how far another draw of them could move that one policy's
score, so a one-seed result's interval is the episodes' alone (`EPISODES_ONLY`, written as
``covers`` beside it): it leaves out the seed-to-seed variation, which a second seed would show.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from aura.envs.evaluation import normalised_score, require_scale
from aura.rl.config.experiment import ExperimentConfig

SEEDS_AND_EPISODES = "seeds and episodes"
"""What a learned policy's 95% interval covers with two seeds or more (`with_episode_error`)."""
EPISODES_ONLY = "episodes only (one seed)"
"""What it covers with one seed: the draw of held-out episodes, not seed-to-seed variation."""
EPISODES = "episodes"
"""What a reference's interval covers: a reference has no seeds to vary."""


@dataclass(frozen=True)
class Interval:
    """A mean over seeds with its two-sided confidence interval."""

    mean: float
    low: float
    high: float
    n: int
    covers: str | None = None
    """`EPISODES_ONLY` where one seed left the interval the episodes' alone; None where it covers
    what its name says (a score's: seeds and episodes; a t interval's: seeds)."""

    def to_dict(self) -> dict[str, float | int | str]:
        """The interval as results files hold it; ``covers`` only where it is set, so a grid of
        several seeds writes the same file as before one-seed intervals were finite."""
        out: dict[str, float | int | str] = {
            "mean": self.mean,
            "low": self.low,
            "high": self.high,
            "n": self.n,
        }
        if self.covers is not None:
            out["covers"] = self.covers
        return out


def interval_covers(interval: Interval | Mapping[str, Any]) -> str:
    """What a learned policy's interval covers, as an `Interval` or as results files hold it
    (`Interval.to_dict`), in words for a table or a line of output: `EPISODES_ONLY` or
    `SEEDS_AND_EPISODES`."""
    covers = interval.covers if isinstance(interval, Interval) else interval.get("covers")
    return covers or SEEDS_AND_EPISODES


ONE_SEED_NOTE = (
    "one seed: each 95% interval of a learned policy covers the draw of held-out episodes only, "
    "not seed-to-seed variation, which one seed cannot measure (train two seeds or more for it)"
)
"""Said wherever one-seed intervals are shown, beside them."""


def t_interval(values: Sequence[float], confidence: float = 0.95) -> Interval:
    """Mean and Student-t confidence interval; a single value gets an infinitely wide one."""
    from scipy import stats

    x = np.asarray(values, dtype=float)
    if x.size == 0:
        raise ValueError("t_interval needs at least one value")
    mean = float(x.mean())
    if x.size == 1:
        return Interval(mean, -math.inf, math.inf, 1)
    half = float(stats.t.ppf(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / np.sqrt(x.size))
    return Interval(mean, mean - half, mean + half, int(x.size))


EPISODE_DRAWS = 2000
"""Bootstrap resamples of the held-out episodes behind every episode-sampling interval."""
Z95 = 1.959963984540054
"""Two-sided 95% quantile of the standard normal (the bootstrap half-width is Z95 x its SE)."""


def with_episode_error(seeds: Interval, episode_se: float) -> Interval:
    """The seeds' t interval widened by the episodes' sampling error: half-widths in quadrature.

    One seed has no spread to measure (its t interval is infinitely wide), yet the episodes'
    error of that one policy is known: its interval is that alone, marked `EPISODES_ONLY`, rather
    than an infinite one that says nothing of the episodes either."""
    if seeds.n == 1:
        half = Z95 * episode_se
        return Interval(seeds.mean, seeds.mean - half, seeds.mean + half, 1, EPISODES_ONLY)
    half = math.hypot(seeds.mean - seeds.low, Z95 * episode_se)
    return Interval(seeds.mean, seeds.mean - half, seeds.mean + half, seeds.n)


def episode_draws(n_episodes: int, seed: int, n_draws: int = EPISODE_DRAWS) -> np.ndarray:
    """(n_draws, n_episodes) episode indices drawn with replacement, seeded: one draw is used for
    every policy of an environment, so their resampled scores stay paired."""
    return np.random.default_rng(seed).integers(n_episodes, size=(n_draws, n_episodes))


def resampled_scores(
    returns: Sequence[float], random: Sequence[float], oracle: Sequence[float], draws: np.ndarray
) -> np.ndarray:
    """The normalised score of per-episode ``returns`` on every resample of the episodes."""
    x, r, o = (np.asarray(v, dtype=float) for v in (returns, random, oracle))
    if not x.shape == r.shape == o.shape == (draws.shape[1],):
        raise ValueError(
            f"per-episode returns must all have {draws.shape[1]} episodes, "
            f"got {x.shape}, {r.shape} and {o.shape}"
        )
    # A NaN would make every interval NaN (null in results.json) and every lead "not ahead".
    for whose, values in (("the policy's", x), ("random's", r), ("the oracle's", o)):
        bad = np.flatnonzero(~np.isfinite(values))
        if bad.size:
            raise ValueError(
                f"per-episode returns must be finite numbers: {whose} return of episode "
                f"{bad[0]} is {values[bad[0]]}"
            )
    lo, width = resampled_scale(r, o, draws)
    return (x[draws].mean(axis=1) - lo) / width


def resampled_scale(
    random: np.ndarray, oracle: np.ndarray, draws: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Random's mean return and the scale's width (the oracle's mean less random's) on every
    resample of the episodes, refused where one has no width: a score divided by it would be
    infinite or change sign, and the interval would hold it without a word. Among a few
    episodes, one on which the oracle happened to do worse than random can be drawn every time
    (two tutor-matching episodes at smoke scale: a quarter of the resamples)."""
    require_scale(random.mean(), oracle.mean())
    lo = random[draws].mean(axis=1)
    width = oracle[draws].mean(axis=1) - lo
    flat = np.count_nonzero(~(width > 0))
    if flat:
        raise ValueError(
            f"on {flat} of {len(width)} resamples of the {draws.shape[1]} episodes the oracle's "
            "mean return does not exceed random's, so no score on them can be normalised"
        )
    return lo, width


def episode_resampler(
    cfg: ExperimentConfig, references: Mapping[str, Any]
) -> Callable[[Sequence[float]], np.ndarray]:
    """Per-episode returns -> their normalised score on every resample of an environment's
    held-out episodes, by the random and oracle returns of ``references`` (``references()``).
    The draws are seeded from the grid's seed alone, so every policy scored on the same episodes,
    in the grid or in a later study, is resampled alike and their differences stay paired."""
    episodes = references["episode_returns"]
    return resampler(episodes["random"], episodes["oracle"], cfg.base_seed)


def resampler(
    random: Sequence[float], oracle: Sequence[float], base_seed: int
) -> Callable[[Sequence[float]], np.ndarray]:
    """Per-episode returns -> their normalised score on every resample of the episodes, by the
    random and oracle returns on the same episodes, with the draws seeded from ``base_seed``
    (`episode_resampler` for a grid's own references)."""
    return partial(
        resampled_scores,
        random=random,
        oracle=oracle,
        draws=episode_draws(len(random), base_seed),
    )


@dataclass(frozen=True)
class SeedScores:
    """One policy's seeds scored on the held-out episodes."""

    per_seed: list[float]
    """Normalised score of each seed."""
    seeds: Interval
    """Student-t interval over the seeds alone."""
    episode_se: float
    """Bootstrap standard error of the seeds' mean from the draw of episodes."""
    interval: Interval
    """The interval over seeds and episodes (half-widths in quadrature); with one seed, over the
    episodes alone (`with_episode_error`)."""
    draws: np.ndarray = field(repr=False)
    """The seeds' mean normalised score on every resample of the episodes."""


def seed_scores(
    test_returns: Sequence[Sequence[float]],
    random: float,
    oracle: float,
    resampled: Callable[[np.ndarray], np.ndarray],
) -> SeedScores:
    """Score per-seed held-out returns: ``resampled`` maps per-episode returns to their
    normalised score on every resample of the episodes (``resampled_scores`` with the
    environment's random and oracle returns and draws bound)."""
    draws = resampled(np.mean(test_returns, axis=0))  # first: it refuses returns not finite
    scores = [float(normalised_score(np.mean(r), random, oracle)) for r in test_returns]
    seeds = t_interval(scores)
    episode_se = float(draws.std(ddof=1))
    return SeedScores(scores, seeds, episode_se, with_episode_error(seeds, episode_se), draws)


def paired_lead(
    scored: SeedScores, other_per_seed: Sequence[float], other_draws: np.ndarray
) -> Interval:
    """A policy's lead over another on the same episodes: the t interval of the per-seed
    differences (seed k against seed k, or against a reference repeated) widened by the
    episodes' error of the difference of the means (with one seed, that error alone)."""
    diffs = [a - b for a, b in zip(scored.per_seed, other_per_seed, strict=True)]
    return with_episode_error(t_interval(diffs), float((scored.draws - other_draws).std(ddof=1)))
