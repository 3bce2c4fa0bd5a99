"""Off-policy evaluation of a tutor-matching policy from the logged sessions alone.

The historical platform chose a strategy for every session with a known probability (the
`propensity` column). From those logs we estimate what a new policy would have earned, with
three standard estimators (Dudik, Langford and Li, 2011):

- IPS: reweight each logged reward by pi(a|x) / mu(a|x);
- SNIPS: the same, normalised by the mean weight (less variance, slight bias);
- DR: a reward model's prediction for the new policy plus the IPS-weighted residual of the
  logged action (unbiased if either the propensities or the reward model are right).

Because the simulator knows the expected reward of every strategy in every logged context, the
policy's *true* value on the same contexts is known too (`true_policy_value`), so each estimate
can be checked against the truth. (The `obp` package does not install on Python 3.11.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.model_selection import KFold
from threadpoolctl import threadpool_limits

from aura.reports.tables import fixed, with_interval, yes_no
from aura.sim import outcomes as oc
from aura.sim.matching import choose_tutors
from aura.sim.population import Tutors
from aura.sim.session import SessionContext, expected_session_reward
from aura.sim.vocab import (
    DIFFICULTY_LEVELS,
    LANGUAGES,
    LEARNING_STYLES,
    STRATEGIES,
    SUBJECTS,
    TIME_SLOTS,
)

N_ACTIONS = len(STRATEGIES)


@dataclass(frozen=True)
class Estimate:
    """A policy value with a bootstrap confidence interval."""

    estimator: str
    value: float
    ci_low: float
    ci_high: float


@dataclass
class LoggedBandit:
    """Logged sessions as a contextual bandit: context, action, propensity, reward."""

    actions: np.ndarray
    propensities: np.ndarray
    rewards: np.ndarray
    context: SessionContext
    slot: np.ndarray


def _codes(values: pd.Series, vocab: tuple[str, ...]) -> np.ndarray:
    codes = pd.Categorical(values, categories=list(vocab)).codes.astype(np.int64)
    if (codes < 0).any():
        bad = values[codes < 0].iloc[0]
        raise ValueError(f"column {values.name!r} has value {bad!r}, expected one of {vocab}")
    return codes


def logged_bandit(
    sessions: pd.DataFrame, learners: pd.DataFrame, theta_before: np.ndarray | None = None
) -> LoggedBandit:
    """Turn sessions_data.csv (joined to learners) into bandit feedback.

    The reward is the documented session value (`aura.sim.outcomes.session_reward`).
    `theta_before` (from the truth file) is only needed for the true value, never by the
    estimators; without it the context's ability is left at zero.
    """
    for column in ("strategy", "propensity"):
        if column not in sessions.columns:
            raise ValueError(
                f"sessions table has no {column!r} column: off-policy evaluation "
                "needs the logged strategy and its propensity"
            )
    people = learners.set_index("learner_id").loc[sessions["learner_id"]]
    n = len(sessions)
    context = SessionContext(
        theta=np.zeros(n) if theta_before is None else np.asarray(theta_before, dtype=float),
        age=people["age"].to_numpy(dtype=float),
        comfort=sessions["comfort_level_online"].to_numpy(dtype=float),
        attention_span=people["attention_span_minutes"].to_numpy(dtype=float),
        learning_style=_codes(people["learning_style"], LEARNING_STYLES),
        language=_codes(people["language"], LANGUAGES),
        subject=_codes(sessions["subject"], SUBJECTS),
        level=_codes(sessions["difficulty_level"], DIFFICULTY_LEVELS),
        duration_hours=sessions["duration_hours"].to_numpy(dtype=float),
    )
    rewards = oc.session_reward(
        sessions["engagement_score"].to_numpy(dtype=float),
        sessions["learning_outcome_score"].to_numpy(dtype=float),
    )
    return LoggedBandit(
        actions=_codes(sessions["strategy"], STRATEGIES),
        propensities=sessions["propensity"].to_numpy(dtype=float),
        rewards=np.asarray(rewards, dtype=float),
        context=context,
        slot=_codes(sessions["time_slot"], TIME_SLOTS),
    )


def tutors_per_action(logs: LoggedBandit, tutors: Tutors) -> np.ndarray:
    """(rows, 5) index of the tutor each strategy would have picked for each logged session."""
    ctx = logs.context
    return np.column_stack(
        [
            choose_tutors(
                tutors,
                np.full(len(logs.actions), a),
                ctx.subject,
                logs.slot,
                ctx.learning_style,
                ctx.language,
            )
            for a in range(N_ACTIONS)
        ]
    )


def expected_rewards(logs: LoggedBandit, tutors: Tutors) -> np.ndarray:
    """(rows, 5) expected session reward of every strategy in every logged context: the truth
    (needs the hidden ability and the hidden tutor fields)."""
    picks = tutors_per_action(logs, tutors)
    return np.column_stack(
        [expected_session_reward(logs.context, tutors, picks[:, a]) for a in range(N_ACTIONS)]
    )


def true_policy_value(target_probs: np.ndarray, expected: np.ndarray) -> float:
    """V(pi) on the logged contexts: mean over rows of sum_a pi(a|x) E[r | x, a]."""
    return float(np.mean(np.sum(target_probs * expected, axis=1)))


def _action_features(logs: LoggedBandit, tutors: Tutors, picks: np.ndarray, a: int) -> np.ndarray:
    """Observed context plus the observed attributes of the tutor that action `a` picks."""
    ctx = logs.context
    t = picks[:, a]
    return np.column_stack(
        [
            ctx.age,
            ctx.comfort,
            ctx.attention_span,
            ctx.duration_hours,
            ctx.level,
            ctx.subject,
            tutors.rating[t],
            tutors.expertise_observed[t, ctx.subject],
            tutors.communication_rating[t],
            tutors.years_experience[t],
            tutors.teaching_style[t] == ctx.learning_style,
            tutors.language[t] == ctx.language,
            np.full(len(t), a),
        ]
    ).astype(float)


def reward_model_predictions(
    logs: LoggedBandit, tutors: Tutors, seed: int, n_folds: int = 2
) -> np.ndarray:
    """(rows, 5) cross-fitted reward-model predictions q(x, a) for the DR estimator.

    The model (gradient boosting on observed context and picked-tutor attributes) is fitted on
    one fold and predicts the other, so DR's correction term is not fitted to its own noise.
    It runs on one OpenMP thread: on a busy two-core machine more threads were 30x slower.
    """
    picks = tutors_per_action(logs, tutors)
    features = [_action_features(logs, tutors, picks, a) for a in range(N_ACTIONS)]
    logged = np.take_along_axis(np.stack(features, axis=1), logs.actions[:, None, None], axis=1)[
        :, 0
    ]
    q = np.empty((len(logs.actions), N_ACTIONS))
    folds = KFold(n_folds, shuffle=True, random_state=seed).split(logged)
    with threadpool_limits(limits=1, user_api="openmp"):
        for train, test in folds:
            model = HistGradientBoostingRegressor(
                max_iter=200, learning_rate=0.05, random_state=seed
            )
            model.fit(logged[train], logs.rewards[train])
            for a in range(N_ACTIONS):
                q[test, a] = model.predict(features[a][test])
    return q


def _point_estimates(
    rewards: np.ndarray,
    actions: np.ndarray,
    propensities: np.ndarray,
    target_probs: np.ndarray,
    q: np.ndarray,
) -> dict[str, float]:
    rows = np.arange(len(actions))
    w = target_probs[rows, actions] / propensities
    direct = np.sum(target_probs * q, axis=1)
    return {
        "IPS": float(np.mean(w * rewards)),
        "SNIPS": float(np.sum(w * rewards) / np.sum(w)),
        "DR": float(np.mean(direct + w * (rewards - q[rows, actions]))),
    }


def estimate_policy_value(
    logs: LoggedBandit,
    target_probs: np.ndarray,
    q: np.ndarray,
    *,
    n_bootstrap: int = 500,
    seed: int = 0,
    level: float = 0.95,
) -> list[Estimate]:
    """IPS, SNIPS and DR estimates with percentile bootstrap intervals (rows resampled)."""
    if target_probs.shape != (len(logs.actions), N_ACTIONS):
        raise ValueError(
            f"target_probs must have shape ({len(logs.actions)}, {N_ACTIONS}), "
            f"got {target_probs.shape}"
        )
    if np.any(logs.propensities <= 0):
        raise ValueError("every logged propensity must be positive for importance weighting")
    args = (logs.rewards, logs.actions, logs.propensities, target_probs, q)
    point = _point_estimates(*args)
    rng = np.random.default_rng(seed)
    n = len(logs.actions)
    boot = {name: np.empty(n_bootstrap) for name in point}
    for b in range(n_bootstrap):
        idx = rng.integers(0, n, size=n)
        for name, value in _point_estimates(*(x[idx] for x in args)).items():
            boot[name][b] = value
    tail = (1.0 - level) / 2.0
    return [
        Estimate(
            name,
            point[name],
            float(np.quantile(boot[name], tail)),
            float(np.quantile(boot[name], 1.0 - tail)),
        )
        for name in point
    ]


def tutor_matching_observations(
    sessions: pd.DataFrame,
    learners: pd.DataFrame,
    theta_before: np.ndarray,
    episode_length: int,
) -> np.ndarray:
    """(rows, 8) the tutor-matching environment's observation for each logged session.

    Same scaling as `aura.envs.tutor_matching.OBSERVATION_FEATURES`; the episode's subject and
    slot are the session's own, sessions done is the session's index in the learner's history
    (capped at the episode length), and learning progress is sigmoid(1.7 theta) of the
    learner's hidden ability before the session (from the truth file), as the environment
    shows it. A test checks this against the environment's own observations.
    """
    people = learners.set_index("learner_id").loc[sessions["learner_id"]]
    done = np.minimum(sessions["session_index"].to_numpy(dtype=float) - 1.0, episode_length)
    return np.column_stack(
        [
            (people["age"].to_numpy(dtype=float) - 8.0) / 10.0,
            (people["grade_level"].to_numpy(dtype=float) - 1.0) / 11.0,
            sessions["comfort_level_online"].to_numpy(dtype=float),
            done / episode_length,
            oc.success_probability(np.asarray(theta_before, dtype=float), 0.0),
            _codes(sessions["subject"], SUBJECTS) / (len(SUBJECTS) - 1),
            _codes(people["learning_style"], LEARNING_STYLES) / (len(LEARNING_STYLES) - 1),
            _codes(sessions["time_slot"], TIME_SLOTS) / (len(TIME_SLOTS) - 1),
        ]
    ).astype(np.float32)


def sb3_action_probabilities(model: object, observations: np.ndarray) -> np.ndarray:
    """(rows, actions) action probabilities of a Stable-Baselines3 policy (PPO, A2C)."""
    import torch

    policy = model.policy  # type: ignore[attr-defined]
    expected = int(np.prod(policy.observation_space.shape))
    if observations.shape[1] != expected:
        raise ValueError(
            f"the policy observes {expected} features per row, the logged sessions give "
            f"{observations.shape[1]}: only a policy of the environment's own observation "
            "(not, say, tutor_features) can be scored on them"
        )
    with torch.no_grad():
        obs, _ = policy.obs_to_tensor(observations)
        return policy.get_distribution(obs).distribution.probs.cpu().numpy()


def greedy(probabilities: np.ndarray) -> np.ndarray:
    """One-hot of the most probable action: the deterministic policy that is deployed."""
    return np.eye(probabilities.shape[1])[np.argmax(probabilities, axis=1)]


def off_policy_table(
    logs: LoggedBandit,
    tutors: Tutors,
    policies: dict[str, np.ndarray],
    truth: np.ndarray,
    *,
    seed: int,
    n_bootstrap: int = 500,
) -> pd.DataFrame:
    """Every estimate of every policy beside its true value on the same logged contexts.

    ``truth`` is `expected_rewards` of the logs on ``tutors`` (it needs their hidden fields);
    the estimators themselves use only the logs and a reward model on observed attributes.
    """
    q = reward_model_predictions(logs, tutors, seed=seed)
    rows = []
    for name, probs in policies.items():
        true_value = true_policy_value(probs, truth)
        for e in estimate_policy_value(logs, probs, q, n_bootstrap=n_bootstrap, seed=seed):
            rows.append(
                {
                    "policy": name,
                    "estimator": e.estimator,
                    "estimate": e.value,
                    "ci_low": e.ci_low,
                    "ci_high": e.ci_high,
                    "true_value": true_value,
                    "error": e.value - true_value,
                    "covered": e.ci_low <= true_value <= e.ci_high,
                }
            )
    return pd.DataFrame(rows)


OFF_POLICY_REPORT_COLUMNS = [
    "policy",
    "estimator",
    "estimate (95% CI)",
    "true value",
    "error (estimate - true value)",
    "interval covers the true value",
]
"""The headers of `off_policy_report_table`, in order."""


def off_policy_report_table(table: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """`off_policy_table` as a report shows it: each estimate with its bootstrap interval in one
    cell, fixed-point decimals, and headers in words. pandas printed the table's errors, a few
    thousandths, in scientific notation (-9.4e-03) beside estimates to four decimals; four
    decimals here, as values per session that differ in the fourth (0.7975 against 0.7980)."""
    rows = [
        [
            r["policy"],
            r["estimator"],
            with_interval(r["estimate"], r["ci_low"], r["ci_high"], digits),
            fixed(r["true_value"], digits),
            fixed(r["error"], digits),
            yes_no(r["covered"]),
        ]
        for _, r in table.iterrows()
    ]
    return pd.DataFrame(rows, columns=OFF_POLICY_REPORT_COLUMNS)


TRUE_VALUE_ROW = "true value per session"
"""The last row of `strategy_shares`: each policy's true value, not a share."""


