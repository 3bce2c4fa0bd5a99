"""Off-policy estimators against the simulator's true policy values."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from aura.evaluation.ope import (
    N_ACTIONS,
    LoggedBandit,
    estimate_policy_value,
    expected_rewards,
    logged_bandit,
    reward_model_predictions,
    true_policy_value,
)
from aura.sim.generate import generate
from aura.sim.matching import logging_policy
from aura.sim.tables import tutors_from_table
from aura.sim.vocab import STRATEGIES


@pytest.fixture(scope="module")
def logs_and_truth():
    data = generate(seed=7, n_learners=3000, n_tutors=60, n_sessions=6000)
    pool = tutors_from_table(data.tutors, data.tutors_truth)
    logs = logged_bandit(data.sessions, data.learners, data.sessions_truth["theta_before"])
    q = reward_model_predictions(logs, pool, seed=0)
    return logs, q, expected_rewards(logs, pool)


def test_true_value_of_logging_policy_matches_logged_mean(logs_and_truth):
    """The simulator's expected rewards are exact: under the logging policy they average to the
    observed mean reward within sampling error."""
    logs, _, expected = logs_and_truth
    mu = logging_policy(logs.context.age, logs.context.comfort)
    value = true_policy_value(mu, expected)
    se = logs.rewards.std() / np.sqrt(len(logs.rewards))
    assert abs(value - logs.rewards.mean()) < 3 * se


def test_recorded_propensities_are_the_logging_policy(logs_and_truth):
    logs, _, _ = logs_and_truth
    mu = logging_policy(logs.context.age, logs.context.comfort)
    recorded = mu[np.arange(len(logs.actions)), logs.actions]
    np.testing.assert_allclose(recorded, logs.propensities, atol=1e-5)


def test_estimators_recover_fixed_strategy_values(logs_and_truth):
    """Every estimate of each fixed strategy's value against the simulator's true value.

    The strategies' true values span 0.739-0.790 around a logged mean of 0.767, so an estimator
    that ignored the target policy would miss three of them by 0.018 or more: SNIPS and DR must
    land within 0.015 (about four of their standard errors, 0.004). Each interval is a 95% one,
    so of the fifteen (three estimators, five strategies) a correct estimator leaves about one
    uncovered; twelve or more are covered with probability 0.995 if the fifteen were independent.
    """
    logs, q, expected = logs_and_truth
    covered = []
    for action in range(N_ACTIONS):
        target = np.zeros((len(logs.actions), N_ACTIONS))
        target[:, action] = 1.0
        truth = true_policy_value(target, expected)
        estimates = {
            e.estimator: e for e in estimate_policy_value(logs, target, q, n_bootstrap=200)
        }
        assert set(estimates) == {"IPS", "SNIPS", "DR"}
        for name in ("SNIPS", "DR"):
            assert abs(estimates[name].value - truth) < 0.015, (
                action,
                name,
                estimates[name],
                truth,
            )
        covered += [e.ci_low <= truth <= e.ci_high for e in estimates.values()]
    assert sum(covered) >= 12, covered


def test_bad_target_shape_and_propensities_are_named(logs_and_truth):
    logs, _, _ = logs_and_truth
    q = np.zeros((len(logs.actions), N_ACTIONS))
    with pytest.raises(ValueError, match="target_probs must have shape"):
        estimate_policy_value(logs, np.ones((3, N_ACTIONS)), q)
    broken = np.array(logs.propensities)
    broken[0] = 0.0
    bad_logs = dataclasses.replace(logs, propensities=broken)
    with pytest.raises(ValueError, match="propensity must be positive"):
        estimate_policy_value(bad_logs, np.full((len(logs.actions), N_ACTIONS), 0.2), q)


def test_missing_log_columns_are_named():
    data = generate(seed=1, n_learners=50, n_tutors=10, n_sessions=80)
    with pytest.raises(ValueError, match="'propensity'"):
        logged_bandit(data.sessions.drop(columns="propensity"), data.learners)


def test_logged_observations_match_the_environment() -> None:
    """A logged session seen through `tutor_matching_observations` gives the floats the
    environment would show its policy in the same state."""
    import pandas as pd

    from aura.envs import TutorMatchingEnv
    from aura.evaluation.ope import tutor_matching_observations
    from aura.sim.vocab import LEARNING_STYLES, SUBJECTS, TIME_SLOTS

    env = TutorMatchingEnv(episode_length=6, n_tutors=20)
    sessions, learners, thetas, expected = [], [], [], []
    for seed in range(25):
        obs, _ = env.reset(seed=seed)
        learner = env.learner
        learners.append(
            {
                "learner_id": seed + 1,
                "age": learner.age,
                "grade_level": learner.grade_level,
                "learning_style": LEARNING_STYLES[learner.learning_style],
            }
        )
        for step in range(3):
            sessions.append(
                {
                    "learner_id": seed + 1,
                    "session_index": step + 1,
                    "comfort_level_online": env.comfort,
                    "subject": SUBJECTS[env.subject],
                    "time_slot": TIME_SLOTS[env.slot],
                }
            )
            thetas.append(env.theta)
            expected.append(obs)
            obs, *_ = env.step(step % 5)
    got = tutor_matching_observations(
        pd.DataFrame(sessions), pd.DataFrame(learners), np.array(thetas), env.episode_length
    )
    np.testing.assert_allclose(got, np.array(expected), atol=1e-6)


def test_off_policy_table_puts_estimates_beside_truth(logs_and_truth) -> None:
    from aura.evaluation.ope import greedy, off_policy_table

    logs, _, expected = logs_and_truth
    data = generate(seed=7, n_learners=3000, n_tutors=60, n_sessions=6000)
    pool = tutors_from_table(data.tutors, data.tutors_truth)
    mu = logging_policy(logs.context.age, logs.context.comfort)
    policies = {"logging": mu, "greedy logging": greedy(mu)}
    table = off_policy_table(logs, pool, policies, expected, seed=0, n_bootstrap=50)
    assert len(table) == 6
    for name, probs in (("logging", mu), ("greedy logging", greedy(mu))):
        rows = table[table.policy == name]
        assert sorted(rows.estimator) == ["DR", "IPS", "SNIPS"], rows
        assert np.allclose(rows.true_value, true_policy_value(probs, expected))
        assert (rows.error == rows.estimate - rows.true_value).all(), rows
        # Under the logging policy every weight is 1, so this is the logged mean against the
        # truth; under its greedy version the weights matter (0.74 of sessions get weight 0).
        assert (rows[rows.estimator != "IPS"].error.abs() < 0.015).all(), rows


def test_strategy_shares_stand_beside_the_oracles_and_its_value_bounds_theirs(
    logs_and_truth,
) -> None:
    from aura.evaluation.ope import greedy, strategy_shares

    logs, _, expected = logs_and_truth
    mu = logging_policy(logs.context.age, logs.context.comfort)
    table = strategy_shares({"logging": mu, "greedy logging": greedy(mu)}, expected)
    shares, values = table.iloc[:-1], table.loc["true value per session"]
    assert list(shares.index) == list(STRATEGIES)
    assert np.allclose(shares.sum(), 1.0)  # every session picks one strategy, or a mix
    assert values["logging"] == pytest.approx(true_policy_value(mu, expected))
    assert (values["best per session (oracle)"] >= values.drop("best per session (oracle)")).all()


def _four_sessions() -> tuple[LoggedBandit, np.ndarray, np.ndarray]:
    """Four logged sessions, a stochastic target policy and a reward model, small enough to
    work every estimator out by hand (the context is not read by the estimators)."""
    logs = LoggedBandit(
        actions=np.array([0, 1, 0, 2]),
        propensities=np.array([0.5, 0.25, 0.4, 0.2]),
        rewards=np.array([1.0, 0.0, 0.5, 0.2]),
        context=None,  # type: ignore[arg-type]
        slot=np.zeros(4, dtype=np.int64),
    )
    target = np.zeros((4, N_ACTIONS))
    target[0, :2] = (0.6, 0.4)
    target[1, :2] = (0.5, 0.5)
    target[2, 0] = 1.0
    target[3, 2:4] = (0.2, 0.8)
    q = np.full((4, N_ACTIONS), 0.3)
    q[:, 0] = 0.6
    q[3, 3] = 0.9
    return logs, target, q


def test_the_estimators_are_dudik_langford_and_li_s_formulas_worked_by_hand() -> None:
    """Weights pi(a|x) / mu(a|x) of the logged actions: 1.2, 2, 2.5 and 1. IPS is the mean of
    w r, (1.2 + 0 + 1.25 + 0.2) / 4; SNIPS divides the same sum by the weights' sum, 6.7; DR is
    the reward model's value of the target policy (0.48, 0.45, 0.6, 0.78) plus w times the
    logged action's residual (0.48, -0.6, -0.25, -0.1), averaged."""
    logs, target, q = _four_sessions()
    estimates = {e.estimator: e for e in estimate_policy_value(logs, target, q, n_bootstrap=20)}
    assert estimates["IPS"].value == pytest.approx(2.65 / 4, rel=1e-12)
    assert estimates["SNIPS"].value == pytest.approx(2.65 / 6.7, rel=1e-12)
    assert estimates["DR"].value == pytest.approx(1.84 / 4, rel=1e-12)


