"""The two environments: API conformance, determinism, bounds, and that context matters."""

from __future__ import annotations

import math
import re
import warnings

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
from gymnasium.utils.env_checker import check_env as gym_check_env
from hypothesis import given, settings
from hypothesis import strategies as st
from stable_baselines3.common.env_checker import check_env as sb3_check_env

import aura.envs as E
from aura.envs.difficulty import DifficultyAdaptationEnv
from aura.envs.tutor_matching import TutorMatchingEnv
from aura.sim.vocab import LANGUAGES, LEARNING_STYLES, SUBJECTS, TIME_SLOTS

ENV_IDS = (E.TUTOR_MATCHING_ID, E.DIFFICULTY_ID)


def rollout(env: gym.Env, seed: int, actions: list[int]) -> tuple[list, list, list]:
    """Observations, rewards and flags of one episode driven by `actions` (cycled)."""
    obs, _ = env.reset(seed=seed)
    observations, rewards, flags = [obs], [], []
    for t in range(10_000):
        obs, reward, terminated, truncated, _ = env.step(actions[t % len(actions)])
        observations.append(obs)
        rewards.append(reward)
        flags.append((terminated, truncated))
        if terminated or truncated:
            break
    return observations, rewards, flags


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_passes_both_env_checkers_without_warnings(env_id: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gym_check_env(gym.make(env_id).unwrapped)
        sb3_check_env(gym.make(env_id).unwrapped, warn=True)


@pytest.mark.parametrize("env_id", ENV_IDS)
def test_reset_with_a_seed_reproduces_the_episode(env_id: str) -> None:
    env = gym.make(env_id)
    actions = [0, 2, 1, 1, 2, 0, 2]
    first = rollout(env, 11, actions)
    rollout(env, 12, actions)  # something else in between
    again = rollout(env, 11, actions)
    assert np.array_equal(np.array(first[0]), np.array(again[0]))
    assert first[1:] == again[1:]
    other = rollout(env, 13, actions)
    assert not np.array_equal(np.array(first[0][0]), np.array(other[0][0]))


@pytest.mark.parametrize("env_id", ENV_IDS)
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), actions=st.lists(st.integers(0, 2), min_size=1, max_size=60))
def test_observations_stay_in_bounds_and_rewards_are_finite(env_id, seed, actions) -> None:
    env = gym.make(env_id)
    observations, rewards, flags = rollout(env, seed, actions)
    for obs in observations:
        assert obs.dtype == np.float32 and obs.shape == env.observation_space.shape
        assert env.observation_space.contains(obs)
    assert all(math.isfinite(r) for r in rewards)
    assert flags[-1][0] or flags[-1][1]
    assert not any(t and u for t, u in flags)


def test_make_passes_keyword_options() -> None:
    tm = gym.make(E.TUTOR_MATCHING_ID, episode_length=3, n_tutors=20, pool_seed=5)
    assert len(rollout(tm, 0, [4])[1]) == 3
    assert len(tm.unwrapped.tutors) == 20
    da = gym.make(E.DIFFICULTY_ID, max_steps=7, disengage_threshold=0.0)
    _, rewards, flags = rollout(da, 0, [1])
    assert len(rewards) == 7 and flags[-1] == (False, True)


def test_bad_options_and_actions_are_named() -> None:
    with pytest.raises(ValueError, match="episode_length"):
        TutorMatchingEnv(episode_length=0)
    with pytest.raises(ValueError, match="reward_weights"):
        TutorMatchingEnv(reward_weights={"engagement_score": 1.0})
    with pytest.raises(ValueError, match="step_size"):
        DifficultyAdaptationEnv(step_size=0.0)
    for env, bad, message in (
        (TutorMatchingEnv(), 7, "strategy index 0..4, got 7"),
        (DifficultyAdaptationEnv(), 3, "0 (decrease), 1 (maintain) or 2 (increase), got 3"),
    ):
        with pytest.raises(RuntimeError, match=r"call reset\(\) before step\(\)"):
            env.step(0)
        env.reset(seed=0)
        with pytest.raises(ValueError, match=re.escape(message)):
            env.step(bad)


