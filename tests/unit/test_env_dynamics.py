"""The environments' documented dynamics, worked out again here from docs/rl.md and the modules'
docstrings with plain arithmetic, step by step along whole episodes.

The other environment tests compare the environments with the simulator or check averages; these
follow single episodes exactly, so that an observation scaled or ordered otherwise, a moving
average with its weights swapped, a boundary taken the other way or an episode ended a step early
shows at the step where it happens. Only the episode's stored random draws (the uniform draw of
each item and the engagement shock of each block) are read from the environment; everything
computed from them is computed here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from aura.envs import DifficultyAdaptationEnv, TutorMatchingEnv
from aura.sim.vocab import LEARNING_STYLES, SUBJECTS, TIME_SLOTS

# The documented constants, written out rather than imported, so that a changed constant shows.
ITEMS_PER_HOUR = 12
LEARNING_RATE = 0.12
OPTIMAL_SUCCESS = 0.84
FLOW_WIDTH = 0.12
IRT_SCALE = 1.7
LEVELS = (-1.2, 0.0, 1.2)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _flow(success: float) -> float:
    return math.exp(-0.5 * ((success - OPTIMAL_SUCCESS) / FLOW_WIDTH) ** 2)


def _engagement_target(success: float, attention: float, comfort: float) -> float:
    """The simulator's engagement logit of a block with no tutor (no style or language match)."""
    return -1.1 + 1.8 * _flow(success) + 1.2 * attention + 0.8 * (comfort - 0.5)


def _clip01(x: float) -> float:
    return min(1.0, max(0.0, x))


def _difficulty_episode(
    env: DifficultyAdaptationEnv, seed: int, moves: list[int]
) -> tuple[int, list[float], bool]:
    """Run one episode with the moves given (cycled), checking every step by hand; returns the
    number of blocks the policy chose, every block's success (the diagnostic block's first) and
    whether the learner quit."""
    n = env.items_per_step
    duration = n / ITEMS_PER_HOUR
    scale = LEARNING_RATE * 1.5 * math.sqrt(duration)  # 84% success, full engagement, attention 1
    obs, info = env.reset(seed=seed)
    learner = env.learner
    attention = min(1.0, 2.5 * learner.attention_span / (60.0 * duration))
    theta, b = env.theta, env.b
    assert b in LEVELS  # placed at a level
    draws, shocks = env._item_draws, env._shocks

    p = _sigmoid(IRT_SCALE * (theta - b))
    success = diagnostic = float(np.sum(draws[0] < p)) / n
    assert info == {"exercise_success_rate": success, "p_success": pytest.approx(p, rel=1e-12)}
    start = _engagement_target(OPTIMAL_SUCCESS, attention, learner.comfort)
    logit = 0.6 * start + 0.4 * _engagement_target(success, attention, learner.comfort) + shocks[0]
    performance = previous = last = success
    struggle = float(success < 0.6)
    volatility = 0.0
    expected = [performance, (b + 4.0) / 10.0, struggle, 1.0, 0.5, _sigmoid(logit)]
    np.testing.assert_allclose(obs, expected, rtol=1e-6, atol=1e-7)

    successes: list[float] = []
    for t in range(1, env.max_steps + 1):
        move = moves[(t - 1) % len(moves)]
        b = min(6.0, max(-4.0, b + 0.3 * (move - 1)))
        p = _sigmoid(IRT_SCALE * (theta - b))
        success = float(np.sum(draws[t] < p)) / n
        logit = 0.6 * logit + 0.4 * _engagement_target(success, attention, learner.comfort)
        logit += shocks[t]
        engagement = _sigmoid(logit)
        gain = LEARNING_RATE * _flow(p) * 1.0 * attention * (0.5 + engagement) * math.sqrt(duration)
        theta += gain
        previous = performance
        performance = 0.6 * performance + 0.4 * success
        struggle = 0.6 * struggle + 0.4 * float(success < 0.6)
        volatility = 0.6 * volatility + 0.4 * abs(success - last)
        last = success
        successes.append(success)

        obs, reward, terminated, truncated, info = env.step(move)
        assert info["exercise_success_rate"] == success, t
        assert info["difficulty"] == pytest.approx(b, abs=1e-12)
        assert reward == pytest.approx(gain / scale, rel=1e-9), t
        assert env.theta == pytest.approx(theta, rel=1e-12, abs=1e-12)
        expected = [
            performance,
            (b + 4.0) / 10.0,
            struggle,
            1.0 - volatility,
            _clip01(0.5 + 2.5 * (performance - previous)),
            engagement,
        ]
        np.testing.assert_allclose(obs, expected, rtol=1e-6, atol=1e-7, err_msg=f"step {t}")
        quit_ = engagement < env.disengage_threshold
        assert (terminated, truncated) == (quit_, not quit_ and t == env.max_steps), t
        if terminated or truncated:
            mean = sum(successes) / len(successes)
            assert info["mean_success_rate"] == pytest.approx(mean, rel=1e-12)
            in_flow = abs(mean - OPTIMAL_SUCCESS) <= FLOW_WIDTH
            assert info["episode_success"] == (not quit_ and in_flow)
            return t, [diagnostic] + successes, quit_
    raise AssertionError("the episode ran past max_steps")