def test_each_interval_is_the_percentile_bootstrap_of_its_estimator_over_the_rows() -> None:
    """Rows drawn with replacement from the seed, each estimator recomputed on every draw, and
    the 2.5% and 97.5% quantiles of the draws: here by a loop over the draws."""
    logs, target, q = _four_sessions()
    estimates = estimate_policy_value(logs, target, q, n_bootstrap=200, seed=3)
    rng, draws = np.random.default_rng(3), {"IPS": [], "SNIPS": [], "DR": []}
    rows = np.arange(4)
    for _ in range(200):
        i = rng.integers(0, 4, size=4)
        w = target[i, logs.actions[i]] / logs.propensities[i]
        r = logs.rewards[i]
        draws["IPS"].append(np.mean(w * r))
        draws["SNIPS"].append(np.sum(w * r) / np.sum(w))
        direct = (target[i] * q[i]).sum(axis=1)
        draws["DR"].append(np.mean(direct + w * (r - q[i][rows, logs.actions[i]])))
    for e in estimates:
        low, high = np.quantile(draws[e.estimator], [0.025, 0.975])
        assert (e.ci_low, e.ci_high) == pytest.approx((low, high), rel=1e-12), e


def test_dr_with_the_true_reward_model_and_noiseless_rewards_is_the_true_value() -> None:
    """Where the reward model is the expected reward and each logged reward is its expectation,
    DR's correction vanishes and it returns the true value whatever the propensities; scoring
    the logging policy itself, every weight is 1 and IPS and SNIPS are the logged mean."""
    rng = np.random.default_rng(0)
    n = 200
    expected = rng.uniform(0.2, 0.9, (n, N_ACTIONS))
    mu = rng.dirichlet(np.ones(N_ACTIONS), n)
    actions = np.array([rng.choice(N_ACTIONS, p=p) for p in mu])
    logs = LoggedBandit(
        actions=actions,
        propensities=mu[np.arange(n), actions],
        rewards=expected[np.arange(n), actions],
        context=None,  # type: ignore[arg-type]
        slot=np.zeros(n, dtype=np.int64),
    )
    target = rng.dirichlet(np.ones(N_ACTIONS), n)
    dr = {e.estimator: e for e in estimate_policy_value(logs, target, expected, n_bootstrap=20)}
    assert dr["DR"].value == pytest.approx(true_policy_value(target, expected), rel=1e-12)
    logged = {e.estimator: e for e in estimate_policy_value(logs, mu, expected, n_bootstrap=20)}
    for name in ("IPS", "SNIPS"):
        assert logged[name].value == pytest.approx(logs.rewards.mean(), rel=1e-12)