@pytest.mark.parametrize(
    ("env_id", "option", "value", "message"),
    [
        (E.TUTOR_MATCHING_ID, "episode_length", 2.5, "episode_length must be a positive integer"),
        (E.TUTOR_MATCHING_ID, "episode_length", True, "episode_length must be a positive integer"),
        (E.TUTOR_MATCHING_ID, "n_tutors", 2.5, "n_tutors must be a positive integer, got 2.5"),
        (E.TUTOR_MATCHING_ID, "pool_seed", -1, "pool_seed must be an integer >= 0, got -1"),
        (E.TUTOR_MATCHING_ID, "calibration_seed", -1, "calibration_seed must be an integer >= 0"),
        (E.TUTOR_MATCHING_ID, "success_threshold", math.nan, "success_threshold must be a finite"),
        (E.TUTOR_MATCHING_ID, "success_threshold", "high", "success_threshold must be a finite"),
        (
            E.TUTOR_MATCHING_ID,
            "reward_weights",
            {"learning_outcome_score": math.nan, "engagement_score": 0.3},
            "reward_weights.learning_outcome_score must be a finite number, got nan",
        ),
        (E.TUTOR_MATCHING_ID, "reward_weights", [0.7, 0.3], "reward_weights must give"),
        (
            E.TUTOR_MATCHING_ID,
            "reward_weights",
            {"learning_outcome_score": 0, "engagement_score": 0.0},
            "reward_weights must give at least one outcome a positive weight",
        ),
        (
            E.TUTOR_MATCHING_ID,
            "reward_weights",
            {"learning_outcome_score": 1e308, "engagement_score": 1e308},
            "reward_weights sum to inf, so an episode of 12 sessions could return inf, above",
        ),
        (
            E.TUTOR_MATCHING_ID,
            "reward_weights",
            {"learning_outcome_score": 1e200, "engagement_score": 0.0},
            "reward_weights sum to 1e+200, so an episode of 12 sessions could return 1.2e+201",
        ),
        (E.TUTOR_MATCHING_ID, "episode_length", "12", "episode_length must be a positive integer"),
        (  # every step's draws are made at reset: numpy's MemoryError for 74.5 GiB, no option
            E.TUTOR_MATCHING_ID,
            "episode_length",
            10**10,
            "episode_length must be a positive integer of at most 1,000,000, got 10000000000",
        ),
        (
            E.DIFFICULTY_ID,
            "max_steps",
            10**10,
            "max_steps must be a positive integer of at most 1,000,000, got 10000000000",
        ),
        (E.DIFFICULTY_ID, "max_steps", math.inf, "max_steps must be a positive integer of"),
        (E.DIFFICULTY_ID, "items_per_step", 1.9, "items_per_step must be a positive integer"),
        (E.DIFFICULTY_ID, "step_size", math.inf, "step_size must be a finite number, got inf"),
        (E.DIFFICULTY_ID, "step_size", "0.3", "step_size must be a finite number, got '0.3'"),
        (E.DIFFICULTY_ID, "disengage_threshold", None, "disengage_threshold must be a finite"),
        (E.DIFFICULTY_ID, "calibration_seed", -1, "calibration_seed must be an integer >= 0"),
    ],
)
def test_an_option_of_the_wrong_kind_is_named(
    env_id: str, option: str, value: object, message: str
) -> None:
    """`episode_length=2.5` ran episodes of 2 steps, `max_steps=inf` ended in an OverflowError,
    `pool_seed=-1` in numpy's words twelve frames down, a NaN weight made every reward NaN."""
    with pytest.raises(ValueError, match=re.escape(message)):
        gym.make(env_id, **{option: value})


def test_numpy_integers_and_booleans_are_options_like_any_other() -> None:
    env = gym.make(
        E.TUTOR_MATCHING_ID, n_pools=np.int64(2), tutor_features=np.bool_(True), n_tutors=5
    )
    assert env.unwrapped.tutor_features is True and len(env.unwrapped.tutors) == 10


