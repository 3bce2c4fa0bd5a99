"""Upper references: policies that know more than a trained agent can learn, to show how high the
agent could go on the same observation.

The oracle reads the hidden state, so a normalised score of 1 is out of reach by construction.
These two references stand between the best hand rule and the oracle:

- `ObservationCeiling` (tutor matching) sees only the spec's eight observed features, but learned
  from the simulator itself what every strategy is worth: gradient boosting fitted to the *exact*
  expected reward of each strategy over many states, with no reward noise and no exploration
  cost. A policy trained from noisy rewards on the same observation can approach it but is not
  expected to pass it; the language the oracle sees is not in the observation.
- `DifficultyFilter` (difficulty adaptation) never reads the learner's ability either. It keeps a
  Bayesian posterior over the ability on a grid, updated after every block with the simulator's
  own item-response and learning models from the block's success, the difficulty, the
  engagement and the learner's attention span (all of which a platform observes), and picks the
  move with the largest expected learning gain. It shows what memory of the whole history and a
  known model are worth over a memoryless policy of the six observed features.

A third reference asks what the training budget itself allows:

- `ExperienceReference` (tutor matching) is the observation ceiling's learner given only what an
  agent trained for ``n_steps`` steps could have seen: the *realised*, noisy rewards of
  ``n_steps`` sessions run with uniformly random strategies. It is not an upper bound (an agent
  that explores adaptively can spend its sessions where strategies are close), but it shows how
  far a budget of noisy rewards goes with an unhurried regression learner. It is defined for
  tutor matching only: there the oracle is greedy per session, so one session's reward is the
  whole question; on difficulty adaptation a move's worth unfolds over the episode.

And one asks what memory is worth on difficulty adaptation:

- `FilterClone` (made by `clone_filter`) is the filter taught to a memoryless policy of the six
  observed features by DAgger (Ross, Gordon and Bagnell, 2011): every observation it meets is
  labelled with the move the filter, which remembers the whole episode, makes there; a
  classifier learns the labels; the next round's episodes are run by that classifier and
  labelled by the filter again, so it learns on the states its own moves lead to. Where its
  score stops growing with more rounds is about as far as the filter's knowledge goes through
  the six features; what stays between it and the filter is memory. It is not a bound on
  memoryless policies: one trained for the reward, not to imitate, may choose otherwise where
  the filter's move hangs on what the features forget. Given the features of the last few
  blocks instead (`window_env`), the same clone shows how much memory a policy would need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.wrappers import FlattenObservation, FrameStackObservation
from scipy.special import ndtr
from sklearn.ensemble import HistGradientBoostingClassifier

from aura.envs.analysis import (
    ONE_OPENMP_THREAD,
    fit_strategy_rewards,
    fit_strategy_values,
    one_openmp_thread,
    predict_strategy_values,
    tutor_matching_experience,
    tutor_matching_states,
)
from aura.envs.difficulty import DECREASE, INCREASE, MAINTAIN, DifficultyAdaptationEnv
from aura.envs.options import whole
from aura.sim import outcomes as oc
from aura.sim.generate import PLACEMENT_ERROR
from aura.sim.vocab import STRATEGIES


class ObservationCeiling:
    """Tutor matching: picks the strategy whose expected reward, predicted from the observation
    alone, is highest (see the module docstring)."""

    name = "observation ceiling"

    def __init__(self, models: list[Any]) -> None:
        self.models = models

    @classmethod
    def fit(cls, n_episodes: int, seed: int, **env_kwargs: Any) -> ObservationCeiling:
        """Learn from every state of `n_episodes` episodes of uniformly random strategies."""
        observations, expected, _ = tutor_matching_states(n_episodes, seed, **env_kwargs)
        return cls(fit_strategy_values(observations, expected, seed))

    def reset(self) -> None:
        """Nothing to forget between episodes."""

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        return int(self.act_batch(np.asarray(obs).reshape(1, -1))[0])

    def act_batch(self, observations: np.ndarray) -> np.ndarray:
        """The strategy for each row of observations: it needs nothing but the observation, so
        evaluation asks for all running episodes at once."""
        return predict_strategy_values(self.models, observations).argmax(axis=1)


class ExperienceReference(ObservationCeiling):
    """Tutor matching: the observation ceiling's learner fitted to the noisy rewards of a
    training budget's worth of uniformly random sessions (see the module docstring)."""

    name = "experience reference"

    @classmethod
    def fit(cls, n_steps: int, seed: int, **env_kwargs: Any) -> ExperienceReference:
        """Learn from the realised rewards of `n_steps` sessions of uniformly random strategies."""
        observations, actions, rewards = tutor_matching_experience(n_steps, seed, **env_kwargs)
        return cls(fit_strategy_rewards(observations, actions, rewards, len(STRATEGIES), seed))

    @classmethod
    def fit_prefixes(
        cls, budgets: Sequence[int], seed: int, **env_kwargs: Any
    ) -> Iterator[tuple[int, ExperienceReference]]:
        """(budget, reference) for each budget, smallest first: the same references as `fit`
        with each budget, but the sessions are run once, for the largest, and each fit takes
        their first ``budget`` (the experience is one seeded stream). A budget curve of ten
        points then runs its largest budget's sessions, not five and a half times as many."""
        ordered = sorted(set(budgets))
        if not ordered:
            return
        if ordered[0] < 1:
            raise ValueError(f"budgets must be positive numbers of sessions, got {ordered[0]}")
        observations, actions, rewards = tutor_matching_experience(ordered[-1], seed, **env_kwargs)
        for n in ordered:
            models = fit_strategy_rewards(
                observations[:n], actions[:n], rewards[:n], len(STRATEGIES), seed
            )
            yield n, cls(models)