def test_difficulty_episodes_follow_the_documented_dynamics_step_by_step() -> None:
    """Every observation, reward, ability, end and verdict of 60 episodes, under moves that keep,
    raise and lower the difficulty and one that climbs until the learner quits, worked out from
    the documented rules: performance, struggle (success below 60%) and volatility are moving
    averages of weight 0.4 started from the diagnostic block; difficulty moves by 0.3 within
    -4..6; engagement's logit keeps 0.6 of itself and takes 0.4 of the block's engagement logit
    plus its shock; the reward is the gain over that of a block at 84% success with full
    engagement. A block's success of exactly 60% (which counts as no struggle), both ends (the
    learner quitting and max_steps), a learner quitting with blocks in the flow band (a failure)
    and a mean success on the band's edge, 72% or 96% (a success), occur among them."""
    env = DifficultyAdaptationEnv(max_steps=25)
    plans = ([1], [2, 1], [0, 1, 2], [2], [0], [2, 2, 1, 0])
    episodes = [_difficulty_episode(env, seed, plans[seed % len(plans)]) for seed in range(60)]
    lengths = [length for length, _, _ in episodes]
    assert min(lengths) < env.max_steps == max(lengths)  # both ends were met
    firsts = [successes[0] for _, successes, _ in episodes]
    later = [s for _, successes, _ in episodes for s in successes[1:]]
    assert 0.6 in firsts and 0.6 in later
    # a learner who quits fails the episode however well the blocks went
    restless = DifficultyAdaptationEnv(max_steps=25, disengage_threshold=0.9)
    quits = [_difficulty_episode(restless, seed, [1]) for seed in range(30)]
    assert any(
        quit_ and abs(np.mean(s[1:]) - OPTIMAL_SUCCESS) <= FLOW_WIDTH for _, s, quit_ in quits
    )
    # a mean success of exactly 72% or 96% is on the flow band's edge, inside it
    short = DifficultyAdaptationEnv(max_steps=5)
    edges = [_difficulty_episode(short, seed, [1]) for seed in range(40)]
    assert any(sum(s[1:]) / 5 in (0.72, 0.96) for length, s, quit_ in edges if not quit_)