@pytest.mark.parametrize("env_id", [E.EXACT_REWARD_ID, E.RELATIVE_REWARD_ID])
def test_a_reward_variant_stepped_past_the_episode_says_so(env_id: str) -> None:
    """It ended in an IndexError from the expected rewards of a session that does not exist."""
    env = gym.make(env_id, episode_length=2)
    env.reset(seed=0)
    env.step(1)
    env.step(1)
    with pytest.raises(RuntimeError, match="episode is over"):
        env.step(1)


def test_tutor_matching_reward_is_the_weighted_session_outcome() -> None:
    env = TutorMatchingEnv(reward_weights={"learning_outcome_score": 0.7, "engagement_score": 0.3})
    env.reset(seed=3)
    _, reward, _, _, info = env.step(1)
    expected = 0.7 * info["learning_outcome_score"] + 0.3 * info["engagement_score"]
    assert reward == pytest.approx(expected)
    assert info["tutor_id"] == env.strategy_tutors[1] + 1


@pytest.mark.parametrize("n_pools", [1, 3])
def test_expected_rewards_of_many_states_at_once_are_those_of_each_state_alone(
    n_pools: int,
) -> None:
    """The observation ceiling learns from states whose expected rewards are computed together;
    they must be, to the last bit, what the oracle reads at each step. Episodes of random
    strategies mix every session length, so the grouping by length is exercised; with several
    pools, states of different pools are computed together too."""
    env = TutorMatchingEnv(n_pools=n_pools)
    rng = np.random.default_rng(0)
    contexts, tutors, one_by_one = [], [], []
    for seed in range(40):
        env.reset(seed=seed)
        done = False
        while not done:
            contexts.append(env.upcoming_context())
            tutors.append(env.strategy_tutors)
            one_by_one.append(env.expected_rewards())
            _, _, done, _, _ = env.step(int(rng.integers(5)))
    assert len({c.duration_hours[0] for c in contexts}) > 1
    together = env.expected_rewards_at(contexts, tutors)
    np.testing.assert_array_equal(together, np.array(one_by_one))
    assert env.expected_rewards_at([], []).shape == (0, 5)


