"""The arithmetic every normalised score rests on, worked by hand on small cases: the per-state
score of notebook 02, the held-out split of its observation ceiling, the consistency and the
normalised score of `evaluate_policy`, the seeds of the references' episodes, the hidden traits
beside notebook 02's states, and the difficulty trajectory's 84% target and block columns."""

from __future__ import annotations

import math

import gymnasium as gym
import numpy as np
import pytest

import aura.envs as E
from aura.envs.analysis import (
    difficulty_trajectory,
    observation_ceiling,
    per_step_score,
    tutor_matching_states,
)


def test_the_per_state_score_is_zero_for_the_mean_strategy_and_one_for_the_best() -> None:
    """Two states with strategies worth (1, 2, 3) and (0, 0, 3): random earns their mean 1.5,
    the oracle 3; picks worth 3 and 0 earn 1.5 (0), picks worth 3 and 3 earn 3 (1), picks worth 2
    and 0 earn 1 ((1 - 1.5) / 1.5 = -1/3)."""
    expected = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 3.0]])
    assert per_step_score(expected, np.array([2, 0])) == pytest.approx(0.0)
    assert per_step_score(expected, np.array([2, 2])) == pytest.approx(1.0)
    assert per_step_score(expected, np.array([1, 0])) == pytest.approx(-1 / 3)


def test_the_observation_ceiling_is_scored_on_the_states_it_did_not_learn_from() -> None:
    """States whose better strategy flips between the first half and the second: a model
    learned on the first half and scored on the second picks the worse strategy nearly always
    (score near -1); scored on its own half it would look perfect."""
    rng = np.random.default_rng(0)
    x = rng.random((400, 1))
    first = np.column_stack([x[:200, 0], 1.0 - x[:200, 0]])
    second = np.column_stack([1.0 - x[200:, 0], x[200:, 0]])
    score = observation_ceiling(x, np.vstack([first, second]), 0)
    assert score < -0.8, score


def test_consistency_is_one_minus_the_spread_over_the_size_of_the_mean_return() -> None:
    """1 - std / |mean|, floored at 0, by hand from the returns: the size of the mean is what
    counts, so tutor matching paid the negated reward is exactly as consistent as tutor matching
    itself."""
    from gymnasium.wrappers import TransformReward

    def negated() -> gym.Env:
        return TransformReward(E.TutorMatchingEnv(), lambda r: -r)

    paid = E.evaluate_policy(negated, E.FixedPolicy(4, "balanced"), 30, 5)
    plain = E.evaluate_policy(E.TUTOR_MATCHING_ID, E.FixedPolicy(4, "balanced"), 30, 5)
    returns = np.array(paid.returns)
    np.testing.assert_array_equal(returns, -np.array(plain.returns))
    mean, std = returns.mean(), math.sqrt(((returns - returns.mean()) ** 2).mean())
    assert mean < 0 < std < abs(mean)
    assert paid.consistency == pytest.approx(1 - std / abs(mean), rel=1e-9)
    assert paid.consistency == pytest.approx(plain.consistency, rel=1e-12)
    assert 0 < paid.consistency < 1


def test_the_normalised_score_puts_random_at_0_and_the_oracle_at_1() -> None:
    """(R - R_random) / (R_oracle - R_random) on a scale from 9 to 11: 10 is halfway, 9.5 a
    quarter, 12 one and a half; an oracle not above random gives no scale."""
    assert E.normalised_score(10.0, 9.0, 11.0) == pytest.approx(0.5)
    assert E.normalised_score(9.5, 9.0, 11.0) == pytest.approx(0.25)
    assert E.normalised_score(12.0, 9.0, 11.0) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="must exceed random return"):
        E.normalised_score(10.0, 9.0, 9.0)


def test_the_references_episodes_are_the_seeded_episodes_they_name() -> None:
    """`evaluate_policy(..., n, seed)` plays episodes seed, seed + 1, ...; so do the states the
    observation ceiling learns from: their first observations are those of fresh resets with
    those seeds."""
    env = E.TutorMatchingEnv(episode_length=3)
    observations, _, _ = tutor_matching_states(4, 70, episode_length=3)
    firsts = [env.reset(seed=70 + i)[0] for i in range(4)]
    np.testing.assert_array_equal(observations[::3], np.array(firsts))
    returns = []
    for i in range(4):
        env.reset(seed=70 + i)
        returns.append(sum(env.step(4)[1] for _ in range(3)))
    result = E.evaluate_policy(lambda: E.TutorMatchingEnv(episode_length=3), lambda obs: 4, 4, 70)
    assert list(result.returns) == pytest.approx(returns, rel=1e-12)


