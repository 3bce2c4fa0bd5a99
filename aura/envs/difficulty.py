"""Difficulty adaptation: set the difficulty of each practice block for one learner.

Each step the policy lowers, keeps or raises the difficulty b (by `step_size` on the simulator's
logit scale, relative to grade level), then the learner works a block of `items_per_step` items.
Success per item follows the simulator's item response model, P = sigmoid(1.7 (theta - b)); the
learner's ability grows by the simulator's `learning_gain`, fastest near 84% success; engagement
follows the simulator's `engagement_logit` of the block's success (too easy bores, too hard
frustrates), smoothed over blocks because a learner's mood carries over. A learner whose
engagement falls below `disengage_threshold` quits: the episode terminates. After `max_steps`
blocks the episode is truncated (time is not in the observation, so the value of the last state is
not zero).

Reward: the block's ability gain divided by the gain of a block at 84% success with full
engagement and attention, so about 0..1 per step. It is learning itself; flow enters through the
gain's flow factor, engagement through its (0.5 + engagement) factor and through quitting.

Observation (float32 in [0, 1]): the spec's six features, see `OBSERVATION_FEATURES`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from aura.envs.learners import LearnerProfile, learner_source
from aura.envs.options import (
    MAX_EPISODE_STEPS,
    can_render,
    csv_path,
    discrete_action,
    finite,
    known_render_mode,
    no_reset_options,
    whole,
)
from aura.sim import outcomes as oc
from aura.sim.generate import PLACEMENT_ERROR
from aura.sim.rng import sigmoid
from aura.sim.vocab import DIFFICULTY_MOVES, SUBJECTS

OBSERVATION_FEATURES: tuple[str, ...] = (
    "performance_history",
    "current_difficulty",
    "struggle_indicators",
    "consistency",
    "improvement_rate",
    "engagement_level",
)
"""Observation order:

- performance_history: exponential moving average (weight `HISTORY_WEIGHT`) of block success;
- current_difficulty: (b - B_MIN) / (B_MAX - B_MIN);
- struggle_indicators: moving average of 'the block went badly' (success below 60%);
- consistency: 1 - moving average of |success - previous success|;
- improvement_rate: 0.5 + 2.5 x (change of performance_history), clipped;
- engagement_level: the learner's current engagement.
"""

DECREASE, MAINTAIN, INCREASE = 0, 1, 2
B_MIN, B_MAX = -4.0, 6.0
HISTORY_WEIGHT = 0.4
STRUGGLE_BELOW = 0.6
ENGAGEMENT_CARRY = 0.6
"""Share of the previous engagement logit that carries over to the next block."""
ENGAGEMENT_STATE_NOISE = 0.3
"""Standard deviation of the block-to-block engagement logit shock."""
FLOW_BAND = oc.FLOW_WIDTH
"""An episode is a success if the learner stays and mean success is within this of 84%."""


def _clip01(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x


class DifficultyAdaptationEnv(gym.Env):
    """One learner practising their preferred subject, block by block.

    `info` after a reset: exercise_success_rate and p_success of the diagnostic block.
    `info` after a step: exercise_success_rate of the block, p_success (the expected success),
    difficulty b, engagement, gain, disengaged; at the end also episode_success and
    mean_success_rate.

    `reset` takes no options; `render_mode="ansi"` makes `render()` describe the episode so far.
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}
    """`render_fps` only because gymnasium's checkers ask every rendering environment for one;
    text has no frame rate, and 4 is what gymnasium's own text environments declare."""

    def __init__(
        self,
        max_steps: int = 40,
        items_per_step: int = 10,
        step_size: float = 0.3,
        disengage_threshold: float = 0.4,
        learners_csv: str | Path | None = None,
        calibration_seed: int = 0,
        render_mode: str | None = None,
    ) -> None:
        self.render_mode = known_render_mode(render_mode, self.metadata["render_modes"])
        self.max_steps = whole("max_steps", max_steps, most=MAX_EPISODE_STEPS)
        self.items_per_step = whole("items_per_step", items_per_step)
        self.step_size = finite("step_size", step_size)
        if not self.step_size > 0:
            raise ValueError(f"step_size must be positive, got {step_size}")
        self.disengage_threshold = finite("disengage_threshold", disengage_threshold)
        if not 0.0 <= self.disengage_threshold < 1.0:
            raise ValueError(f"disengage_threshold must be in [0, 1), got {disengage_threshold}")
        calibration_seed = whole("calibration_seed", calibration_seed, least=0)
        self.duration = self.items_per_step / oc.ITEMS_PER_HOUR
        self.gain_scale = float(oc.learning_gain(oc.OPTIMAL_SUCCESS, 0.0, 1.0, 1.0, self.duration))
        self.learners = learner_source(
            csv_path("learners_csv", learners_csv), calibration_seed=calibration_seed
        )
        self.observation_space = spaces.Box(
            0.0, 1.0, shape=(len(OBSERVATION_FEATURES),), dtype=np.float32
        )
        self.action_space = spaces.Discrete(3)
        self.learner: LearnerProfile | None = None
        self._last_move: tuple[int, float] | None = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Draw a learner, place them at the level nearest their estimated 84% difficulty, and
        run one diagnostic block there so the first observation carries information."""
        no_reset_options(options)
        super().reset(seed=seed)
        if seed is not None:
            self.learners.clear()
        rng = self.np_random
        learner = self.learners.draw(rng)
        self.learner = learner
        self.theta = learner.theta[learner.subject_preference]
        self.attention = float(oc.attention_fit(learner.attention_span, self.duration))
        n = self.max_steps + 1
        self._item_draws = rng.random((n, self.items_per_step))
        self._shocks = (ENGAGEMENT_STATE_NOISE * rng.normal(size=n)).tolist()
        estimate = self.theta + PLACEMENT_ERROR * float(rng.normal())
        target = float(oc.target_difficulty(estimate))
        self.b = float(oc.DIFFICULTY_OFFSETS[np.abs(oc.DIFFICULTY_OFFSETS - target).argmin()])
        self.step_count = 0
        self.done = False
        self._last_move = None
        self._successes: list[float] = []
        self._draw = 0
        self.engagement_logit = float(
            oc.engagement_logit(
                self.duration, learner.attention_span, learner.comfort, 0.0, 0.0, oc.OPTIMAL_SUCCESS
            )
        )
        success, p = self._block()
        self.performance = success
        self.previous_performance = success
        self.struggle = float(success < STRUGGLE_BELOW)
        self.volatility = 0.0
        self.last_success_rate = success
        self._update_engagement(success)
        return self._observation(), {"exercise_success_rate": success, "p_success": p}

    def _block(self) -> tuple[float, float]:
        """Run one block at the current difficulty: (observed success rate, expected success)."""
        p = float(oc.success_probability(self.theta, self.b))
        draws = self._item_draws[self._draw]
        self._draw += 1
        return float(np.count_nonzero(draws < p)) / self.items_per_step, p

    def _update_engagement(self, success: float) -> None:
        learner = self.learner
        target = oc.engagement_logit(
            self.duration, learner.attention_span, learner.comfort, 0.0, 0.0, success
        )
        self.engagement_logit = (
            ENGAGEMENT_CARRY * self.engagement_logit
            + (1.0 - ENGAGEMENT_CARRY) * float(target)
            + self._shocks[self._draw - 1]
        )
        self.engagement = float(sigmoid(self.engagement_logit))

    def _observation(self) -> np.ndarray:
        return np.array(
            [
                self.performance,
                (self.b - B_MIN) / (B_MAX - B_MIN),
                self.struggle,
                1.0 - self.volatility,
                _clip01(0.5 + 2.5 * (self.performance - self.previous_performance)),
                self.engagement,
            ],
            dtype=np.float32,
        )

    def _check_started(self, call: str) -> None:
        """Before the first `reset()` there is no learner and no difficulty to read: an
        AttributeError on `theta` or `b` named neither the call nor its fix."""
        if self.learner is None:
            raise RuntimeError(f"call reset() before {call}")

    def oracle_action(self) -> int:
        """The action that puts b nearest the learner's true 84%-success difficulty."""
        self._check_started("oracle_action()")
        target = float(oc.target_difficulty(self.theta))
        actions = (DECREASE, MAINTAIN, INCREASE)
        moves = [abs(self.difficulty_after(a) - target) for a in actions]
        return int(min(range(3), key=moves.__getitem__))

    def difficulty_after(self, action: int) -> float:
        """The difficulty the next block would have after `action` (kept within B_MIN..B_MAX)."""
        self._check_started("difficulty_after()")
        return min(B_MAX, max(B_MIN, self.b + (action - 1) * self.step_size))

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        self._check_started("step()")
        a = discrete_action(action, 3, "0 (decrease), 1 (maintain) or 2 (increase)")
        if self.done:
            raise RuntimeError("episode is over; call reset()")
        self.b = self.difficulty_after(a)
        success, p = self._block()
        self._update_engagement(success)
        gain = float(oc.learning_gain(p, 0.0, self.attention, self.engagement, self.duration))
        self.theta += gain
        w = HISTORY_WEIGHT
        self.previous_performance = self.performance
        self.performance = (1.0 - w) * self.performance + w * success
        self.struggle = (1.0 - w) * self.struggle + w * float(success < STRUGGLE_BELOW)
        change = abs(success - self.last_success_rate)
        self.volatility = (1.0 - w) * self.volatility + w * change
        self.last_success_rate = success
        self.step_count += 1
        self._successes.append(success)

        # Quitting is judged after a block the policy chose; the diagnostic block alone never
        # ends an episode.
        disengaged = self.engagement < self.disengage_threshold
        truncated = not disengaged and self.step_count >= self.max_steps
        self.done = disengaged or truncated
        info: dict[str, Any] = {
            "exercise_success_rate": success,
            "p_success": p,
            "difficulty": self.b,
            "engagement": self.engagement,
            "gain": gain,
            "disengaged": disengaged,
        }
        if disengaged or truncated:
            mean_success = sum(self._successes) / len(self._successes)
            info["mean_success_rate"] = mean_success
            info["episode_success"] = (not disengaged) and math.fabs(
                mean_success - oc.OPTIMAL_SUCCESS
            ) <= FLOW_BAND
        reward = gain / self.gain_scale
        self._last_move = (a, reward)
        return self._observation(), reward, disengaged, truncated, info

    def render(self) -> str | None:
        """The episode so far as a few lines of text (``render_mode="ansi"``). It reads the state
        and draws nothing, so rendering an episode never changes it."""
        if not can_render(self.render_mode, self.learner):
            return None
        learner = self.learner
        if not self.done:
            status = ""
        elif self.engagement < self.disengage_threshold:
            status = "; over, the learner quit"
        else:
            status = "; over, max_steps reached"
        lines = [
            f"difficulty adaptation: {self.step_count} of {self.max_steps} blocks done, "
            f"{SUBJECTS[learner.subject_preference]}{status}",
            f"learner: age {learner.age}, grade {learner.grade_level}; ability {self.theta:+.2f} "
            f"(hidden)",
            f"difficulty {self.b:+.2f}, last block's success {self.last_success_rate:.2f}, "
            f"engagement {self.engagement:.2f}",
        ]
        if self._last_move is None:
            lines.append("last move: none yet (the diagnostic block)")
        else:
            a, reward = self._last_move
            lines.append(f"last move: {DIFFICULTY_MOVES[a]}, reward {reward:.3f}")
        return "\n".join(lines)