def test_tutor_matching_episodes_follow_the_documented_dynamics_step_by_step() -> None:
    """Every observation, reward, end and verdict of 40 episodes worked out from the documented
    rules: age (a - 8) / 10, grade (g - 1) / 11, online comfort as it stands (moved after each
    session by 0.04 x (engagement - 0.45), within 0..1), the share of the course done, the
    mastery sigmoid(1.7 theta) of the ability after each session's gain, and each category's
    index over (categories - 1); the reward 0.7 outcome + 0.3 engagement; the end after exactly
    `episode_length` sessions, terminated, a success when the mean reward reaches the threshold.
    """
    env = TutorMatchingEnv(episode_length=7)
    for seed in range(40):
        obs, info = env.reset(seed=seed)
        learner = env.learner
        subject = learner.subject_preference
        theta, comfort = learner.theta[subject], learner.comfort
        ids = info["tutor_ids_by_strategy"]
        static = [
            (learner.age - 8) / 10,
            (learner.grade_level - 1) / 11,
            subject / (len(SUBJECTS) - 1),
            learner.learning_style / (len(LEARNING_STYLES) - 1),
            learner.time_preference / (len(TIME_SLOTS) - 1),
        ]
        rewards = []
        for t in range(env.episode_length + 1):
            expected = [*static[:2], comfort, t / 7, _sigmoid(IRT_SCALE * theta), *static[2:]]
            np.testing.assert_allclose(obs, expected, rtol=1e-6, atol=1e-7, err_msg=f"step {t}")
            if t == env.episode_length:
                break
            action = (seed + 2 * t) % 5
            obs, reward, terminated, truncated, info = env.step(action)
            engagement, outcome = info["engagement_score"], info["learning_outcome_score"]
            assert reward == pytest.approx(0.7 * outcome + 0.3 * engagement, rel=1e-12)
            assert info["tutor_id"] == ids[action]
            rewards.append(reward)
            theta += info["gain"]
            comfort = min(1.0, max(0.0, comfort + 0.04 * (engagement - 0.45)))
            assert (terminated, truncated) == (t + 1 == env.episode_length, False), t
            assert ("episode_success" in info) == terminated
        mean = sum(rewards) / len(rewards)
        assert info["episode_success"] == (mean >= env.success_threshold)
        # a threshold equal to the episode's mean reward is reached; one a hair above is not
        for threshold, reached in ((mean, True), (math.nextafter(mean, 2.0), False)):
            again = TutorMatchingEnv(episode_length=7, success_threshold=threshold)
            again.reset(seed=seed)
            for t in range(7):
                *_, info = again.step((seed + 2 * t) % 5)
            assert info["episode_success"] is reached, (seed, threshold)


def test_the_filter_weighs_each_block_by_the_binomial_chance_of_its_successes() -> None:
    """After a block of n items of which k were solved, the filter's likelihood of each ability
    is p^k (1 - p)^(n - k), p = sigmoid(1.7 (theta - b)), up to a constant: for every n up to
    40 and every k. The count comes back from the observed rate k / n, which for some (n, k)
    (15 of 22, 13 of 23) is a hair below k once multiplied by n again."""
    from types import SimpleNamespace

    from aura.envs.ceilings import ABILITY_GRID, DifficultyFilter

    policy = DifficultyFilter()
    p = 1.0 / (1.0 + np.exp(-IRT_SCALE * (ABILITY_GRID - 0.3)))
    for n in range(1, 41):
        for k in range(n + 1):
            env = SimpleNamespace(items_per_step=n, last_success_rate=k / n)
            likelihood = policy._likelihood(env, 0.3)  # type: ignore[arg-type]
            expected = p**k * (1.0 - p) ** (n - k)
            np.testing.assert_allclose(
                likelihood / likelihood.max(), expected / expected.max(), rtol=1e-9, atol=1e-300
            )