ABILITY_GRID = np.linspace(-8.0, 10.0, 721)
"""Abilities the filter keeps a probability for (logit scale, well beyond the population's)."""
PRIOR_SD = 3.0
"""Spread of the filter's prior over ability before the placement and first block are seen."""


GRID_CACHE_SIZE = 4096
"""Difficulties whose grid arrays the filter keeps (each a few kilobytes; 17 KB for a triple of
gain rows). Steps of a fixed size from three starting levels reach few values of b: 66 in 3,000
episodes at default options."""


def _read_only(values: np.ndarray) -> np.ndarray:
    values.flags.writeable = False
    return values


@lru_cache(maxsize=GRID_CACHE_SIZE)
def _grid_success(b: float) -> np.ndarray:
    """P(success on an item of difficulty b) at every ability of the grid, read-only. The filter
    asks for the same few difficulties at every block of every episode, so each is computed
    once; a kept array is the very one a fresh computation gives, so the moves do not depend on
    what was kept."""
    return _read_only(oc.success_probability(ABILITY_GRID, b))


@lru_cache(maxsize=GRID_CACHE_SIZE)
def _grid_rates(difficulties: tuple[float, ...]) -> np.ndarray:
    """`outcomes.learning_rate_at_flow` of each difficulty's flow on the grid, one row per
    difficulty, read-only: the part of a block's learning gain that depends on the difficulty
    alone. The filter weighs the three moves' difficulties together at every block, so the rows
    come stacked and the learner's state multiplies all three at once."""
    rows = [oc.learning_rate_at_flow(oc.flow(_grid_success(b)), 0.0) for b in difficulties]
    return _read_only(np.stack(rows))


@lru_cache(maxsize=len(oc.DIFFICULTY_OFFSETS))
def _placement_prior(b: float) -> np.ndarray:
    """Prior times P(placed at level b | ability): the level nearest the 84% difficulty of a
    noisy ability estimate, as `DifficultyAdaptationEnv.reset` places learners; read-only, since
    every episode starts at one of the same few levels."""
    levels = np.asarray(oc.DIFFICULTY_OFFSETS, dtype=float)
    cuts = (levels[:-1] + levels[1:]) / 2
    j = int(np.abs(levels - b).argmin())
    low = cuts[j - 1] if j > 0 else -np.inf
    high = cuts[j] if j < len(cuts) else np.inf
    target = oc.target_difficulty(ABILITY_GRID)
    placed = ndtr((high - target) / PLACEMENT_ERROR) - ndtr((low - target) / PLACEMENT_ERROR)
    return _read_only(placed * np.exp(-0.5 * (ABILITY_GRID / PRIOR_SD) ** 2))


