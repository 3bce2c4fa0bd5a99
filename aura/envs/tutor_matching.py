"""Tutor matching: choose a matching strategy for each of one learner's sessions.

Each action is one of the spec's five strategies; the strategy picks a concrete tutor from the
pool (who teaches the episode's subject and is free at the learner's preferred time, exactly as
`aura.sim.matching.choose_tutors` picks tutors for the logged sessions), and the simulator runs
the session. The episode is one learner's course of `episode_length` sessions in their preferred
subject; the learner's ability and online comfort move after every session as in the simulator.

Reward: the weighted sum of the simulated session's `learning_outcome_score` and
`engagement_score` (weights by column name in `reward_weights`), by default 0.7 / 0.3. Learning is
what tutoring is for, and engagement is already a cause of it (it scales the ability gain); under
an even split the engagement term, which mostly rewards style and language match, makes the
'balanced' strategy nearly as good as knowing the learner, so there would be little for a policy
to learn (notebook 02 shows the numbers).

Tutor pool: drawn from the simulator's tutor population with `pool_seed`, or read from a tutors
CSV. The policy sees the learner, never the pool, and a policy trained on one pool learns which
strategy's tutor happens to be strong *there* (notebook 05 scores the grid's policies on other
pools). With `n_pools` > 1 every episode draws one of `n_pools` pools (seeds `pool_seed`,
`pool_seed + 1`, ...), so that only what holds across pools pays. The pools are held as one
(`pooled`), so a tutor's index names it across them and every state's tutors stay comparable.

Episode end: after `episode_length` sessions the episode is `terminated`, not truncated. The
observation's session_count is the share of the course done, so the policy sees the time left and
the last state is a true end of the process it observes, worth nothing after it (difficulty
adaptation, whose observation holds no time, is truncated at `max_steps` instead).

Observation (float32 in [0, 1]): the spec's eight features, see `OBSERVATION_FEATURES`. Learning
progress is the learner's mastery of grade-level material in the episode's subject,
P(success at difficulty 0) = sigmoid(1.7 theta): it tracks the hidden ability, which decides how
much a subject expert is worth. With `tutor_features` the observation also shows, for each
strategy in turn, what a platform knows of the tutor that strategy picks for this learner
(`TUTOR_FEATURES`): the observed side of each term of the hidden fit (`aura.sim.outcomes.pair_fit`).
A policy can then compare the strategies' tutors in whatever pool it meets, which the learner's
features alone never tell it. The served policy keeps the eight: the export's manifest describes
them, and `aura export` refuses a policy whose observation differs (docs/rl.md, Other tutor pools).
"""

from __future__ import annotations

import math
import sys
from bisect import bisect
from collections.abc import Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from aura.envs.learners import LearnerProfile, learner_source, pooled, tutor_pool
from aura.envs.options import (
    MAX_EPISODE_STEPS,
    can_render,
    csv_path,
    discrete_action,
    finite,
    flag,
    known_render_mode,
    no_reset_options,
    whole,
)
from aura.sim import outcomes as oc
from aura.sim.generate import DURATION_PROBS, DURATIONS, PLACEMENT_ERROR
from aura.sim.matching import choose_tutors
from aura.sim.rng import categorical, sigmoid
from aura.sim.session import SessionContext, expected_session_scores
from aura.sim.vocab import LANGUAGES, LEARNING_STYLES, STRATEGIES, SUBJECTS, TIME_SLOTS

OBSERVATION_FEATURES: tuple[str, ...] = (
    "age",
    "grade_level",
    "comfort_level",
    "session_count",
    "learning_progress",
    "subject_preference",
    "learning_style",
    "time_preference",
)
"""Observation order. Scaling: (age - 8) / 10, (grade - 1) / 11, comfort as is, sessions done /
episode_length, sigmoid(1.7 theta_subject), and category index / (categories - 1)."""