def test_the_trajectory_s_target_is_the_84_percent_difficulty_of_the_ability() -> None:
    """theta - ln(0.84 / 0.16) / 1.7, the difficulty at which sigmoid(1.7 (theta - b)) = 0.84,
    for the ability each block was worked at: the row before's theta (the ability after that
    block), or the reset's for the first. From the row's own theta, the target was the next
    block's, and notebook 02's figure drew the difficulty set one block behind its target."""
    table = difficulty_trajectory(E.DifficultyOracle(), 3, max_steps=6)
    assert list(table["step"]) == list(range(1, len(table) + 1))
    env = E.DifficultyAdaptationEnv(max_steps=6)
    env.reset(seed=3)
    worked_at = np.concatenate([[env.theta], table["theta"].to_numpy()[:-1]])
    target = worked_at - math.log(0.84 / 0.16) / 1.7
    np.testing.assert_allclose(table["target_difficulty"], target, rtol=1e-12)
    p = 1 / (1 + np.exp(-1.7 * (worked_at - table["target_difficulty"])))
    np.testing.assert_allclose(p, 0.84, rtol=1e-12)


def test_each_fixed_reference_takes_the_action_its_name_says() -> None:
    """Difficulty's actions are 0 decrease, 1 maintain, 2 increase; tutor matching's 0 best
    rating, 1 subject expert, 2 cultural match, 3 teaching-style match, 4 balanced (the README's
    order): a fixed reference's row in a results table must be that action's."""
    difficulty = {"decrease": 0, "maintain": 1, "increase": 2}
    matching = {
        "best_rating": 0,
        "subject_expert": 1,
        "cultural_match": 2,
        "teaching_style_match": 3,
        "balanced": 4,
    }
    for policies, actions in (
        (E.difficulty_baselines(0), difficulty),
        (E.tutor_matching_baselines(0), matching),
    ):
        fixed = {n.removeprefix("fixed:"): p for n, p in policies.items() if n.startswith("fixed:")}
        assert {name: p.act(np.zeros(1), None) for name, p in fixed.items()} == actions


def test_the_filter_s_labelled_episodes_are_the_seeded_episodes_they_name() -> None:
    """`filter_labelled_states(..., n, seed)` runs episodes seed, seed + 1, ... in lockstep: its
    first rows are the first observations of fresh resets with those seeds."""
    from aura.envs.ceilings import filter_labelled_states

    observations, _ = filter_labelled_states(None, 3, 40, max_steps=2)
    env = E.DifficultyAdaptationEnv(max_steps=2)
    firsts = [env.reset(seed=40 + i)[0] for i in range(3)]
    np.testing.assert_array_equal(observations[:3], np.array(firsts))


def test_the_staircase_counts_solved_and_failed_items_by_their_weights() -> None:
    """Kaernbach's weighted staircase by hand: a solved item counts +(1 - target), a failed one
    -target, and the difficulty moves once the count reaches +-threshold, which restarts it; a
    new episode starts from 0. At the 84% target with blocks of 10 items: 10 solved count +1.6
    (up), 9 solved +0.6 (stay, then up at +1.2), 8 solved -0.4 (stay, stay at -0.8, down at
    -1.2). At a 75% target, whose weights are exact in binary, 4 of 4 solved count exactly +1
    and 2 of 4 exactly -1: both reach a threshold of 1; 3 of 4 count 0."""
    from types import SimpleNamespace

    from aura.envs.baselines import WeightedStaircase

    def moves(staircase: WeightedStaircase, n: int, solved: list[int]) -> list[int]:
        env = SimpleNamespace(items_per_step=n, last_success_rate=0.0)
        env.unwrapped = env
        made = []
        for k in solved:
            env.last_success_rate = k / n
            made.append(staircase.act(np.zeros(6), env))  # type: ignore[arg-type]
        return made

    staircase = WeightedStaircase()
    assert moves(staircase, 10, [10, 9, 9, 8, 8, 8, 10]) == [2, 1, 2, 1, 1, 0, 2]
    assert moves(staircase, 10, [9]) == [1]  # the count stands at +0.6
    staircase.reset()
    assert moves(staircase, 10, [9, 8, 8]) == [1, 1, 1]  # 0.6, 0.2, -0.2: from 0 again
    exact = WeightedStaircase(threshold=1.0, target=0.75)
    assert moves(exact, 4, [4, 3, 2, 3, 3, 4]) == [2, 1, 0, 1, 1, 2]


def test_evaluation_summarises_success_lengths_and_mean_reports_by_hand() -> None:
    """A toy environment whose even seeds pay +2 in one step and end marked a success reporting
    mean_x 1 (and a number 'meanness' 9), and whose odd seeds pay -1 twice and end with no
    verdict and nothing reported: over seeds 0..3 the mean return is 0 and its spread 2, so the
    consistency 1 - 2 / 0 is floored at 0; the mean length is 1.5; the success rate counts an
    episode with no verdict as no success, 0.5; the summary holds the reports whose name starts
    'mean_', averaged over the episodes that report them: mean_x 1."""

    class Toy(gym.Env):
        observation_space = gym.spaces.Box(0.0, 1.0, shape=(1,))
        action_space = gym.spaces.Discrete(1)

        def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple:
            self.odd, self.t = bool(seed % 2), 0
            return np.zeros(1, dtype=np.float32), {}

        def step(self, action: int) -> tuple:
            self.t += 1
            if not self.odd:
                info = {"episode_success": True, "mean_x": 1.0, "meanness": 9.0}
                return np.zeros(1, dtype=np.float32), 2.0, True, False, info
            return np.zeros(1, dtype=np.float32), -1.0, self.t == 2, False, {}

    result = E.evaluate_policy(Toy, lambda obs: 0, 4, 0)
    assert result.returns == (2.0, -2.0, 2.0, -2.0)
    assert (result.mean_return, result.std_return) == (0.0, 2.0)
    assert result.consistency == 0.0
    assert result.mean_length == 1.5
    assert result.success_rate == 0.5
    assert result.summary == {"mean_x": 1.0}