@lru_cache(maxsize=GRID_CACHE_SIZE)
def _grid_likelihood(b: float, k: int, n: int) -> np.ndarray:
    """P(k successes in n items of difficulty b | ability) on the grid, up to a constant;
    read-only."""
    p = _grid_success(b)
    return _read_only(p**k * (1.0 - p) ** (n - k))


class DifficultyFilter:
    """Difficulty adaptation: a grid Bayesian filter over ability with the simulator's models
    (see the module docstring). Greedy in the expected learning gain of the next block."""

    name = "model-based filter"

    def __init__(self) -> None:
        self.posterior: np.ndarray | None = None

    def reset(self) -> None:
        self.posterior = None

    def _likelihood(self, env: DifficultyAdaptationEnv, b: float) -> np.ndarray:
        """P(the last block's successes | ability) at difficulty b, up to a constant."""
        n = env.items_per_step
        return _grid_likelihood(b, round(env.last_success_rate * n), n)

    def _gains(self, env: DifficultyAdaptationEnv) -> np.ndarray:
        """The ability each grid learner would gain from the next block after each move, one
        row per action, with the learner's attention and engagement now. The row of 'maintain'
        is a block at b, the difficulty of the block just run."""
        moves = tuple(env.difficulty_after(a) for a in (DECREASE, MAINTAIN, INCREASE))
        return oc.learning_gain_at_rate(
            _grid_rates(moves), env.attention, env.engagement, env.duration
        )

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        inner = env.unwrapped
        if not isinstance(inner, DifficultyAdaptationEnv):
            raise TypeError(f"DifficultyFilter needs a DifficultyAdaptationEnv, got {type(inner)}")
        b = inner.b
        gains = self._gains(inner)
        if self.posterior is None:
            posterior = _placement_prior(b) * self._likelihood(inner, b)
        else:
            # The block just run was at b; then ability grew by that block's gain, the gain of
            # maintaining b now (the engagement it was run with is the engagement now).
            posterior = self.posterior * self._likelihood(inner, b)
            posterior = np.interp(
                ABILITY_GRID, ABILITY_GRID + gains[MAINTAIN], posterior, left=0.0, right=0.0
            )
        self.posterior = posterior / posterior.sum()
        return int(np.argmax([self.posterior @ gain for gain in gains]))


def window_env(window: int = 1, **env_kwargs: Any) -> gym.Env:
    """Difficulty adaptation whose observation is its last `window` observations, oldest first
    and flattened (the first observation repeated until there are that many); window 1 is the
    environment itself. A policy of the window remembers that many blocks and no more.

    `window` is checked as the environments' options are: ``True`` ran as a window of 1, 2.0
    and numpy's 2 failed in gymnasium's words for its frame stack, "2" in a comparison of str and
    int."""
    window = whole("window", window)
    env = DifficultyAdaptationEnv(**env_kwargs)
    if window == 1:
        return env
    return FlattenObservation(FrameStackObservation(env, window, padding_type="reset"))