def test_several_pools_are_drawn_episode_by_episode_and_each_picks_its_own_tutors() -> None:
    one = TutorMatchingEnv(n_tutors=30, pool_seed=4)
    env = TutorMatchingEnv(n_tutors=30, pool_seed=4, n_pools=3)
    assert len(env.tutors) == 90
    np.testing.assert_array_equal(env.tutors.quality[:30], one.tutors.quality)
    seen = set()
    for seed in range(30):
        env.reset(seed=seed)
        seen.add(env.pool_index)
        start = 30 * env.pool_index
        assert np.all((start <= env.strategy_tutors) & (env.strategy_tutors < start + 30))
        one.reset(seed=seed)
        assert env.learner == one.learner, "the learner is drawn before the pool"
        if env.pool_index == 0:  # the first pool is the single pool of the same seed
            np.testing.assert_array_equal(env.strategy_tutors, one.strategy_tutors)
    assert seen == {0, 1, 2}
    gym_check_env(gym.make(E.TUTOR_MATCHING_ID, n_pools=3).unwrapped, skip_render_check=True)
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match=f"n_pools must be a positive integer, got {bad!r}"):
            TutorMatchingEnv(n_pools=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("n_pools", [1, 3])
def test_tutor_features_show_each_strategys_tutor_and_change_nothing_else(n_pools: int) -> None:
    """The added columns are, strategy by strategy, the observed attributes of the very tutor
    that strategy picks (info's tutor ids), the same all episode; the first eight columns, the
    rewards and the draws are those of the plain environment."""
    from aura.envs.tutor_matching import TUTOR_FEATURES, observation_features

    plain = TutorMatchingEnv(n_pools=n_pools)
    env = TutorMatchingEnv(n_pools=n_pools, tutor_features=True)
    width = len(observation_features(True))
    assert env.observation_space.shape == (width,) == (8 + 5 * len(TUTOR_FEATURES),)
    t = env.tutors
    for seed in range(12):
        obs, info = env.reset(seed=seed)
        plain_obs, _ = plain.reset(seed=seed)
        np.testing.assert_array_equal(obs[:8], plain_obs)
        ids = np.array(info["tutor_ids_by_strategy"]) - 1
        learner = env.learner
        expected = np.column_stack(
            [
                (t.rating[ids] - 1) / 4,
                t.expertise_observed[ids, learner.subject_preference],
                (t.communication_rating[ids] - 1) / 4,
                t.teaching_style[ids] == learner.learning_style,
                t.language[ids] == learner.language,
            ]
        ).ravel()
        np.testing.assert_allclose(obs[8:], expected, rtol=1e-6)
        assert env.observation_space.contains(obs)
        for action in (0, 3, 4):
            obs, reward, *_ = env.step(action)
            plain_obs, plain_reward, *_ = plain.step(action)
            np.testing.assert_array_equal(obs[:8], plain_obs)
            np.testing.assert_allclose(obs[8:], expected, rtol=1e-6)
            assert reward == plain_reward
    gym_check_env(
        gym.make(E.TUTOR_MATCHING_ID, tutor_features=True).unwrapped, skip_render_check=True
    )
    for bad in (1, "yes", None):
        with pytest.raises(ValueError, match=f"tutor_features must be true or false, got {bad!r}"):
            TutorMatchingEnv(tutor_features=bad)  # type: ignore[arg-type]


def test_simulated_pool_options_are_refused_with_a_tutors_csv(csv_dir) -> None:
    tutors = csv_dir / "tutors_data.csv"
    with pytest.raises(ValueError, match="n_pools draws a simulated tutor pool; a tutors_csv is"):
        TutorMatchingEnv(n_pools=2, tutors_csv=tutors)
    with pytest.raises(ValueError, match="^n_tutors draws a simulated"):
        TutorMatchingEnv(n_tutors=5, tutors_csv=tutors)  # had run on the CSV's own tutors
    with pytest.raises(ValueError, match="^n_tutors and pool_seed draw"):
        TutorMatchingEnv(n_tutors=100, pool_seed=0, tutors_csv=tutors)  # the defaults, given
    assert len(TutorMatchingEnv(tutors_csv=tutors).tutor_ids) == len(pd.read_csv(tutors))
    simulated = TutorMatchingEnv()
    assert len(simulated.tutor_ids) == 100, "n_tutors left out is 100, pool_seed 0"
    same = TutorMatchingEnv(n_tutors=100, pool_seed=0)
    assert np.array_equal(simulated.tutors.quality, same.tutors.quality)


def test_tutor_matching_oracle_beats_the_best_fixed_strategy_by_a_margin() -> None:
    table = E.baseline_table(E.TUTOR_MATCHING_ID, E.tutor_matching_baselines(), 300, 1000)
    fixed = table.loc[table.index.str.startswith("fixed:"), "normalised_score"]
    assert fixed.max() <= 0.85, table
    assert table.loc["oracle", "mean_return"] > table["mean_return"].drop("oracle").max()


def test_tutor_matching_oracle_choice_depends_on_the_learner() -> None:
    """Kinds of learners (same subject, time slot and learning style, so the same five candidate
    tutors) get different oracle choices; no strategy is chosen for most learners."""
    env = TutorMatchingEnv()
    oracle = E.TutorMatchingOracle()
    by_kind: dict[tuple[int, int, int], list[int]] = {}
    for seed in range(1500):
        obs, _ = env.reset(seed=seed)
        kind = (env.subject, env.slot, env.learner.learning_style)
        by_kind.setdefault(kind, []).append(oracle.act(obs, env))
    modes = [np.bincount(v, minlength=5).argmax() for v in by_kind.values() if len(v) >= 10]
    assert len(set(modes)) >= 3, modes
    overall = np.bincount(sum(by_kind.values(), []), minlength=5) / 1500
    assert overall.max() < 0.6, overall


def test_difficulty_oracle_keeps_flow_and_beats_maintain_and_the_staircase() -> None:
    table = E.baseline_table(E.DIFFICULTY_ID, E.difficulty_baselines(), 300, 1000)
    oracle = table.loc["oracle"]
    assert abs(oracle["mean_success_rate"] - 0.84) < 0.03, table
    assert oracle["mean_return"] > table.loc["fixed:maintain", "mean_return"]
    assert oracle["mean_return"] > table.loc["staircase", "mean_return"]
    assert table.loc["staircase", "mean_return"] > table.loc["random", "mean_return"]


def test_evaluation_accepts_callables_models_and_baselines_alike() -> None:
    class Model:
        def predict(self, obs, deterministic=True):
            return np.int64(4), None

    results = [
        E.evaluate_policy(E.TUTOR_MATCHING_ID, policy, 20, 7)
        for policy in (lambda obs: 4, Model(), E.FixedPolicy(4, "balanced"))
    ]
    assert results[0] == results[1] == results[2]
    r = results[0]
    assert r.std_return == pytest.approx(np.std(r.returns))
    assert r.consistency == pytest.approx(1 - r.std_return / r.mean_return)
    assert r.mean_length == 12
    with pytest.raises(TypeError, match="policy must"):
        E.evaluate_policy(E.TUTOR_MATCHING_ID, 3, 1, 0)


class ObservationRule:
    """A memoryless rule on the observation, with or without a batched form."""

    name = "rule"

    def __init__(self, n_actions: int) -> None:
        self.n_actions = n_actions

    def reset(self) -> None:
        pass

    def act(self, obs, env) -> int:
        return int(self.act_batch(np.asarray(obs)[None])[0])

    def act_batch(self, observations):
        return (observations.sum(axis=1) * 7).astype(int) % self.n_actions


class OneAtATime:
    def __init__(self, policy) -> None:
        self.policy, self.name = policy, policy.name

    def reset(self) -> None:
        self.policy.reset()

    def act(self, obs, env) -> int:
        return self.policy.act(obs, env)


@pytest.mark.parametrize(("env_id", "n_actions"), [(E.TUTOR_MATCHING_ID, 5), (E.DIFFICULTY_ID, 3)])
def test_batched_policies_in_lockstep_return_what_one_episode_at_a_time_returns(
    env_id: str, n_actions: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aura.envs import evaluation

    monkeypatch.setattr(evaluation, "LOCKSTEP_EPISODES", 7)  # 20 episodes in 3 chunks
    rule = ObservationRule(n_actions)
    lockstep = E.evaluate_policy(env_id, rule, 20, 11)
    alone = E.evaluate_policy(env_id, OneAtATime(rule), 20, 11)
    assert lockstep == alone
    assert lockstep.summary == alone.summary
    assert len(set(lockstep.returns)) > 1


@pytest.fixture(scope="module")
def csv_dir(tmp_path_factory):
    from aura.sim import write_datasets

    out = tmp_path_factory.mktemp("data")
    write_datasets(out, seed=5, n_learners=300, n_tutors=30, n_sessions=600)
    return out


def test_environments_run_on_a_platforms_csvs(csv_dir) -> None:
    from aura.data import load_table

    learners, tutors = csv_dir / "learners_data.csv", csv_dir / "tutors_data.csv"
    tm = gym.make(E.TUTOR_MATCHING_ID, learners_csv=learners, tutors_csv=tutors)
    inner = tm.unwrapped
    table = load_table(tutors, kind="tutors")
    assert len(inner.tutors) == len(table)
    truth = pd.read_csv(csv_dir / "truth" / "tutors_truth.csv")
    assert np.allclose(inner.tutors.quality, truth["quality"])
    _, rewards, _ = rollout(tm, 1, [0, 4])
    assert len(rewards) == 12 and all(math.isfinite(r) for r in rewards)
    # Each episode's learner is a row of the CSV: every observed field, floats included, is
    # that row's (a simulated learner would match no row).
    rows = load_table(learners, kind="learners")
    vocab = {
        "learning_style": LEARNING_STYLES,
        "subject_preference": SUBJECTS,
        "time_preference": TIME_SLOTS,
        "language": LANGUAGES,
    }
    observed = set(
        zip(
            rows["age"],
            rows["grade_level"],
            rows["comfort_level_online"],
            rows["attention_span_minutes"],
            *(rows[column].map(names.index) for column, names in vocab.items()),
            strict=True,
        )
    )
    for episode_seed in range(5):
        tm.reset(seed=episode_seed)
        p = inner.learner
        profile = (p.age, p.grade_level, p.comfort, p.attention_span, p.learning_style)
        profile += (p.subject_preference, p.time_preference, p.language)
        assert profile in observed, profile
    da = gym.make(E.DIFFICULTY_ID, learners_csv=learners)
    _, rewards, _ = rollout(da, 1, [1])
    assert rewards and all(math.isfinite(r) for r in rewards)


def test_a_tutors_csv_without_truth_uses_the_observed_proxies(csv_dir, tmp_path) -> None:
    """A platform's export has no hidden truth: quality is read from teaching_effectiveness."""
    import shutil

    from aura.data import load_table

    tutors = tmp_path / "tutors_data.csv"
    shutil.copy(csv_dir / "tutors_data.csv", tutors)
    inner = TutorMatchingEnv(tutors_csv=tutors)
    table = load_table(tutors, kind="tutors")
    assert np.allclose(inner.tutors.quality, table["teaching_effectiveness"])


def test_an_edited_tutors_csv_leaves_the_truth_beside_it_unread(csv_dir, tmp_path) -> None:
    """The truth beside a simulated folder is of the tables the simulator wrote: a tutor added
    to a copy stopped the environment with pandas' KeyError ('[31] not in index'), and a tutor
    changed in it kept the hidden quality of the one it replaced. An edited copy is read as a
    platform's export, from its observed columns; the folder as written keeps its truth."""
    import shutil

    from aura.data import load_table

    folder = tmp_path / "data"
    shutil.copytree(csv_dir, folder)
    tutors = folder / "tutors_data.csv"
    table = pd.read_csv(tutors, dtype=str, keep_default_na=False)
    added = table.iloc[[0]].assign(tutor_id=str(len(table) + 1))
    pd.concat([table, added]).to_csv(tutors, index=False)
    inner = TutorMatchingEnv(tutors_csv=tutors)
    edited = load_table(tutors, kind="tutors")
    assert len(inner.tutors) == len(table) + 1
    assert np.allclose(inner.tutors.quality, edited["teaching_effectiveness"])
    written = TutorMatchingEnv(tutors_csv=csv_dir / "tutors_data.csv")
    truth = pd.read_csv(csv_dir / "truth" / "tutors_truth.csv")
    assert np.allclose(written.tutors.quality, truth["quality"])


def test_tutors_from_a_csv_are_named_by_its_own_ids(csv_dir, tmp_path) -> None:
    """info gave row numbers + 1 as ids: right for the simulator's tables (1..n in order), wrong
    for a platform's export with ids of its own."""
    table = pd.read_csv(csv_dir / "tutors_data.csv").iloc[::-1]
    table["tutor_id"] += 1000
    tutors = tmp_path / "tutors_data.csv"
    table.to_csv(tutors, index=False)
    env = TutorMatchingEnv(tutors_csv=tutors)
    _, info = env.reset(seed=0)
    ids = table["tutor_id"].to_numpy()
    assert info["tutor_ids_by_strategy"] == ids[env.strategy_tutors].tolist()
    assert min(info["tutor_ids_by_strategy"]) > 1000
    _, _, _, _, step = env.step(3)
    assert step["tutor_id"] == info["tutor_ids_by_strategy"][3]


def test_environments_on_one_csv_share_its_pool_read_once_and_read_a_changed_file_again(
    csv_dir, tmp_path
) -> None:
    """An evaluation makes an environment per episode: the CSVs are read once, shared read-only,
    and a file written again (a new export) is read again."""
    import shutil

    tutors, learners = tmp_path / "tutors_data.csv", tmp_path / "learners_data.csv"
    shutil.copy(csv_dir / "tutors_data.csv", tutors)
    shutil.copy(csv_dir / "learners_data.csv", learners)
    first = TutorMatchingEnv(tutors_csv=tutors, learners_csv=learners)
    second = TutorMatchingEnv(tutors_csv=str(tutors), learners_csv=str(learners))
    assert second.tutors is first.tutors and second.learners is first.learners
    with pytest.raises(ValueError, match="read-only"):
        first.tutors.rating[0] = 5.0
    with pytest.raises(ValueError, match="read-only"):
        first.learners.learners.age[0] = 30
    lines = tutors.read_text().splitlines()
    tutors.write_text("\n".join(lines[:-1]) + "\n")  # one tutor fewer
    again = TutorMatchingEnv(tutors_csv=tutors)
    assert len(again.tutors) == len(first.tutors) - 1


def test_a_bad_learners_csv_is_rejected_by_name(csv_dir, tmp_path) -> None:
    from aura.data import DataValidationError

    bad = tmp_path / "learners_data.csv"
    text = (csv_dir / "learners_data.csv").read_text().splitlines()
    header = text[0].split(",")
    row = text[1].split(",")
    row[header.index("age")] = "-4"
    bad.write_text("\n".join([text[0], ",".join(row), *text[2:]]) + "\n")
    with pytest.raises(DataValidationError, match="age"):
        TutorMatchingEnv(learners_csv=bad)


def test_every_reset_can_be_stepped_and_a_finished_episode_cannot() -> None:
    env = DifficultyAdaptationEnv(disengage_threshold=0.9)
    for seed in range(30):
        env.reset(seed=seed)
        _, _, terminated, truncated, _ = env.step(1)
        while not (terminated or truncated):
            _, _, terminated, truncated, _ = env.step(1)
        with pytest.raises(RuntimeError, match="episode is over"):
            env.step(1)


def test_a_csv_learners_ability_is_drawn_as_the_simulator_spreads_it() -> None:
    """A platform's learner has no hidden ability; the environment draws one around a linear
    calibration from the observed profile. On fresh simulated learners, the calibration must
    predict their true final ability clearly better than one constant (which coefficients of
    zero would give), and its residual spread, the noise of each draw, must be the one found on
    them: too small a noise would make CSV learners easier to read than simulated ones."""
    from aura.envs.learners import AbilityCalibration
    from aura.sim.generate import generate
    from aura.sim.population import SUBJECT_OFFSETS
    from aura.sim.vocab import SUBJECTS

    calibration = AbilityCalibration.fit(0)
    data = generate(9, 2000, 40, 4000)
    truth = np.column_stack([data.learners_truth[f"theta_final_{s}"] for s in SUBJECTS])
    rmse = np.sqrt(((truth - calibration.mean(data.learners)) ** 2).mean())
    general = truth - SUBJECT_OFFSETS[None, :]
    constant_rmse = np.sqrt(((general - general.mean()) ** 2).mean())
    assert rmse < 0.95 * constant_rmse, (rmse, constant_rmse)  # measured 0.881 against 1.012
    assert abs(rmse - calibration.residual_sd) < 0.05, (rmse, calibration.residual_sd)


def test_the_staircase_counts_84_percent_success_as_no_drift() -> None:
    """Kaernbach's weighted staircase by hand, on blocks of five items aimed at 84%: each solved
    item adds 0.16, each failed one takes 0.84, and a count past +1 or -1 moves the difficulty
    and restarts. Five of five twice (0.8, then 1.6) goes up on the second block; three of five
    (0.48 - 1.68 = -1.2) goes down at once; a new episode forgets the count."""
    from types import SimpleNamespace

    from aura.envs.difficulty import DECREASE, INCREASE, MAINTAIN

    def block(policy: E.WeightedStaircase, solved: int) -> int:
        env = SimpleNamespace(
            unwrapped=SimpleNamespace(items_per_step=5, last_success_rate=solved / 5)
        )
        return policy.act(np.zeros(1), env)  # type: ignore[arg-type]

    staircase = E.WeightedStaircase()
    assert [block(staircase, 5) for _ in range(3)] == [MAINTAIN, INCREASE, MAINTAIN]
    assert staircase.count == pytest.approx(0.8)
    staircase.reset()
    assert [block(staircase, 3), block(staircase, 0)] == [DECREASE, DECREASE]
    assert [block(staircase, 4) for _ in range(4)] == [MAINTAIN] * 4  # -0.2 a block
    assert staircase.count == pytest.approx(-0.8)
    staircase.reset()
    assert block(staircase, 5) == MAINTAIN and staircase.count == pytest.approx(0.8)


def test_the_random_reference_draws_its_actions_from_the_seed_it_is_given() -> None:
    """Random, the scale's zero, is uniform over each environment's actions and seeded by the
    held-out seed it is built with, so the same params give the same R_random, which every
    normalised score is measured from."""
    for make, n_actions in ((E.tutor_matching_baselines, 5), (E.difficulty_baselines, 3)):
        policy = make(11)["random"]
        rng = np.random.default_rng(11)
        expected = [int(rng.integers(n_actions)) for _ in range(300)]
        assert [policy.act(np.zeros(1), None) for _ in range(300)] == expected
        assert set(expected) == set(range(n_actions))


def test_the_baseline_report_table_names_each_measure_in_words() -> None:
    """Notebook 02 printed its baseline tables under the code's names (std_return,
    normalised_score, mean_success_rate); the report table names each measure in words, writes
    it to three decimals and keeps the table as it was."""
    import pandas as pd

    from aura.envs.evaluation import baseline_report_table

    table = pd.DataFrame(
        {
            "mean_return": [11.50649, 26.946],
            "std_return": [8.0474, 10.4772],
            "mean_success_rate": [0.78512, 0.8306],
            "normalised_score": [-0.00004, 1.0],
        },
        index=pd.Index(["random", "oracle"], name="policy"),
    )
    before = table.copy()
    shown = baseline_report_table(table)
    assert list(shown.columns) == [
        "policy",
        "mean return",
        "sd of returns",
        "mean block success",
        "normalised score",
    ]
    assert shown.values.tolist() == [
        ["random", "11.506", "8.047", "0.785", "-0.000"],
        ["oracle", "26.946", "10.477", "0.831", "1.000"],
    ]
    pd.testing.assert_frame_equal(table, before)


def test_the_clone_rounds_report_table_names_its_columns_and_counts_in_words() -> None:
    """Notebook 02 printed its DAgger rounds with the code's ``normalised_score`` and counts
    such as 37291; the report table gives the blocks each clone sees and the round as columns,
    the counts with separators, each measure in words to three decimals, and leaves the table
    as it was."""
    import pandas as pd

    from aura.envs.evaluation import clone_rounds_report_table

    by_round = pd.DataFrame(
        {
            "labelled states": [37291, 74757, 37291],
            "normalised_score": [0.8304, 0.80951, 0.8872],
            "filter's lead": [0.1016, 0.1234, 0.0449],
            "±": [0.0114, 0.0127, 0.0081],
        },
        index=pd.MultiIndex.from_tuples([(1, 0), (1, 1), (2, 0)], names=["window", "round"]),
    )
    before = by_round.copy()
    shown = clone_rounds_report_table(by_round)
    assert list(shown.columns) == [
        "blocks seen",
        "round",
        "labelled states",
        "normalised score",
        "filter's lead",
        "±",
    ]
    assert shown.values.tolist() == [
        ["1", "0", "37,291", "0.830", "0.102", "0.011"],
        ["1", "1", "74,757", "0.810", "0.123", "0.013"],
        ["2", "0", "37,291", "0.887", "0.045", "0.008"],
    ]
    pd.testing.assert_frame_equal(by_round, before)
