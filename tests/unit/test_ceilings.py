"""The upper references: the difficulty filter tracks the hidden ability it never reads, and both
references beat the best rule a platform could use without them. The experience reference learns
from the sessions a budget buys, and more of them teach it more. The filter's memoryless clone
learns its moves on the states its own moves reach, and beats the staircase but not the filter."""

from __future__ import annotations

import numpy as np
import pytest

from aura.envs import evaluate_policy
from aura.envs.analysis import (
    fit_strategy_rewards,
    per_step_score,
    predict_strategy_values,
    tutor_matching_experience,
    tutor_matching_states,
)
from aura.envs.baselines import WeightedStaircase
from aura.envs.ceilings import (
    ABILITY_GRID,
    DifficultyFilter,
    ExperienceReference,
    FilterClone,
    ObservationCeiling,
    _placement_prior,
    clone_filter,
    filter_dagger,
    filter_labelled_states,
    window_env,
)
from aura.envs.difficulty import DifficultyAdaptationEnv
from aura.sim import outcomes as oc
from aura.sim.vocab import STRATEGIES


def test_difficulty_filter_tracks_the_hidden_ability() -> None:
    env = DifficultyAdaptationEnv()
    policy = DifficultyFilter()
    errors, spread = [], []
    for episode in range(10):
        obs, _ = env.reset(seed=episode)
        policy.reset()
        done, step = False, 0
        while not done:
            action = policy.act(obs, env)
            if step >= 5:  # after a few blocks the posterior has forgotten the prior
                errors.append(abs(float(policy.posterior @ ABILITY_GRID) - env.theta))
                spread.append(env.theta)
            obs, _, terminated, truncated, _ = env.step(action)
            done, step = terminated or truncated, step + 1
    assert np.mean(errors) < 0.25, np.mean(errors)
    assert np.mean(errors) < 0.2 * np.std(spread)