def test_the_per_state_score_averages_the_picks_over_the_states() -> None:
    """Three states worth (0, 1), (0, 1) and (0, 4): random earns their mean 1, the oracle
    (1 + 1 + 4) / 3 = 2; picking the second strategy everywhere is the oracle (1), though the
    picks' median, 1, is random's."""
    expected = np.array([[0.0, 1.0], [0.0, 1.0], [0.0, 4.0]])
    assert per_step_score(expected, np.array([1, 1, 1])) == pytest.approx(1.0)
    assert per_step_score(expected, np.array([0, 0, 1])) == pytest.approx((4 / 3 - 1) / (2 - 1))


def test_the_trajectory_s_success_is_the_block_s_share_of_items_solved() -> None:
    """A block of 10 items is solved in tenths: the trajectory's success is that share, not the
    chance of success beside it."""
    table = difficulty_trajectory(E.DifficultyOracle(), 3, max_steps=6)
    tenths = table["success"].to_numpy() * 10
    np.testing.assert_allclose(tenths, np.round(tenths), atol=1e-9)
    assert not np.allclose(table["success"], table["p_success"])


def test_the_states_hidden_traits_are_the_learners_at_each_session() -> None:
    """Notebook 02 sorts the states by the learner's age, online comfort and ability, which the
    observation shows scaled (`OBSERVATION_FEATURES`: (age - 8) / 10, comfort as is, progress
    sigmoid(1.7 theta)): each state's traits read back from its own observation, comfort and
    ability as they stand before that session (both move after every session, so neither is the
    episode's first value), and the language, which the observation lacks, is the one of the
    learner a fresh reset with the episode's seed draws."""
    length, n = 3, 12
    observations, _, traits = tutor_matching_states(n, 70, episode_length=length)
    np.testing.assert_allclose(8 + 10 * observations[:, 0], traits["age"], atol=1e-5)
    np.testing.assert_allclose(observations[:, 2], traits["comfort"], atol=1e-7)
    progress = 1 / (1 + np.exp(-1.7 * traits["theta"].to_numpy()))
    np.testing.assert_allclose(observations[:, 4], progress, atol=1e-7)
    for column in ("comfort", "theta"):
        by_episode = traits[column].to_numpy().reshape(n, length)
        assert (np.diff(by_episode, axis=1) != 0).all(), column
    assert not np.allclose(traits["comfort"], traits["theta"])
    env = E.TutorMatchingEnv(episode_length=length)
    languages = []
    for i in range(n):
        env.reset(seed=70 + i)
        languages += [env.learner.language] * length
    assert list(traits["language"]) == languages
    assert len(set(languages)) > 1


def test_the_trajectory_s_block_columns_are_the_block_s_by_hand() -> None:
    """Each row is one block: its chance of success is sigmoid(1.7 (theta - b)) at the
    difficulty it was set and the ability it was worked at (the row before's, or the reset's for
    the first), so the row's theta is the ability after it; the difficulty moves by at most one
    step a block from where the reset placed it; the reward is the ability gained over the
    gain of an ideal block (`gain_scale`); engagement is what the observation shows after the
    block, replayed on the same seeded episode."""
    table = difficulty_trajectory(E.DifficultyOracle(), 3, max_steps=6)
    env = E.DifficultyAdaptationEnv(max_steps=6)
    obs, _ = env.reset(seed=3)
    theta = np.concatenate([[env.theta], table["theta"].to_numpy()])
    difficulty = np.concatenate([[env.b], table["difficulty"].to_numpy()])
    p = 1 / (1 + np.exp(-1.7 * (theta[:-1] - difficulty[1:])))
    np.testing.assert_allclose(table["p_success"], p, rtol=1e-12)
    moves = np.round(np.diff(difficulty) / env.step_size, 9)
    assert set(moves) <= {-1.0, 0.0, 1.0}
    np.testing.assert_allclose(table["reward"], np.diff(theta) / env.gain_scale, rtol=1e-9)
    assert (np.diff(theta) > 0).all()
    shown, done = [], False
    policy = E.DifficultyOracle()
    while not done:
        obs, _, terminated, truncated, _ = env.step(policy.act(obs, env))
        shown.append(obs[5])
        done = terminated or truncated
    np.testing.assert_allclose(table["engagement"], shown, atol=1e-7)
    assert table["engagement"].nunique() == len(table)