def test_an_interval_that_is_exactly_the_true_value_covers_it(monkeypatch) -> None:
    """Every logged reward 0.5, the target policy the logging one (every weight 1) and a reward
    model of 0.5: each estimator and every bootstrap draw is 0.5, and so is the true value. An
    interval [0.5, 0.5] covers 0.5, and the error is zero."""
    from aura.evaluation import ope

    n = 4
    actions = np.array([0, 1, 0, 2])
    logs = LoggedBandit(
        actions=actions,
        propensities=np.ones(n),
        rewards=np.full(n, 0.5),
        context=None,  # type: ignore[arg-type]
        slot=np.zeros(n, dtype=np.int64),
    )
    target = np.eye(N_ACTIONS)[actions]
    truth = np.full((n, N_ACTIONS), 0.5)
    monkeypatch.setattr(ope, "reward_model_predictions", lambda logs, tutors, seed: truth)
    table = ope.off_policy_table(logs, None, {"logging": target}, truth, seed=0, n_bootstrap=20)
    assert sorted(table.estimator) == ["DR", "IPS", "SNIPS"]
    assert (table[["estimate", "ci_low", "ci_high", "true_value"]] == 0.5).all().all()
    assert table.covered.all() and (table.error == 0.0).all()


def test_the_off_policy_report_table_reads_in_words_and_fixed_point() -> None:
    """Notebook 05 showed the off-policy table's own columns (ci_low, ci_high, true_value) and
    printed its errors, a few thousandths, as -9.4000e-03 beside estimates of 0.79. The report
    table has one cell per estimate with its interval, four decimals throughout, and says
    whether the interval covers the true value; the table itself is left as it was."""
    import pandas as pd

    from aura.evaluation.ope import off_policy_report_table

    table = pd.DataFrame(
        {
            "policy": ["PPO (greedy)", "PPO (greedy)", "always balanced"],
            "estimator": ["IPS", "DR", "DR"],
            "estimate": [0.78812, 0.79527, 0.79402],
            "ci_low": [0.77051, 0.79104, 0.78996],
            "ci_high": [0.79633, 0.79968, 0.79849],
            "true_value": [0.79752, 0.79752, 0.79801],
            "error": [-0.0094, -0.00003, -0.00399],
            "covered": [False, True, True],
        }
    )
    before = table.copy()
    shown = off_policy_report_table(table)
    assert list(shown.columns) == [
        "policy",
        "estimator",
        "estimate (95% CI)",
        "true value",
        "error (estimate - true value)",
        "interval covers the true value",
    ]
    assert shown.values.tolist() == [
        ["PPO (greedy)", "IPS", "0.7881 [0.7705, 0.7963]", "0.7975", "-0.0094", "no"],
        ["PPO (greedy)", "DR", "0.7953 [0.7910, 0.7997]", "0.7975", "-0.0000", "yes"],
        ["always balanced", "DR", "0.7940 [0.7900, 0.7985]", "0.7980", "-0.0040", "yes"],
    ]
    assert "e-0" not in shown.to_html()
    pd.testing.assert_frame_equal(table, before)