def test_the_filters_kept_grid_arrays_are_the_simulators_formulas_to_the_bit() -> None:
    """The filter keeps each difficulty's arrays across blocks and episodes; what it uses must be
    what the simulator's formulas give at that block, for every difficulty and success count."""
    env, policy = DifficultyAdaptationEnv(), DifficultyFilter()
    env.reset(seed=3)
    n = env.items_per_step
    for b in (-1.2, 0.3, 0.1 + 0.2, 6.0, 0.3):  # 0.1 + 0.2 is not 0.3: its own entry
        for k in (0, 1, n):
            env.last_success_rate = k / n
            p = oc.success_probability(ABILITY_GRID, b)
            expected = p**k * (1.0 - p) ** (n - k)
            assert policy._likelihood(env, b).tobytes() == expected.tobytes(), (b, k)
        env.b = b
        for engagement in (0.2, 0.9):
            env.engagement = engagement
            gains = policy._gains(env)
            for action in range(3):
                q = oc.success_probability(ABILITY_GRID, env.difficulty_after(action))
                gain = oc.learning_gain(q, 0.0, env.attention, env.engagement, env.duration)
                assert gains[action].tobytes() == gain.tobytes(), (b, engagement, action)
    with pytest.raises(ValueError, match="read-only"):
        policy._likelihood(env, 0.3)[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        _placement_prior(0.0)[0] = 1.0


def test_difficulty_filter_beats_the_staircase_on_common_episodes() -> None:
    seed, n = 123, 40
    env = DifficultyAdaptationEnv
    filtered = evaluate_policy(env, DifficultyFilter(), n, seed)
    staircase = evaluate_policy(env, WeightedStaircase(), n, seed)
    diff = np.array(filtered.returns) - np.array(staircase.returns)
    assert diff.mean() > 2 * diff.std(ddof=1) / np.sqrt(n), diff.mean()


class Maintain:
    """Keeps the difficulty where the placement put it, for a batch of episodes."""

    def act_batch(self, observations: np.ndarray) -> np.ndarray:
        return np.full(len(observations), 1)


def test_filter_labels_the_states_of_whoever_moves() -> None:
    seed, n = 40, 12
    own, moves = filter_labelled_states(None, n, seed)
    filtered = evaluate_policy(DifficultyAdaptationEnv, DifficultyFilter(), n, seed)
    assert len(own) == len(moves) == round(filtered.mean_length * n)

    held, labels = filter_labelled_states(Maintain(), n, seed)
    difficulty = held[:, 1]
    assert len(np.unique(difficulty)) <= n  # nobody moved: one difficulty per episode
    assert len(set(labels)) > 1  # yet the filter, following along, would have moved


def test_filter_clone_beats_the_staircase_and_trails_the_filter() -> None:
    """Memory is worth something: three rounds of 60 episodes teach the clone more than the
    staircase knows (measured: 0.6-1.1 above it on common episodes over five seeds, 2.3-5.3
    standard errors) and less than the filter knows (2.1-2.6 below, 6-12 standard errors)."""
    clones = clone_filter(3, 60, seed=1000)
    assert np.all(np.diff([c.n_states for c in clones]) > 0)  # every round adds states
    seed, n = 123, 60
    env = DifficultyAdaptationEnv
    clone = np.array(evaluate_policy(env, clones[-1], n, seed).returns)
    staircase = np.array(evaluate_policy(env, WeightedStaircase(), n, seed).returns)
    filtered = np.array(evaluate_policy(env, DifficultyFilter(), n, seed).returns)
    for better, worse in ((clone, staircase), (filtered, clone)):
        diff = better - worse
        assert diff.mean() > 2 * diff.std(ddof=1) / np.sqrt(n), diff.mean()


def test_filter_clone_is_seeded() -> None:
    states, _ = filter_labelled_states(None, 20, seed=9)
    first, again = clone_filter(2, 20, seed=9), clone_filter(2, 20, seed=9)
    other = clone_filter(2, 20, seed=10)
    np.testing.assert_array_equal(first[-1].act_batch(states), again[-1].act_batch(states))
    assert first[-1].n_states != other[-1].n_states or not np.array_equal(
        first[-1].act_batch(states), other[-1].act_batch(states)
    )


def test_a_window_holds_the_last_blocks_oldest_first() -> None:
    env = window_env(3)
    first, _ = env.reset(seed=4)
    assert first.shape == (18,)
    np.testing.assert_array_equal(first, np.tile(first[:6], 3))  # the first block, repeated
    seen = [first[:6]] * 3
    for action in (0, 2, 2):
        obs, *_ = env.step(action)
        seen.append(env.unwrapped._observation())
        np.testing.assert_array_equal(obs, np.concatenate(seen[-3:]))
    clones = clone_filter(2, 10, seed=4, window=3)
    assert clones[-1].name == "filter clone on 3 blocks"
    assert clones[-1].act_batch(obs.reshape(1, -1)).shape == (1,)


def test_filter_clone_refuses_empty_rounds() -> None:
    with pytest.raises(ValueError, match="n_rounds must be a positive integer, got 0"):
        clone_filter(0, 10, seed=1)
    with pytest.raises(ValueError, match="n_episodes must be a positive integer, got 0"):
        clone_filter(2, 0, seed=1)
    with pytest.raises(ValueError, match="window must be a positive integer, got 0"):
        clone_filter(2, 10, seed=1, window=0)


def test_observation_ceiling_beats_the_best_fixed_strategy_on_held_out_states() -> None:
    ceiling = ObservationCeiling.fit(600, seed=77)
    observations, expected, _ = tutor_matching_states(300, 999)
    chosen = predict_strategy_values(ceiling.models, observations).argmax(axis=1)
    fixed = max(per_step_score(expected, np.full(len(expected), k)) for k in range(len(STRATEGIES)))
    assert per_step_score(expected, chosen) > fixed


def test_the_ceiling_scores_the_same_in_lockstep_as_one_row_at_a_time() -> None:
    ceiling = ObservationCeiling.fit(n_episodes=60, seed=3)

    class OneRow:
        name = "one row"

        def reset(self) -> None:
            pass

        def act(self, obs, env) -> int:
            return ceiling.act(obs, env)

    lockstep = evaluate_policy("aura/TutorMatching-v0", ceiling, 30, 500)
    assert lockstep == evaluate_policy("aura/TutorMatching-v0", OneRow(), 30, 500)


def test_experience_reference_learns_more_from_more_sessions() -> None:
    """20,000 noisy rewards teach less than the best fixed strategy knows; 100,000 teach more
    (measured on exact expected rewards of held-out states: 0.72-0.77 and 0.84-0.87 over three
    seeds, against 0.83)."""
    observations, expected, _ = tutor_matching_states(300, 999)

    def score(n_steps: int) -> float:
        reference = ExperienceReference.fit(n_steps, seed=77)
        chosen = predict_strategy_values(reference.models, observations).argmax(axis=1)
        return per_step_score(expected, chosen)

    assert score(100_000) > score(20_000) + 0.05


def test_experience_is_a_seeded_stream_whose_prefix_is_a_smaller_budget() -> None:
    """A budget of n sessions is the first n of any larger one, so a budget curve refits on
    growing data rather than on unrelated draws."""
    big = tutor_matching_experience(50, seed=5)
    small = tutor_matching_experience(30, seed=5)
    assert [len(part) for part in big] == [50, 50, 50]
    for whole, prefix in zip(big, small, strict=True):
        np.testing.assert_array_equal(whole[:30], prefix)
    assert not np.array_equal(tutor_matching_experience(30, seed=6)[2], small[2])


def test_prefix_fits_are_the_references_fitted_one_budget_at_a_time() -> None:
    """A budget study fits its experience references from one run of the largest budget's
    sessions; each must be the reference `fit` gives with its own budget."""
    states = tutor_matching_states(40, 999)[0]
    fitted = list(ExperienceReference.fit_prefixes([3_000, 1_200, 3_000], seed=5))
    assert [n for n, _ in fitted] == [1_200, 3_000]
    for n, reference in fitted:
        alone = ExperienceReference.fit(n, seed=5)
        np.testing.assert_array_equal(
            predict_strategy_values(reference.models, states),
            predict_strategy_values(alone.models, states),
        )
    assert list(ExperienceReference.fit_prefixes([], seed=5)) == []
    with pytest.raises(ValueError, match="budgets must be positive numbers of sessions, got 0"):
        list(ExperienceReference.fit_prefixes([0, 1_200], seed=5))


def test_experience_needs_sessions_of_every_strategy() -> None:
    with pytest.raises(ValueError, match="n_steps must be a positive integer"):
        tutor_matching_experience(0, seed=1)
    observations, actions, rewards = tutor_matching_experience(40, seed=1)
    with pytest.raises(ValueError, match="no session in the experience tried strategy 5"):
        fit_strategy_rewards(observations, actions, rewards, len(STRATEGIES) + 1, seed=1)


def test_the_filter_s_placement_prior_is_the_chance_of_each_level_at_each_ability() -> None:
    """A learner is placed at the level nearest the 84% difficulty of their ability plus a
    normal error (`DifficultyAdaptationEnv.reset`): at each ability the three levels' chances,
    the normal's mass between the cuts halfway between levels, sum to one, and the middle
    level's is scipy's Phi((0.6 - t) / s) - Phi((-0.6 - t) / s). The filter's prior is that
    times a normal prior over ability."""
    from scipy.stats import norm

    from aura.envs.ceilings import PRIOR_SD
    from aura.sim.generate import PLACEMENT_ERROR

    assert list(oc.DIFFICULTY_OFFSETS) == [-1.2, 0.0, 1.2]
    assert oc.target_difficulty(1.0) - oc.target_difficulty(0.0) == pytest.approx(1.0)
    prior = np.exp(-0.5 * (ABILITY_GRID / PRIOR_SD) ** 2)
    chances = [_placement_prior(b) / prior for b in (-1.2, 0.0, 1.2)]
    np.testing.assert_allclose(sum(chances), 1.0, rtol=1e-12)
    t = oc.target_difficulty(ABILITY_GRID)
    middle = norm.cdf((0.6 - t) / PLACEMENT_ERROR) - norm.cdf((-0.6 - t) / PLACEMENT_ERROR)
    np.testing.assert_allclose(chances[1], middle, rtol=1e-9, atol=1e-15)


def test_the_lowest_and_highest_levels_take_the_normal_s_tails() -> None:
    """Placed at Beginner (b = -1.2), a learner's noisy 84% difficulty fell below the cut at
    -0.6: Phi((-0.6 - t) / s); at Advanced (b = 1.2) above the cut at 0.6: 1 - Phi((0.6 - t) / s)
    (scipy's normal). A learner of high ability is likelier placed at Advanced than Beginner."""
    from scipy.stats import norm

    from aura.envs.ceilings import PRIOR_SD
    from aura.sim.generate import PLACEMENT_ERROR

    prior = np.exp(-0.5 * (ABILITY_GRID / PRIOR_SD) ** 2)
    t = oc.target_difficulty(ABILITY_GRID)
    low, high = (_placement_prior(b) / prior for b in (-1.2, 1.2))
    np.testing.assert_allclose(low, norm.cdf((-0.6 - t) / PLACEMENT_ERROR), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(high, norm.sf((0.6 - t) / PLACEMENT_ERROR), rtol=1e-9, atol=1e-15)
    top = ABILITY_GRID.argmax()
    assert high[top] > 0.99 > 0.01 > low[top]


def test_the_observation_ceiling_picks_the_strategy_its_models_value_most() -> None:
    """Each row's pick is the strategy whose fitted model predicts the highest value there, read
    from the models' own predictions."""
    ceiling = ObservationCeiling.fit(n_episodes=20, seed=3)
    observations, _, _ = tutor_matching_states(10, 999)
    values = np.column_stack([model.predict(observations) for model in ceiling.models])
    np.testing.assert_array_equal(ceiling.act_batch(observations), values.argmax(axis=1))
    assert len(set(values.argmax(axis=1))) > 1  # the picks differ by row: not one constant


@pytest.mark.parametrize("items", [10, 22])
def test_the_filter_reads_a_block_s_successes_as_the_whole_count_it_was(items: int) -> None:
    """15 of 22 items is a success rate of 15/22, and 15/22 * 22 falls just short of 15 in
    floating point: the filter's likelihood is still that of 15 successes and 7 failures."""
    env = DifficultyAdaptationEnv(items_per_step=items)
    env.reset(seed=0)
    solved = round(0.7 * items)
    env.last_success_rate = solved / items
    p = oc.success_probability(ABILITY_GRID, env.b)
    np.testing.assert_allclose(
        DifficultyFilter()._likelihood(env, env.b), p**solved * (1 - p) ** (items - solved)
    )


def test_the_filter_s_first_belief_reads_the_first_block_s_success() -> None:
    """Two learners placed at the same level, one who solved 9 of 10 items in the first block and
    one who solved 2: the filter's first posterior puts the first's ability higher."""

    def first_mean(successes: int) -> float:
        env = DifficultyAdaptationEnv()
        env.reset(seed=0)
        env.last_success_rate = successes / env.items_per_step
        belief = DifficultyFilter()
        belief.act(np.zeros(6), env)
        return float(belief.posterior @ ABILITY_GRID)

    assert first_mean(9) > first_mean(2) + 0.5


def test_each_dagger_round_runs_episodes_of_its_own_seeds() -> None:
    """Two rounds of two episodes from seed 10: round 0 runs seeds 10 and 11, round 1 seeds 12
    and 13, so every episode's first observation is in the labelled states, and no round
    repeats another's learners."""
    observations, labels, clones = filter_dagger(2, 2, seed=10, fit_last=False)
    assert len(clones) == 1 and len(labels) == len(observations)
    rows = {tuple(row) for row in observations}
    for seed in (10, 11, 12, 13):
        assert tuple(DifficultyAdaptationEnv().reset(seed=seed)[0]) in rows, seed


def test_the_experience_models_stop_before_they_fit_the_reward_noise() -> None:
    """Rewards that are pure noise hold nothing to learn: with early stopping on a held-out
    tenth, each strategy's model stops long before its 300 iterations."""
    rng = np.random.default_rng(0)
    observations = rng.random((600, 3))
    actions = np.arange(600) % 2
    models = fit_strategy_rewards(observations, actions, rng.normal(size=600), 2, seed=0)
    assert all(model.n_iter_ < 100 for model in models), [m.n_iter_ for m in models]


def test_a_clone_is_named_by_the_blocks_it_sees_and_counts_the_states_it_learned() -> None:
    """Window 1 is memoryless; a window of 2 remembers two blocks and is named so. The clone
    learned from every labelled state it was given: 12 here."""
    rng = np.random.default_rng(0)
    observations, labels = rng.random((12, 6)), np.arange(12) % 3
    one = FilterClone.learn(observations, labels, seed=0, window=1)
    assert (one.name, one.n_states) == ("memoryless filter clone", 12)
    assert FilterClone.learn(observations, labels, seed=0, window=2).name == (
        "filter clone on 2 blocks"
    )


def test_a_clone_and_the_ceiling_predict_on_one_openmp_thread() -> None:
    """An evaluation asks a clone (or the ceiling's models) for moves step after step, and
    scikit-learn's OpenMP threads spin on a core another process holds: each prediction runs on
    one thread of scikit-learn's runtime, whatever the process allows around it."""
    from threadpoolctl import ThreadpoolController, threadpool_limits

    from aura.envs import analysis

    sklearn_openmp = analysis._SKLEARN_OPENMP.select(user_api="openmp")
    runtimes = {info["filepath"] for info in sklearn_openmp.info()}
    assert runtimes  # scikit-learn's OpenMP runtime was found
    seen: list[list[int]] = []

    class Recording:
        def predict(self, observations: np.ndarray) -> np.ndarray:
            infos = ThreadpoolController().select(user_api="openmp").info()
            seen.append([i["num_threads"] for i in infos if i["filepath"] in runtimes])
            return np.zeros(len(observations))

    with threadpool_limits(limits=2, user_api="openmp"):
        FilterClone(Recording(), n_states=1, window=1).act_batch(np.zeros((3, 6)))  # type: ignore[arg-type]
        predict_strategy_values([Recording()], np.zeros((3, 8)))
        outside = ThreadpoolController().select(user_api="openmp").info()
    assert seen == [[1] * len(runtimes)] * 2, seen
    assert [i["num_threads"] for i in outside if i["filepath"] in runtimes] == [2] * len(runtimes)


def test_the_clones_of_every_window_are_each_windows_own_and_told_round_by_round() -> None:
    """Notebook 02's clone study (minutes at default params) draws a line over its rounds; the
    clones are `clone_filter`'s, window by window, with or without it."""
    from aura.envs.ceilings import clone_filters

    told: list[tuple[int, int]] = []
    clones = clone_filters((1, 2), 2, 10, seed=4, on_progress=lambda *r: told.append(r))
    assert told == [(0, 4), (1, 4), (2, 4), (3, 4), (4, 4)]
    assert list(clones) == [1, 2]
    for window, rounds in clones.items():
        alone = clone_filter(2, 10, seed=4, window=window)
        states, _ = filter_labelled_states(None, 10, seed=5, window=window)
        assert [c.n_states for c in rounds] == [c.n_states for c in alone]
        for mine, theirs in zip(rounds, alone, strict=True):
            np.testing.assert_array_equal(mine.act_batch(states), theirs.act_batch(states))
    assert clone_filters((3,), 1, 10, seed=4)[3][-1].name == "filter clone on 3 blocks"