TUTOR_FEATURES: tuple[str, ...] = (
    "rating",
    "subject_expertise",
    "communication_rating",
    "style_match",
    "language_match",
)
"""What `tutor_features` adds per strategy, in `STRATEGIES` order: the picked tutor's public
rating and communication rating, (r - 1) / 4 on their 1-5 scales, observed expertise in the
episode's subject, and whether the tutor's teaching style and language match the learner's."""

CATEGORICAL_FEATURES: dict[int, int] = {
    OBSERVATION_FEATURES.index("subject_preference"): len(SUBJECTS),
    OBSERVATION_FEATURES.index("learning_style"): len(LEARNING_STYLES),
    OBSERVATION_FEATURES.index("time_preference"): len(TIME_SLOTS),
}
"""Observation positions that hold a category index (scaled to [0, 1]) and how many categories
each has: what a policy may expand to one-hot columns (`aura.rl.features`)."""

DEFAULT_REWARD_WEIGHTS: dict[str, float] = dict(oc.REWARD_WEIGHTS)
DEFAULT_SUCCESS_THRESHOLD = 0.8
"""An episode is a success when its mean session reward reaches this."""
DEFAULT_N_TUTORS = 100
"""Tutors in a simulated pool (drawn with `pool_seed`, 0 by default)."""
MIN_POOL_TUTORS = 2
"""The fewest tutors a pool may hold: with one, every strategy picks the same tutor, so the
oracle is the random policy and no score can be normalised (nor any policy learned)."""

_LEVEL_CUTS = tuple(
    0.5 * (lo + hi)
    for lo, hi in zip(oc.DIFFICULTY_OFFSETS[:-1], oc.DIFFICULTY_OFFSETS[1:], strict=True)
)
_LEVEL_B = tuple(float(b) for b in oc.DIFFICULTY_OFFSETS)
_MAX_ITEMS = int(np.rint(oc.ITEMS_PER_HOUR * DURATIONS.max()))


def observation_features(tutor_features: bool = False) -> tuple[str, ...]:
    """Names of the observation's columns, in order: the eight, then with `tutor_features`
    ``{strategy}.{feature}`` for each strategy and each of `TUTOR_FEATURES`."""
    extra = tuple(f"{s}.{f}" for s in STRATEGIES for f in TUTOR_FEATURES) if tutor_features else ()
    return OBSERVATION_FEATURES + extra


def session_level(estimate: float) -> int:
    """Level the platform sets for a session: the one nearest the 84%-success difficulty of its
    ability estimate (as the logged platform does in `aura.sim.generate`)."""
    return bisect(_LEVEL_CUTS, float(oc.target_difficulty(estimate)))


def strategy_index(action: Any) -> int:
    """The strategy an action names, checked as `aura.envs.options.discrete_action` checks it (an
    integer 0..4, or an integer array of shape () or (1,)): the reward variants index their
    expected rewards with it too."""
    return discrete_action(action, len(STRATEGIES), f"a strategy index 0..{len(STRATEGIES) - 1}")


def _refuse_simulated_pool_options(*, n_tutors: Any, pool_seed: Any, n_pools: int) -> None:
    """A tutors CSV is the pool itself, so the options that draw a simulated pool are refused
    beside it rather than ignored (`n_tutors=20` beside a CSV of 100 tutors ran on the 100)."""
    given = [
        name
        for name, value in (("n_tutors", n_tutors), ("pool_seed", pool_seed))
        if value is not None
    ]
    if n_pools > 1:
        given.append("n_pools")
    if given:
        raise ValueError(
            f"{' and '.join(given)} {'draws' if len(given) == 1 else 'draw'} a simulated tutor "
            "pool; a tutors_csv is one pool, read as it is: give one or the other"
        )


RETURN_LIMIT = math.sqrt(sys.float_info.max) / 1e6
"""The largest episode return the weights may allow: the squares of returns, summed over a
million of them (the losses of training, the fits of the references), stay finite."""