def test_the_strategy_shares_report_table_gives_the_true_values_a_fourth_decimal() -> None:
    """Notebook 05 showed the shares rounded to three decimals, true values included, where
    the policies differ in the fourth (0.7975 against 0.7980), and the strategies as an index
    without a header. The report table names the strategy column, writes the shares to three
    decimals and the true values to four; the table is left as it was."""
    import pandas as pd

    from aura.evaluation.ope import strategy_shares_report_table

    table = pd.DataFrame(
        {
            "PPO (greedy)": [0.91234, 0.08766, 0.79752],
            "best per session (oracle)": [0.5, 0.5, 0.83349],
        },
        index=["balanced", "best_rating", "true value per session"],
    )
    before = table.copy()
    shown = strategy_shares_report_table(table)
    assert list(shown.columns) == ["strategy", "PPO (greedy)", "best per session (oracle)"]
    assert shown.values.tolist() == [
        ["balanced", "0.912", "0.500"],
        ["best_rating", "0.088", "0.500"],
        ["true value per session", "0.7975", "0.8335"],
    ]
    pd.testing.assert_frame_equal(table, before)


def test_the_pool_true_values_read_under_headers_that_say_what_they_are() -> None:
    """Each policy's true value with the served tutors (the off-policy table's) and with its
    training pool's tutors, to four decimals under headers in words; the table is left as it
    was."""
    import numpy as np
    import pandas as pd

    from aura.evaluation.ope import pool_true_values, pool_true_values_report_table

    ope = pd.DataFrame(
        {
            "policy": ["PPO (greedy)", "PPO (greedy)", "logging policy"],
            "estimator": ["IPS", "DR", "IPS"],
            "true_value": [0.79752, 0.79752, 0.74401],
        }
    )
    on_training_pool = np.array([[0.8, 0.6], [0.7, 0.9]])
    policies = {
        "PPO (greedy)": np.array([[1.0, 0.0], [0.0, 1.0]]),
        "logging policy": np.array([[0.5, 0.5], [0.25, 0.75]]),
    }
    table = pool_true_values(ope, policies, on_training_pool)
    # PPO: (0.8 + 0.9) / 2; logging: (0.7 + (0.175 + 0.675)) / 2
    assert table["training pool"].to_dict() == pytest.approx(
        {"PPO (greedy)": 0.85, "logging policy": 0.775}
    )
    before = table.copy()
    shown = pool_true_values_report_table(table)
    assert list(shown.columns) == [
        "policy",
        "true value per session, served tutors",
        "true value per session, training pool's tutors",
    ]
    assert shown.values.tolist() == [
        ["PPO (greedy)", "0.7975", "0.8500"],
        ["logging policy", "0.7440", "0.7750"],
    ]
    pd.testing.assert_frame_equal(table, before)