def test_difficulty_places_each_learner_near_the_84_percent_level_of_a_noisy_estimate() -> None:
    """A learner starts at the level (-1.2, 0 or 1.2) nearest the 84%-success difficulty of
    their ability plus a normal error of sd 0.5, whose chance at ability theta is the normal's
    mass between the cuts halfway between levels around theta - ln(0.84 / 0.16) / 1.7. Over
    2,000 learners, the number started at each level, and the number started away from the
    level nearest their own ability's, match the sums of those chances within 4 standard
    errors."""
    from scipy.stats import norm

    env = DifficultyAdaptationEnv()
    cuts = np.array([-np.inf, -0.6, 0.6, np.inf])
    placed, chances = [], []
    for seed in range(2000):
        env.reset(seed=seed)
        target = env.theta - math.log(OPTIMAL_SUCCESS / (1 - OPTIMAL_SUCCESS)) / IRT_SCALE
        chances.append(np.diff(norm.cdf((cuts - target) / 0.5)))
        placed.append(LEVELS.index(env.b))
    chance, level = np.array(chances), np.array(placed)
    nearest = chance.argmax(axis=1)  # the level nearest the noiseless target is the likeliest
    away = 1.0 - chance[np.arange(len(level)), nearest]
    for observed, p in [((level == j).sum(), chance[:, j]) for j in range(3)] + [
        ((level != nearest).sum(), away)
    ]:
        assert abs(observed - p.sum()) < 4 * np.sqrt((p * (1 - p)).sum()), (observed, p.sum())
    assert (level != nearest).sum() > 100  # the error moves many learners


def test_a_csv_learners_ability_is_the_calibrations_mean_plus_its_residual_spread() -> None:
    """Each episode of a learners CSV draws the hidden ability of a row as SUBJECT_OFFSETS +
    intercept + coef . (progress, success rate, preferred level index, grade) plus a normal of
    the calibration's residual sd, in every subject: over 3,000 draws of two rows, the mean and
    spread of the draws are that within 4 standard errors."""
    import pandas as pd

    from aura.envs.learners import AbilityCalibration, CsvLearners

    table = pd.DataFrame(
        {
            "age": [9, 16],
            "grade_level": [3, 10],
            "learning_style": ["visual", "kinesthetic"],
            "subject_preference": ["math", "english"],
            "time_preference": ["morning", "evening"],
            "language": ["english", "spanish"],
            "comfort_level_online": [0.2, 0.9],
            "attention_span_minutes": [12.0, 40.0],
            "learning_progress_score": [0.3, 0.8],
            "success_rate": [0.5, 0.9],
            "preferred_difficulty": ["Beginner", "Advanced"],
        }
    )
    calibration = AbilityCalibration(intercept=-0.4, coef=(1.0, 0.5, 0.3, 0.05), residual_sd=0.7)
    source = CsvLearners(table, calibration)
    offsets = np.array([-0.2, 0.0, 0.2, 0.1, -0.3])  # the simulator's subject offsets, in order
    means = [-0.4 + 0.3 + 0.25 + 0.0 + 0.15, -0.4 + 0.8 + 0.45 + 0.6 + 0.5]
    rng = np.random.default_rng(0)
    draws: dict[int, list[tuple[float, ...]]] = {0: [], 1: []}
    for _ in range(3000):
        learner = source.draw(rng)
        draws[learner.age == 16].append(learner.theta)
    for row, thetas in draws.items():
        theta = np.array(thetas)
        assert len(theta) > 1300
        se = 0.7 / np.sqrt(len(theta))
        np.testing.assert_allclose(theta.mean(axis=0), means[row] + offsets, atol=4 * se)
        np.testing.assert_allclose(theta.std(axis=0), 0.7, atol=4 * 0.7 / np.sqrt(2 * len(theta)))


def test_several_pools_are_the_simulated_pools_of_consecutive_seeds() -> None:
    """With `n_pools` k the pools are drawn with seeds pool_seed, pool_seed + 1, ..., held one
    after another: the tutors of pool j are those of the single pool of seed pool_seed + j."""
    env = TutorMatchingEnv(n_tutors=20, pool_seed=7, n_pools=3)
    for j in range(3):
        alone = TutorMatchingEnv(n_tutors=20, pool_seed=7 + j).tutors
        np.testing.assert_array_equal(env.tutors.quality[20 * j : 20 * (j + 1)], alone.quality)
        np.testing.assert_array_equal(env.tutors.rating[20 * j : 20 * (j + 1)], alone.rating)