def strategy_shares(policies: dict[str, np.ndarray], truth: np.ndarray) -> pd.DataFrame:
    """How often each policy picks each strategy on the logged contexts, beside the oracle's
    picks (the best strategy for each session by ``truth``, `expected_rewards`), with each
    one's true value per session as the last row: the oracle's is the most any choice of
    strategies could earn there."""
    picks = {**policies, "best per session (oracle)": greedy(truth)}
    table = pd.DataFrame(
        {name: probs.mean(axis=0) for name, probs in picks.items()}, index=list(STRATEGIES)
    )
    table.loc[TRUE_VALUE_ROW] = {
        name: true_policy_value(probs, truth) for name, probs in picks.items()
    }
    return table


def strategy_shares_report_table(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """A `strategy_shares` table as notebook 05 shows it: the strategy in a column of its own,
    each share to ``digits`` decimals, and the last row, the true values, to one decimal more:
    the policies' values per session differ in the fourth (0.7975 against 0.7980), which the
    shares' three decimals would hide."""
    rows = [
        [
            str(row),
            *(fixed(value, digits + 1 if row == TRUE_VALUE_ROW else digits) for value in r),
        ]
        for row, r in table.iterrows()
    ]
    return pd.DataFrame(rows, columns=["strategy", *map(str, table.columns)])


def pool_true_values(
    ope: pd.DataFrame, policies: dict[str, np.ndarray], on_training_pool: np.ndarray
) -> pd.DataFrame:
    """Each policy's true value per session on the logged contexts with the served tutors (the
    ``true_value`` of `off_policy_table`) and had the tutors been its training pool's
    (``on_training_pool``: `expected_rewards` on that pool), indexed by policy."""
    training = {
        name: true_policy_value(probs, on_training_pool) for name, probs in policies.items()
    }
    served = ope.groupby("policy", sort=False).true_value.first()
    return pd.DataFrame({"served tutors": served, "training pool": training})


TRUE_VALUES_REPORT_COLUMNS = [
    "policy",
    "true value per session, served tutors",
    "true value per session, training pool's tutors",
]
"""The headers of `pool_true_values_report_table`, in order."""


def pool_true_values_report_table(table: pd.DataFrame, digits: int = 4) -> pd.DataFrame:
    """`pool_true_values` as notebook 05 shows it: the policy in a column of its own, headers
    that say what each number is, and four decimals, where the policies differ."""
    rows = [
        [str(policy), fixed(r["served tutors"], digits), fixed(r["training pool"], digits)]
        for policy, r in table.iterrows()
    ]
    return pd.DataFrame(rows, columns=TRUE_VALUES_REPORT_COLUMNS)
