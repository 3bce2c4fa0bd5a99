"""The truth the oracle, the references and the off-policy evaluation read, against what is paid.

`aura.sim.session.expected_session_scores` claims the exact mean of a simulated session, the
tutor-matching environment claims to run the simulator's own session, and both oracles claim the
best next move: each claim is checked here against draws (Monte Carlo means within 4 standard
errors, every draw seeded) or, where the same draws can be fed to both sides, to the last bits.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
from scipy.stats import binom

from aura.envs.baselines import DifficultyOracle, TutorMatchingOracle
from aura.envs.difficulty import (
    DECREASE,
    ENGAGEMENT_CARRY,
    ENGAGEMENT_STATE_NOISE,
    INCREASE,
    MAINTAIN,
    DifficultyAdaptationEnv,
)
from aura.envs.tutor_matching import TutorMatchingEnv, session_level
from aura.sim import outcomes as oc
from aura.sim.generate import generate
from aura.sim.population import sample_tutors
from aura.sim.rng import normal_quadrature, sigmoid
from aura.sim.session import (
    SessionContext,
    expected_session_reward,
    expected_session_scores,
    simulate_sessions,
)
from aura.sim.vocab import STRATEGIES

Z = 4.0
"""Standard errors a Monte Carlo mean may lie from the truth: each check is one seeded draw, so
it passes or fails the same way every run; 4 keeps a correct formula from failing on an unlucky
seed (two-sided chance 6e-5) while the measured gaps below are at most 2.4."""

STATES = (
    # theta, age, comfort, attention, style, language, subject, level, duration, tutor
    (0.3, 9, 0.2, 12.0, 0, 0, 0, 1, 0.5, 3),
    (-1.5, 12, 0.6, 25.0, 1, 1, 1, 0, 1.0, 7),
    (1.8, 17, 0.9, 45.0, 2, 2, 2, 2, 2.0, 11),
    (0.0, 14, 0.4, 30.0, 3, 0, 3, 2, 0.75, 20),
    (2.5, 10, 0.1, 9.0, 0, 3, 4, 0, 1.5, 33),
)
"""Sessions of every length and level, young and old, at ease online or not, weak and strong."""


def _contexts(repeat: int) -> tuple[SessionContext, np.ndarray]:
    """`STATES` as a context and tutor indices, each row repeated `repeat` times."""
    columns = list(zip(*STATES, strict=True))
    kinds = (float, float, float, float, int, int, int, int, float)
    ctx = SessionContext(
        *(np.repeat(np.array(c, dtype=k), repeat) for c, k in zip(columns[:-1], kinds, strict=True))
    )
    return ctx, np.repeat(np.array(columns[-1], dtype=np.int64), repeat)


def test_expected_session_scores_are_the_mean_of_simulated_sessions() -> None:
    """The quadrature behind the oracles and the off-policy truth against 40,000 sessions drawn
    by the generator's own `simulate_sessions` in each of five states: engagement and outcome
    means within 4 standard errors (about 0.001; measured within 1.5)."""
    n = 40_000
    tutors = sample_tutors(np.random.default_rng(1), 40)
    ctx, tutor_idx = _contexts(1)
    engagement, outcome = expected_session_scores(ctx, tutors, tutor_idx)
    many, many_idx = _contexts(n)
    drawn = simulate_sessions(np.random.default_rng(0), many, tutors, many_idx)
    for s in range(len(STATES)):
        rows = slice(s * n, (s + 1) * n)
        for name, truth in (
            ("engagement_score", engagement[s]),
            ("learning_outcome_score", outcome[s]),
        ):
            values = getattr(drawn, name)[rows]
            se = values.std() / np.sqrt(n)
            assert abs(values.mean() - truth) < Z * se, (STATES[s], name, values.mean(), truth)
    w = oc.REWARD_WEIGHTS
    np.testing.assert_allclose(
        expected_session_reward(ctx, tutors, tutor_idx),
        w["learning_outcome_score"] * outcome + w["engagement_score"] * engagement,
        rtol=1e-15,
    )


class _Scripted:
    """A stand-in generator for `simulate_sessions` that returns given draws in its fixed order
    (successes, engagement noise, outcome noise, compatibility noise, rating noise, completion)."""

    def __init__(self, successes: int, normals: list[float], uniform: float) -> None:
        self.successes = successes
        self.normals = list(normals)
        self.uniform = uniform

    def binomial(self, n: np.ndarray, p: np.ndarray) -> np.ndarray:
        return np.array([self.successes])

    def normal(self, loc: float = 0.0, scale: float = 1.0, size: object = None) -> np.ndarray:
        return loc + scale * np.array([self.normals.pop(0)])

    def random(self, size: object = None) -> np.ndarray:
        return np.array([self.uniform])


def test_an_environment_session_is_the_simulators_session_given_the_same_draws() -> None:
    """One formula, not two copies: fed the draws the environment made (the successes it
    reports, its two noises and its completion draw, read from the episode's hidden draws), the
    generator's `simulate_sessions` gives the environment's engagement, outcome, gain and
    completion, for every strategy over whole episodes."""
    env = TutorMatchingEnv()
    for seed in range(20):
        env.reset(seed=seed)
        for k in range(env.episode_length):
            a = (seed + k) % len(STRATEGIES)
            ctx = env.upcoming_context()
            row = SessionContext(**{f.name: getattr(ctx, f.name)[a : a + 1] for f in fields(ctx)})
            noise_e, noise_o = env._noise[k]
            uniform = env._completion_draws[k]
            _, _, _, _, info = env.step(a)
            n_items = max(1, round(oc.ITEMS_PER_HOUR * float(row.duration_hours[0])))
            successes = round(info["exercise_success_rate"] * n_items)
            scripted = _Scripted(successes, [noise_e, noise_o, 0.0, 0.0], uniform)
            drawn = simulate_sessions(scripted, row, env.tutors, env.strategy_tutors[a : a + 1])
            for name in ("exercise_success_rate", "engagement_score", "learning_outcome_score"):
                assert getattr(drawn, name)[0] == pytest.approx(info[name], rel=1e-12), name
            assert drawn.gain[0] == pytest.approx(info["gain"], rel=1e-12)
            assert bool(drawn.completed[0]) == info["completed"]


def _random_sessions(n_episodes: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(strategy, realised reward, expected reward of every strategy) at every session of
    `n_episodes` episodes of uniformly random strategies."""
    env = TutorMatchingEnv()
    rng = np.random.default_rng(seed)
    actions, rewards, contexts, tutors = [], [], [], []
    for i in range(n_episodes):
        env.reset(seed=seed + i)
        done = False
        while not done:
            contexts.append(env.upcoming_context())
            tutors.append(env.strategy_tutors)
            actions.append(int(rng.integers(len(STRATEGIES))))
            _, reward, done, _, _ = env.step(actions[-1])
            rewards.append(reward)
    return np.array(actions), np.array(rewards), env.expected_rewards_at(contexts, tutors)


def test_tutor_matching_pays_on_average_the_expected_reward_it_reports() -> None:
    """Each session's realised reward minus the expected reward read just before it has mean 0
    given everything up to then, so over 4,800 sessions of random strategies: overall and for
    each strategy the mean gap lies within 4 standard errors of 0 (measured within 1.7), and the
    realised rewards regressed on the expected ones have slope 1 and intercept 0 within 4
    standard errors (about 0.006 and 0.005; measured within 0.8). A reward mixing other
    weights, a stale state or a formula copied differently into `step` moves these by more."""
    actions, rewards, expected = _random_sessions(400, 10_000)
    paid = expected[np.arange(len(actions)), actions]
    gap = rewards - paid
    for name, rows in [("all", slice(None))] + [
        (s, actions == k) for k, s in enumerate(STRATEGIES)
    ]:
        part = gap[rows]
        assert abs(part.mean()) < Z * part.std() / np.sqrt(part.size), (name, part.mean())
    design = np.column_stack([np.ones_like(paid), paid])
    (intercept, slope), *_ = np.linalg.lstsq(design, rewards, rcond=None)
    residual = rewards - design @ np.array([intercept, slope])
    sigma2 = residual.var() * len(rewards) / (len(rewards) - 2)
    se_intercept, se_slope = np.sqrt(np.diag(sigma2 * np.linalg.inv(design.T @ design)))
    assert abs(slope - 1.0) < Z * se_slope, (slope, se_slope)
    assert abs(intercept) < Z * se_intercept, (intercept, se_intercept)


def test_the_oracle_picks_the_best_strategy_and_earns_its_expected_return() -> None:
    """Brute force over the five strategies: at every state of 60 oracle episodes each
    strategy's expected reward is computed again, from a session context built here from the
    learner, the ability, the comfort and the next session's level and length, and the
    oracle's pick is the best of them. Over the episodes its realised return minus the sum of the
    expected rewards of its picks has mean 0 within 4 standard errors (about 0.024 a return
    of about 9.8; measured 0.8)."""
    env = TutorMatchingEnv()
    oracle = TutorMatchingOracle()
    gaps = []
    for seed in range(60):
        obs, _ = env.reset(seed=500 + seed)
        learner, done = env.learner, False
        realised = expected = 0.0
        while not done:
            level, duration = env.upcoming_session()
            state = (env.theta, learner.age, env.comfort, learner.attention_span)
            kinds = (learner.learning_style, learner.language, env.subject, level, duration)
            ctx = SessionContext(*(np.full(len(STRATEGIES), v) for v in state + kinds))
            alone = expected_session_reward(ctx, env.tutors, env.strategy_tutors).tolist()
            action = oracle.act(obs, env)
            assert alone[action] == max(alone), (seed, env.step_count, alone, action)
            np.testing.assert_allclose(env.expected_rewards(), alone, rtol=1e-12)
            expected += alone[action]
            obs, reward, done, _, _ = env.step(action)
            realised += reward
        gaps.append(realised - expected)
    gap = np.array(gaps)
    assert abs(gap.mean()) < Z * gap.std() / np.sqrt(gap.size), gap.mean()


def test_sessions_are_placed_at_the_same_level_in_the_data_and_the_environments() -> None:
    """The environments set a session's level by bisecting the cuts between levels; the generator
    takes the level nearest the 84%-success difficulty. Over abilities from -6 to 6 (ties on a
    cut, which no draw hits, left out) the two agree."""
    estimates = np.linspace(-6.0, 6.0, 24_001)
    target = oc.target_difficulty(estimates)
    distances = np.abs(oc.DIFFICULTY_OFFSETS[None, :] - target[:, None])
    nearest = distances.argmin(axis=1)
    ordered = np.sort(distances, axis=1)
    clear = ordered[:, 1] - ordered[:, 0] > 1e-9
    assert clear.sum() > 23_990
    bisected = np.array([session_level(e) for e in estimates])
    np.testing.assert_array_equal(bisected[clear], nearest[clear])


def test_draws_depend_on_the_seed_alone_not_on_numpy_global_state() -> None:
    """The generator and the environments draw from their own seeded generators: reseeding
    numpy's global generator in between changes neither a dataset nor an episode."""
    episodes, datasets = [], []
    for global_seed in (1, 2):
        np.random.seed(global_seed)  # noqa: NPY002 (the global state is what is tested)
        env = TutorMatchingEnv()
        env.reset(seed=4)
        episodes.append([env.step(k % 5)[1] for k in range(env.episode_length)])
        np.random.seed(global_seed + 10)  # noqa: NPY002
        datasets.append(generate(7, n_learners=50, n_tutors=6, n_sessions=120).sessions)
    assert episodes[0] == episodes[1]
    assert datasets[0].equals(datasets[1])
    assert not generate(8, n_learners=50, n_tutors=6, n_sessions=120).sessions.equals(datasets[0])


def _difficulty_expected_rewards(env: DifficultyAdaptationEnv) -> np.ndarray:
    """Expected reward of each move for the next block, from the hidden ability and the
    engagement state: a sum over the binomial number of items solved and a 32-point quadrature
    of the engagement shock, the environment's models written out once more on their own."""
    nodes, weights = normal_quadrature(32)
    n = env.items_per_step
    solved = np.arange(n + 1)
    target = oc.engagement_logit(
        env.duration, env.learner.attention_span, env.learner.comfort, 0.0, 0.0, solved / n
    )
    logit = ENGAGEMENT_CARRY * env.engagement_logit + (1.0 - ENGAGEMENT_CARRY) * target
    engagement = sigmoid(logit[:, None] + ENGAGEMENT_STATE_NOISE * nodes) @ weights
    b = np.array([env.difficulty_after(move) for move in (DECREASE, MAINTAIN, INCREASE)])
    p = oc.success_probability(env.theta, b)[:, None]
    gain = oc.learning_gain(p, 0.0, env.attention, engagement[None, :], env.duration)
    return (binom.pmf(solved[None, :], n, p) * gain).sum(axis=1) / env.gain_scale


def test_difficulty_pays_on_average_what_its_models_imply_and_the_oracle_moves_near_best() -> None:
    """Difficulty adaptation has no expected-reward function of its own, so its models are
    written out again here (`_difficulty_expected_rewards`). Over every block of 100 episodes of
    random moves, realised minus expected reward has mean 0 within 4 standard errors overall and
    per move (measured within 2.4, about 3,100 blocks). The oracle moves towards the 84%-success
    difficulty rather than maximising that expectation: along its own 100 episodes its move is
    the best next block in most states (measured 95%) and gives up less than 0.002 a block on
    average (measured 0.0003; at most 0.014 in one block): to that, it is the greedy best."""
    env = DifficultyAdaptationEnv()
    rng = np.random.default_rng(0)
    moves, gaps = [], []
    for seed in range(100):
        env.reset(seed=20_000 + seed)
        done = False
        while not done:
            expected = _difficulty_expected_rewards(env)
            moves.append(int(rng.integers(3)))
            _, reward, terminated, truncated, _ = env.step(moves[-1])
            gaps.append(reward - expected[moves[-1]])
            done = terminated or truncated
    gap, move = np.array(gaps), np.array(moves)
    for name, rows in [("all", slice(None))] + [(m, move == m) for m in range(3)]:
        part = gap[rows]
        assert abs(part.mean()) < Z * part.std() / np.sqrt(part.size), (name, part.mean())
    oracle = DifficultyOracle()
    best, shortfall = [], []
    for seed in range(100):
        obs, _ = env.reset(seed=30_000 + seed)
        done = False
        while not done:
            expected = _difficulty_expected_rewards(env)
            move = oracle.act(obs, env)
            best.append(expected[move] == expected.max())
            shortfall.append(expected.max() - expected[move])
            obs, _, terminated, truncated, _ = env.step(move)
            done = terminated or truncated
    assert np.mean(best) > 0.9, np.mean(best)
    assert np.mean(shortfall) < 0.002, np.mean(shortfall)