def test_simulated_learners_come_in_blocks_of_1_2_4_in_the_order_drawn() -> None:
    """Learners are drawn from the population model in blocks that double up to the block size
    and are met in the order drawn, so a generator gives the same learners to the episodes as
    `sample_learners` called with 1, 2, 4, 4 does; `clear()` starts again from a block of one."""
    from aura.envs.learners import SimulatedLearners
    from aura.sim.population import sample_learners

    source = SimulatedLearners(block=4)
    for _ in range(2):  # a block of one, then one of two with a learner left over
        source.draw(np.random.default_rng(5))
    source.clear()  # forgets the one left over and starts again from a block of one
    rng = np.random.default_rng(9)
    met = [source.draw(rng) for _ in range(11)]
    rng = np.random.default_rng(9)
    theta = np.vstack([sample_learners(rng, n).theta for n in (1, 2, 4, 4)])
    np.testing.assert_array_equal(np.array([learner.theta for learner in met]), theta)
    source.clear()
    assert source.draw(np.random.default_rng(9)) == met[0]


def test_the_ability_calibration_is_one_linear_model_shared_by_the_subjects() -> None:
    """The calibration says theta_s ~ N(SUBJECT_OFFSETS[s] + intercept + coef . x, sd^2): one
    intercept and one coef for every subject. Its maximum-likelihood fit is ordinary least
    squares over every (learner, subject) pair of the final ability less the subject's offset,
    which scikit-learn gives here on the simulated dataset the calibration is fitted to; sd is
    the spread of those residuals."""
    import pandas as pd
    from sklearn.linear_model import LinearRegression

    from aura.envs.learners import AbilityCalibration
    from aura.sim.generate import generate

    calibration = AbilityCalibration.fit(3, n_learners=600, n_tutors=20)
    data = generate(3, 600, 20, 1200)
    learners = data.learners
    level = {"Beginner": 0.0, "Intermediate": 1.0, "Advanced": 2.0}
    x = np.column_stack(
        [
            learners["learning_progress_score"],
            learners["success_rate"],
            learners["preferred_difficulty"].map(level),
            learners["grade_level"],
        ]
    )
    offsets = np.array([-0.2, 0.0, 0.2, 0.1, -0.3])
    subjects = ("math", "science", "english", "history", "coding")
    y = pd.concat(
        [data.learners_truth[f"theta_final_{s}"] - offsets[i] for i, s in enumerate(subjects)]
    ).to_numpy()
    stacked = np.vstack([x] * len(subjects))
    model = LinearRegression().fit(stacked, y)
    assert calibration.intercept == pytest.approx(model.intercept_, rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(calibration.coef, model.coef_, rtol=1e-9, atol=1e-9)
    residual = y - model.predict(stacked)
    assert calibration.residual_sd == pytest.approx(residual.std(), rel=1e-9)


def test_the_filter_s_posterior_and_moves_follow_bayes_rule_by_hand() -> None:
    """The model-based filter's belief over ability, worked out on its grid: before the first
    move it is the prior N(0, 3^2) times the chance of being placed at the level met (the normal
    mass, sd 0.5, between the cuts halfway between levels around theta - ln(0.84 / 0.16) / 1.7)
    times the chance of the diagnostic block's k of n successes; after each later block it is
    multiplied by that block's chance and carried to where each ability grows by the block's
    gain, 0.12 flow(p) attention (0.5 + engagement) sqrt(duration); its move is the one whose
    next block has the largest expected gain under the belief."""
    from scipy.stats import norm

    from aura.envs.ceilings import ABILITY_GRID, DifficultyFilter

    grid = ABILITY_GRID
    cuts = {-1.2: (-np.inf, -0.6), 0.0: (-0.6, 0.6), 1.2: (0.6, np.inf)}

    def chance(env: DifficultyAdaptationEnv, b: float) -> np.ndarray:
        n = env.items_per_step
        k = round(env.last_success_rate * n)
        p = 1.0 / (1.0 + np.exp(-IRT_SCALE * (grid - b)))
        return p**k * (1.0 - p) ** (n - k)

    def gain(env: DifficultyAdaptationEnv, b: float) -> np.ndarray:
        p = 1.0 / (1.0 + np.exp(-IRT_SCALE * (grid - b)))
        flow = np.exp(-0.5 * ((p - OPTIMAL_SUCCESS) / FLOW_WIDTH) ** 2)
        duration = env.items_per_step / ITEMS_PER_HOUR
        return LEARNING_RATE * flow * env.attention * (0.5 + env.engagement) * math.sqrt(duration)

    env = DifficultyAdaptationEnv(max_steps=6)
    for seed in range(6):
        policy = DifficultyFilter()
        obs, _ = env.reset(seed=seed)
        low, high = cuts[env.b]
        target = grid - math.log(OPTIMAL_SUCCESS / (1 - OPTIMAL_SUCCESS)) / IRT_SCALE
        placed = norm.cdf((high - target) / 0.5) - norm.cdf((low - target) / 0.5)
        belief = norm.pdf(grid / 3.0) * placed * chance(env, env.b)
        for t in range(env.max_steps):
            if t > 0:
                belief = belief * chance(env, env.b)
                belief = np.interp(grid, grid + gain(env, env.b), belief, left=0.0, right=0.0)
            belief = belief / belief.sum()
            expected = [
                belief @ gain(env, min(6.0, max(-4.0, env.b + 0.3 * (a - 1)))) for a in (0, 1, 2)
            ]
            move = policy.act(obs, env)
            np.testing.assert_allclose(policy.posterior, belief, rtol=1e-9, atol=1e-300)
            assert move == int(np.argmax(expected)), (seed, t)
            obs, _, terminated, truncated, _ = env.step(move)
            if terminated or truncated:
                break


def test_tutor_matching_sessions_are_set_at_the_level_of_a_noisy_estimate() -> None:
    """Each session is set, as the logged platform sets it, at the level (-1.2, 0 or 1.2)
    nearest the 84%-success difficulty of the ability plus a placement error of sd 0.5, and
    runs 12 items an hour: every session's success rate is the share of its stored uniform
    draws below sigmoid(1.7 (theta - b)) at that level, and the stored errors have mean 0 and
    sd 0.5 (within 4 standard errors over 3,000 sessions)."""
    env = TutorMatchingEnv(episode_length=6)
    errors = []
    for seed in range(500):
        env.reset(seed=seed)
        theta = env.learner.theta[env.learner.subject_preference]
        for k in range(env.episode_length):
            error, duration = env._placement_noise[k], env._durations[k]
            target = theta + error - math.log(OPTIMAL_SUCCESS / (1 - OPTIMAL_SUCCESS)) / IRT_SCALE
            b = min(LEVELS, key=lambda level: abs(level - target))
            n = max(1, round(ITEMS_PER_HOUR * duration))
            p = _sigmoid(IRT_SCALE * (theta - b))
            success = float(np.sum(env._item_draws[k, :n] < p)) / n
            *_, info = env.step((seed + k) % 5)
            assert info["exercise_success_rate"] == success, (seed, k)
            errors.append(error)
            theta += info["gain"]
    errors_ = np.array(errors)
    se = 0.5 / math.sqrt(len(errors_))
    assert abs(errors_.mean()) < 4 * se
    assert abs(errors_.std() - 0.5) < 4 * 0.5 / math.sqrt(2 * len(errors_))


def test_difficulty_engagement_shocks_have_the_documented_spread() -> None:
    """The block-to-block shock to the engagement logit is normal with sd 0.3, one per block
    (the diagnostic block's and max_steps more): over 400 episodes the stored shocks have mean
    0 and sd 0.3 within 4 standard errors."""
    env = DifficultyAdaptationEnv(max_steps=20)
    shocks = []
    for seed in range(400):
        env.reset(seed=seed)
        assert len(env._shocks) == 21
        shocks += env._shocks
    values = np.array(shocks)
    assert abs(values.mean()) < 4 * 0.3 / math.sqrt(len(values))
    assert abs(values.std() - 0.3) < 4 * 0.3 / math.sqrt(2 * len(values))