def _reward_weights(given: Any, episode_length: int) -> dict[str, float]:
    """The session outcomes' weights in the reward: finite, non-negative, for exactly the
    outcomes of DEFAULT_REWARD_WEIGHTS (a NaN weight made every reward NaN), and not all zero:
    every reward would be 0, the oracle no better than random, and the grid would train every
    run before its scoring found no scale to score on. Their sum is bounded too, so that no
    episode of ``episode_length`` sessions (each outcome at most 1) returns more than
    `RETURN_LIMIT`: weights of 1e308 made rewards infinite, and the grid stopped in the fit of
    its references on NaN."""
    weights = DEFAULT_REWARD_WEIGHTS if given is None else given
    if (
        not isinstance(weights, Mapping)
        or set(weights) != set(DEFAULT_REWARD_WEIGHTS)
        or not all(finite(f"reward_weights.{k}", v) >= 0 for k, v in weights.items())
    ):
        raise ValueError(
            f"reward_weights must give non-negative weights for exactly "
            f"{sorted(DEFAULT_REWARD_WEIGHTS)}, got {given}"
        )
    if not any(weights.values()):
        raise ValueError(
            f"reward_weights must give at least one outcome a positive weight, got {given}: "
            "with every weight 0 every reward is 0 and no policy can be told from another"
        )
    total = sum(float(v) for v in weights.values())
    largest = total * episode_length
    if not largest <= RETURN_LIMIT:
        raise ValueError(
            f"reward_weights sum to {total:g}, so an episode of "
            f"{episode_length} sessions could return {largest:g}, above {RETURN_LIMIT:.3g}, "
            "whose squares overflow in training and in the references' fits: scale them down "
            "(the normalised scores depend on their ratio alone)"
        )
    return {k: float(v) for k, v in weights.items()}