def filter_labelled_states(
    policy: Any, n_episodes: int, seed: int, window: int = 1, **env_kwargs: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Every observation of `n_episodes` seeded episodes of `window_env(window)` (episode i
    starts with ``reset(seed=seed + i)``) and the move a `DifficultyFilter` following that
    episode makes there. `policy` (anything with ``act_batch``) moves; None lets the filter move.
    The episodes run in lockstep, so `policy` answers once per step for all of them."""
    if n_episodes < 1:
        raise ValueError(f"n_episodes must be a positive integer, got {n_episodes}")
    envs = [window_env(window, **env_kwargs) for _ in range(n_episodes)]
    filters = [DifficultyFilter() for _ in envs]
    last = [env.reset(seed=seed + i)[0] for i, env in enumerate(envs)]
    running = list(range(n_episodes))
    observations, labels = [], []
    while running:
        batch = np.array([last[i] for i in running])
        moves = np.array([filters[i].act(last[i], envs[i]) for i in running])
        actions = moves if policy is None else policy.act_batch(batch)
        observations.append(batch)
        labels.append(moves)
        still = []
        for i, action in zip(running, actions, strict=True):
            last[i], _, terminated, truncated, _ = envs[i].step(action)
            if not (terminated or truncated):
                still.append(i)
        running = still
    return np.vstack(observations), np.concatenate(labels)


class FilterClone:
    """Difficulty adaptation: the filter's moves learned by a classifier of the observation of
    `window_env(window)`, the six observed features of the last `window` blocks (see the module
    docstring and `clone_filter`). It acts on that environment's observations; with window 1 it
    is memoryless. `n_states` is how many labelled states it learned from."""

    def __init__(self, model: HistGradientBoostingClassifier, n_states: int, window: int) -> None:
        self.model = model
        self.n_states = n_states
        self.window = window
        self.name = "memoryless filter clone" if window == 1 else f"filter clone on {window} blocks"

    @classmethod
    def learn(
        cls, observations: np.ndarray, labels: np.ndarray, seed: int, window: int
    ) -> FilterClone:
        """Fit the classifier to the filter's moves (`labels`) in `observations`."""
        model = HistGradientBoostingClassifier(max_iter=300, random_state=seed)
        return cls(model.fit(observations, labels), len(labels), window)

    def reset(self) -> None:
        """Nothing to forget between episodes: whatever it remembers is in the observation."""

    def act(self, obs: np.ndarray, env: gym.Env) -> int:
        return int(self.act_batch(np.asarray(obs).reshape(1, -1))[0])

    def act_batch(self, observations: np.ndarray) -> np.ndarray:
        """The move for each row of observations, on one OpenMP thread (`one_openmp_thread`)."""
        with one_openmp_thread():
            return self.model.predict(observations).astype(np.int64)


@ONE_OPENMP_THREAD  # its clones' fits and their episodes
def filter_dagger(
    n_rounds: int,
    n_episodes: int,
    seed: int,
    window: int = 1,
    *,
    fit_last: bool = True,
    on_clone: Callable[[], None] | None = None,
    **env_kwargs: Any,
) -> tuple[np.ndarray, np.ndarray, list[FilterClone]]:
    """DAgger over `n_rounds` rounds of `n_episodes` episodes each: (every labelled observation,
    the filter's move there, one clone per round). Round 0 runs the filter's own episodes, round r
    the clone of round r - 1; every state is labelled by the filter and each clone is fitted on
    all labels so far. Round r's episodes are seeded ``seed + r * n_episodes + i``. The
    observations are `window_env(window)`'s: the last `window` blocks. Without `fit_last` the
    clone of the last round, which runs no episodes, is not fitted (one clone fewer) for a caller
    that only wants the labelled states. ``on_clone()`` is told as each clone is fitted.
    """
    if n_rounds < 1:
        raise ValueError(f"n_rounds must be a positive integer, got {n_rounds}")
    observations, labels = filter_labelled_states(None, n_episodes, seed, window, **env_kwargs)
    clones: list[FilterClone] = []
    for r in range(1, n_rounds):
        clones.append(FilterClone.learn(observations, labels, seed, window))
        if on_clone:
            on_clone()
        more, their = filter_labelled_states(
            clones[-1], n_episodes, seed + r * n_episodes, window, **env_kwargs
        )
        observations = np.vstack([observations, more])
        labels = np.concatenate([labels, their])
    if fit_last:
        clones.append(FilterClone.learn(observations, labels, seed, window))
        if on_clone:
            on_clone()
    return observations, labels, clones


def clone_filter(
    n_rounds: int, n_episodes: int, seed: int, window: int = 1, **env_kwargs: Any
) -> list[FilterClone]:
    """The clones of `filter_dagger`, one per round: the last is the reference; the others show
    where more rounds stop helping."""
    return filter_dagger(n_rounds, n_episodes, seed, window, **env_kwargs)[2]


def clone_filters(
    windows: Sequence[int],
    n_rounds: int,
    n_episodes: int,
    seed: int,
    on_progress: Callable[[int, int], None] | None = None,
    **env_kwargs: Any,
) -> dict[int, list[FilterClone]]:
    """`clone_filter` for each of ``windows``, by window: notebook 02's study of what memory is
    worth. ``on_progress(rounds_done, rounds)`` is told before the first round and as each
    round's clone is fitted, over every window's rounds (minutes at default params)."""
    total, done = len(windows) * n_rounds, 0

    def fitted() -> None:
        nonlocal done
        done += 1
        if on_progress:
            on_progress(done, total)

    if on_progress:
        on_progress(0, total)
    return {
        w: filter_dagger(n_rounds, n_episodes, seed, w, on_clone=fitted, **env_kwargs)[2]
        for w in windows
    }