@pytest.fixture(scope="module")
def small_logs():
    data = generate(seed=3, n_learners=150, n_tutors=12, n_sessions=300)
    pool = tutors_from_table(data.tutors, data.tutors_truth)
    return data, pool, logged_bandit(data.sessions, data.learners)


def test_the_reward_model_s_inputs_for_the_logged_strategy_are_the_logged_session_s(
    small_logs,
) -> None:
    """For the logged strategy the reward model reads what the CSVs say of the session: the
    learner's age and attention span, the session's comfort, duration, level and subject, the
    logged tutor's rating, listed expertise in the subject, communication rating and years,
    whether the tutor's style and language are the learner's, and the strategy's index."""
    from aura.evaluation.ope import _action_features, tutors_per_action
    from aura.sim.vocab import DIFFICULTY_LEVELS, SUBJECTS

    data, pool, logs = small_logs
    picks = tutors_per_action(logs, pool)
    rows = np.arange(len(logs.actions))
    got = np.stack([_action_features(logs, pool, picks, a) for a in range(N_ACTIONS)], axis=1)
    got = got[rows, logs.actions]
    s = data.sessions
    learner = data.learners.set_index("learner_id").loc[s["learner_id"]].reset_index()
    tutor = data.tutors.set_index("tutor_id").loc[s["tutor_id"]].reset_index()
    expertise = [tutor.loc[i, f"expertise_{subject}"] for i, subject in enumerate(s["subject"])]
    expected = np.column_stack(
        [
            learner["age"],
            s["comfort_level_online"],
            learner["attention_span_minutes"],
            s["duration_hours"],
            s["difficulty_level"].map(DIFFICULTY_LEVELS.index),
            s["subject"].map(SUBJECTS.index),
            tutor["rating"],
            expertise,
            tutor["communication_rating"],
            tutor["years_experience"],
            tutor["teaching_style"] == learner["learning_style"],
            tutor["language"] == learner["language"],
            s["strategy"].map(STRATEGIES.index),
        ]
    ).astype(float)
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_the_reward_model_is_cross_fitted_so_a_row_never_predicts_its_own_reward(
    small_logs,
) -> None:
    """Each row's q comes from the model fitted on the other fold: moving one logged reward
    leaves that row's five predictions exactly as they were (and moves other rows')."""
    _, pool, logs = small_logs
    q = reward_model_predictions(logs, pool, seed=0)
    rewards = logs.rewards.copy()
    rewards[5] += 10.0
    moved = reward_model_predictions(dataclasses.replace(logs, rewards=rewards), pool, seed=0)
    np.testing.assert_array_equal(moved[5], q[5])
    assert not np.array_equal(moved, q)


def test_the_reward_model_predicts_each_strategy_at_its_own_inputs(small_logs) -> None:
    """The q of strategy a is the fold's model at the inputs of the tutor a would pick, with
    a's index: two strategies that pick the same tutor still differ by their index, and a
    model fitted with scikit-learn directly on the other fold's logged inputs gives the same."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.model_selection import KFold

    from aura.evaluation.ope import _action_features, tutors_per_action

    _, pool, logs = small_logs
    q = reward_model_predictions(logs, pool, seed=0)
    picks = tutors_per_action(logs, pool)
    features = [_action_features(logs, pool, picks, a) for a in range(N_ACTIONS)]
    rows = np.arange(len(logs.actions))
    logged = np.stack(features, axis=1)[rows, logs.actions]
    for train, test in KFold(2, shuffle=True, random_state=0).split(logged):
        model = HistGradientBoostingRegressor(max_iter=200, learning_rate=0.05, random_state=0)
        model.fit(logged[train], logs.rewards[train])
        for a in range(N_ACTIONS):
            np.testing.assert_allclose(q[test, a], model.predict(features[a][test]), rtol=1e-12)