class TutorMatchingEnv(gym.Env):
    """One learner's course of sessions; each step picks a strategy and runs a session.

    `info` after a reset: tutor_ids_by_strategy, the tutor each strategy picks for this learner.
    `info` after a step: strategy, tutor_id (the tutors CSV's own; a simulated pool's tutors
    are 1..n_tutors, and `n_pools` pools are numbered on, pool after pool) and the session's
    engagement_score, learning_outcome_score, exercise_success_rate, completed and ability gain;
    after the last step also episode_success (mean session reward >= success_threshold).

    `reset` takes no options; `render_mode="ansi"` makes `render()` describe the episode so far.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}
    """`render_fps` only because gymnasium's checkers ask every rendering environment for one;
    text has no frame rate, and 4 is what gymnasium's own text environments declare."""
    categorical_features = CATEGORICAL_FEATURES

    def __init__(
        self,
        episode_length: int = 12,
        n_tutors: int | None = None,
        pool_seed: int | None = None,
        n_pools: int = 1,
        tutor_features: bool = False,
        tutors_csv: str | Path | None = None,
        learners_csv: str | Path | None = None,
        reward_weights: dict[str, float] | None = None,
        success_threshold: float = DEFAULT_SUCCESS_THRESHOLD,
        calibration_seed: int = 0,
        render_mode: str | None = None,
    ) -> None:
        self.render_mode = known_render_mode(render_mode, self.metadata["render_modes"])
        self.episode_length = whole("episode_length", episode_length, most=MAX_EPISODE_STEPS)
        self.reward_weights = _reward_weights(reward_weights, self.episode_length)
        self.success_threshold = finite("success_threshold", success_threshold)
        n_pools = whole("n_pools", n_pools)
        calibration_seed = whole("calibration_seed", calibration_seed, least=0)
        self.tutor_features = flag("tutor_features", tutor_features)
        tutors_csv = csv_path("tutors_csv", tutors_csv)
        learners_csv = csv_path("learners_csv", learners_csv)
        if tutors_csv is not None:
            _refuse_simulated_pool_options(n_tutors=n_tutors, pool_seed=pool_seed, n_pools=n_pools)
        n_tutors = whole("n_tutors", DEFAULT_N_TUTORS if n_tutors is None else n_tutors)
        pool_seed = whole("pool_seed", 0 if pool_seed is None else pool_seed, least=0)
        pools = [
            tutor_pool(tutors_csv, n_tutors=n_tutors, pool_seed=pool_seed + k)
            for k in range(n_pools)
        ]
        for k, (pool, _) in enumerate(pools):
            if len(pool) < MIN_POOL_TUTORS:
                source = tutors_csv or f"n_tutors={n_tutors}, pool_seed={pool_seed + k}"
                raise ValueError(
                    f"the tutor pool of {source} holds {len(pool)} tutor(s): with fewer than "
                    f"{MIN_POOL_TUTORS} every strategy picks the same tutor, so the oracle is "
                    "the random policy and there is nothing to learn"
                )
        self._pools = [pool for pool, _ in pools]
        self._pool_starts = np.cumsum([0] + [len(p) for p in self._pools[:-1]]).tolist()
        self.tutors = self._pools[0] if n_pools == 1 else pooled(self._pools)
        # what info names a tutor by: a CSV's own ids; pooled pools number their tutors on
        self.tutor_ids = pools[0][1] if n_pools == 1 else np.arange(1, len(self.tutors) + 1)
        self.pool_index = 0
        self.learners = learner_source(learners_csv, calibration_seed=calibration_seed)
        self.observation_space = spaces.Box(
            0.0, 1.0, shape=(len(observation_features(tutor_features)),), dtype=np.float32
        )
        self.action_space = spaces.Discrete(len(STRATEGIES))
        self._w_outcome = self.reward_weights["learning_outcome_score"]
        self._w_engagement = self.reward_weights["engagement_score"]
        self.learner: LearnerProfile | None = None
        self._last_action: int | None = None
        self._tutor_cache: dict[tuple[int, int, int, int, int], np.ndarray] = {}

    # -- episode set-up -------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        no_reset_options(options)
        super().reset(seed=seed)
        if seed is not None:
            self.learners.clear()
        rng = self.np_random
        learner = self.learners.draw(rng)
        self.learner = learner
        if len(self._pools) > 1:  # one pool keeps the single-pool episodes' draws as they were
            self.pool_index = int(rng.integers(len(self._pools)))
        self.subject = learner.subject_preference
        self.slot = learner.time_preference
        self.theta = learner.theta[self.subject]
        self.comfort = learner.comfort
        self.step_count = 0
        self._rewards: list[float] = []
        self._last_action = None

        self.strategy_tutors = self._tutors_for(
            self.subject, self.slot, learner.learning_style, learner.language
        )
        t = self.tutors
        idx = self.strategy_tutors
        self._pair = [
            (
                float(t.quality[i]),
                float(t.expertise[i, self.subject]),
                float(t.communication[i]),
                float(t.teaching_style[i] == learner.learning_style),
                float(t.language[i] == learner.language),
            )
            for i in idx
        ]
        n = self.episode_length
        self._placement_noise = (PLACEMENT_ERROR * rng.normal(size=n)).tolist()
        self._durations = DURATIONS[categorical(rng, DURATION_PROBS, n)].tolist()
        self._item_draws = rng.random((n, _MAX_ITEMS))
        self._noise = rng.normal(size=(n, 2)).tolist()
        self._completion_draws = rng.random(n).tolist()
        self._static = np.array(
            [
                (learner.age - 8) / 10.0,
                (learner.grade_level - 1) / 11.0,
                0.0,
                0.0,
                0.0,
                self.subject / (len(SUBJECTS) - 1),
                learner.learning_style / (len(LEARNING_STYLES) - 1),
                self.slot / (len(TIME_SLOTS) - 1),
            ],
            dtype=np.float32,
        )
        if self.tutor_features:
            self._static = np.concatenate([self._static, self._observed_tutors(learner)])
        return self._observation(), {"tutor_ids_by_strategy": self.tutor_ids[idx].tolist()}

    def _observed_tutors(self, learner: LearnerProfile) -> np.ndarray:
        """`TUTOR_FEATURES` of each strategy's tutor for this learner, strategies in order."""
        t, idx = self.tutors, self.strategy_tutors
        columns = (
            (t.rating[idx] - 1.0) / 4.0,
            t.expertise_observed[idx, self.subject],
            (t.communication_rating[idx] - 1.0) / 4.0,
            t.teaching_style[idx] == learner.learning_style,
            t.language[idx] == learner.language,
        )
        return np.column_stack(columns).astype(np.float32).ravel()

    def _tutors_for(self, subject: int, slot: int, style: int, language: int) -> np.ndarray:
        """The tutor each strategy picks for this kind of learner in the episode's pool, as an
        index into `tutors` (cached: the pools are fixed)."""
        key = (self.pool_index, subject, slot, style, language)
        if key not in self._tutor_cache:
            five = np.ones(len(STRATEGIES), dtype=np.int64)
            picks = choose_tutors(
                self._pools[self.pool_index],
                np.arange(len(STRATEGIES)),
                five * subject,
                five * slot,
                five * style,
                five * language,
            )
            self._tutor_cache[key] = picks + self._pool_starts[self.pool_index]
        return self._tutor_cache[key]

    def _observation(self) -> np.ndarray:
        obs = self._static.copy()
        obs[2] = self.comfort
        obs[3] = self.step_count / self.episode_length
        obs[4] = oc.success_probability(self.theta, 0.0)
        return obs

    # -- what the oracle reads ------------------------------------------------------------------

    def upcoming_session(self) -> tuple[int, float]:
        """(level index, duration in hours) of the next session: hidden from the policy."""
        self._check_in_episode("upcoming_session()")  # past the end: none (an IndexError)
        k = self.step_count
        return session_level(self.theta + self._placement_noise[k]), self._durations[k]

    def upcoming_context(self) -> SessionContext:
        """The next session as each strategy would run it: one row per strategy, for
        `expected_session_scores` with `strategy_tutors` (hidden from the policy)."""
        self._check_in_episode("upcoming_context()")
        level, duration = self.upcoming_session()
        learner = self.learner
        m = len(STRATEGIES)
        return SessionContext(
            theta=np.full(m, self.theta),
            age=np.full(m, learner.age),
            comfort=np.full(m, self.comfort),
            attention_span=np.full(m, learner.attention_span),
            learning_style=np.full(m, learner.learning_style),
            language=np.full(m, learner.language),
            subject=np.full(m, self.subject),
            level=np.full(m, level),
            duration_hours=np.full(m, duration),
        )

    def expected_rewards(self) -> np.ndarray:
        """Expected reward of each strategy for the next session, from the hidden state."""
        self._check_in_episode("expected_rewards()")
        engagement, outcome = expected_session_scores(
            self.upcoming_context(), self.tutors, self.strategy_tutors
        )
        return self._w_outcome * outcome + self._w_engagement * engagement

    def expected_rewards_at(
        self, contexts: Sequence[SessionContext], strategy_tutors: Sequence[np.ndarray]
    ) -> np.ndarray:
        """(states, strategies) expected rewards of many states saved with `upcoming_context`
        and `strategy_tutors`, computed together: each row equals what `expected_rewards` gave
        at its state, bit for bit, without a quadrature call per state.

        The quadrature sums over the possible numbers of exercises solved, and how many there
        are follows the session's length; states are grouped by length so that every row sums
        over the same terms as it would alone.
        """
        if not contexts:
            return np.empty((0, len(STRATEGIES)))
        ctx = {
            f.name: np.concatenate([getattr(c, f.name) for c in contexts])
            for f in fields(SessionContext)
        }
        tutors = np.concatenate(strategy_tutors)
        rewards = np.empty(len(tutors))
        for duration in np.unique(ctx["duration_hours"]):
            rows = np.flatnonzero(ctx["duration_hours"] == duration)
            group = SessionContext(**{name: values[rows] for name, values in ctx.items()})
            engagement, outcome = expected_session_scores(group, self.tutors, tutors[rows])
            rewards[rows] = self._w_outcome * outcome + self._w_engagement * engagement
        return rewards.reshape(len(contexts), len(STRATEGIES))

    # -- one session ----------------------------------------------------------------------------

    def _check_in_episode(self, call: str) -> None:
        """Refuse ``call`` outside an episode, naming it: the readers of the hidden state said
        "call reset() before step()" of a call that was no step."""
        if self.learner is None:
            raise RuntimeError(f"call reset() before {call}")
        if self.step_count >= self.episode_length:
            raise RuntimeError("episode is over; call reset()")

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        self._check_in_episode("step()")
        a = strategy_index(action)
        k = self.step_count
        learner = self.learner
        theta, comfort = self.theta, self.comfort
        quality, expertise, communication, style_match, language_match = self._pair[a]
        duration = self._durations[k]

        b = _LEVEL_B[session_level(theta + self._placement_noise[k])]
        p = float(oc.success_probability(theta, b))
        n_items = max(1, round(oc.ITEMS_PER_HOUR * duration))
        success = float(np.count_nonzero(self._item_draws[k, :n_items] < p)) / n_items
        w_style, w_language = oc.match_weights(learner.age, comfort)
        fit = oc.pair_fit(
            quality,
            expertise,
            communication,
            style_match,
            language_match,
            w_style,
            w_language,
            oc.expert_weight(theta),
        )
        e_logit = oc.engagement_logit(
            duration, learner.attention_span, comfort, style_match, language_match, success
        )
        noise_e, noise_o = self._noise[k]
        engagement = float(sigmoid(e_logit + oc.ENGAGEMENT_NOISE * noise_e))
        attention = oc.attention_fit(learner.attention_span, duration)
        gain = float(oc.learning_gain(p, fit, attention, engagement, duration))
        o_logit = oc.outcome_logit(theta + gain, b, fit)
        outcome = float(sigmoid(o_logit + oc.OUTCOME_NOISE * noise_o))
        completed = self._completion_draws[k] < oc.completion_probability(engagement)
        reward = self._w_outcome * outcome + self._w_engagement * engagement

        self.theta = theta + gain
        self.comfort = float(oc.comfort_after_session(comfort, engagement))
        self.step_count = k + 1
        self._rewards.append(reward)
        self._last_action = a
        terminated = self.step_count == self.episode_length
        info: dict[str, Any] = {
            "strategy": STRATEGIES[a],
            "tutor_id": int(self.tutor_ids[self.strategy_tutors[a]]),
            "engagement_score": engagement,
            "learning_outcome_score": outcome,
            "exercise_success_rate": success,
            "completed": bool(completed),
            "gain": gain,
        }
        if terminated:
            info["episode_success"] = (
                sum(self._rewards) / len(self._rewards) >= self.success_threshold
            )
        return self._observation(), reward, terminated, False, info

    def render(self) -> str | None:
        """The episode so far as a few lines of text (``render_mode="ansi"``). It reads the state
        and draws nothing, so rendering an episode never changes it."""
        if not can_render(self.render_mode, self.learner):
            return None
        learner = self.learner
        progress = float(oc.success_probability(self.theta, 0.0))
        lines = [
            f"tutor matching: {self.step_count} of {self.episode_length} sessions done, "
            f"{SUBJECTS[self.subject]}",
            f"learner: age {learner.age}, grade {learner.grade_level}, "
            f"{LEARNING_STYLES[learner.learning_style]}, {LANGUAGES[learner.language]}, "
            f"{TIME_SLOTS[self.slot]}; comfort {self.comfort:.2f}, progress {progress:.2f} "
            f"(ability {self.theta:+.2f}, hidden)",
        ]
        if self._last_action is None:
            lines.append("last session: none yet")
        else:
            a = self._last_action
            tutor = int(self.tutor_ids[self.strategy_tutors[a]])
            mean = sum(self._rewards) / len(self._rewards)
            lines.append(
                f"last session: {STRATEGIES[a]}, tutor {tutor}, reward {self._rewards[-1]:.3f} "
                f"(mean {mean:.3f})"
            )
        return "\n".join(lines)
