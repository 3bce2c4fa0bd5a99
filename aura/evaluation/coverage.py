"""How often the off-policy intervals cover the truth, measured on replications of the logs.

A 95% interval claims that, over new draws of the logged data, it covers its target 95% of the
time. Notebook 05 puts each interval (`aura.evaluation.ope.estimate_policy_value`) beside the
policy's true value on the same logged contexts, so that conditional value is the target here:
each replication draws a new dataset from its own simulator seed (learners, tutors and
sessions), runs the notebook's estimators on it exactly as the notebook does (one cross-fitted
reward model, held fixed across the bootstrap draws), and records whether each interval covers
that replication's own true value. The share covered, with its binomial standard error, is what
the interval is worth; the spread of the errors across replications says why it is what it is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

from aura.evaluation.ope import (
    N_ACTIONS,
    LoggedBandit,
    expected_rewards,
    greedy,
    logged_bandit,
    off_policy_table,
)
from aura.sim.generate import generate
from aura.sim.matching import logging_policy
from aura.sim.tables import tutors_from_table
from aura.sim.vocab import STRATEGIES


@dataclass(frozen=True)
class Scale:
    """The size of one replication's logged data and its bootstrap."""

    n_learners: int
    n_tutors: int
    n_sessions: int
    n_bootstrap: int


def target_policies(logs: LoggedBandit, truth: np.ndarray) -> dict[str, np.ndarray]:
    """The policies whose intervals are checked, each as (rows, 5) probabilities.

    The logging policy (every weight 1, a control), always "balanced" (the best fixed strategy
    at default params, which notebook 05 scores beside PPO), the uniform random policy (a
    stochastic target whose weights stay small) and the best strategy per session by the
    simulator's expected rewards (a deterministic target far from the logging policy, as a
    greedy learned policy is).
    """
    rows = len(truth)
    balanced = np.zeros((rows, N_ACTIONS))
    balanced[:, STRATEGIES.index("balanced")] = 1.0
    return {
        "logging policy": logging_policy(logs.context.age, logs.context.comfort),
        "always balanced": balanced,
        "uniform random": np.full((rows, N_ACTIONS), 1.0 / N_ACTIONS),
        "best per session": greedy(truth),
    }


def replicate(seed: int, scale: Scale) -> list[dict[str, Any]]:
    """One replication: new logs from simulator seed `seed`, every policy's three intervals
    (the reward model and the bootstrap seeded with `seed`, as the notebook seeds both with its
    own), each against the policy's true value on these logs' contexts."""
    data = generate(
        seed=seed,
        n_learners=scale.n_learners,
        n_tutors=scale.n_tutors,
        n_sessions=scale.n_sessions,
    )
    theta = data.sessions_truth.set_index("session_id").loc[data.sessions["session_id"]]
    logs = logged_bandit(data.sessions, data.learners, theta["theta_before"].to_numpy())
    pool = tutors_from_table(data.tutors, data.tutors_truth)
    truth = expected_rewards(logs, pool)
    policies = target_policies(logs, truth)
    table = off_policy_table(logs, pool, policies, truth, seed=seed, n_bootstrap=scale.n_bootstrap)
    sessions = np.arange(len(logs.actions))
    largest = {
        name: float((probs[sessions, logs.actions] / logs.propensities).max())
        for name, probs in policies.items()
    }
    table.insert(0, "seed", seed)
    table["max_weight"] = table["policy"].map(largest)
    return table.drop(columns="error").to_dict("records")


def binomial_se(share: float, n: int) -> float:
    """Standard error of a share observed in `n` independent trials."""
    return math.sqrt(share * (1.0 - share) / n)


def summarise(rows: Sequence[dict[str, Any]], level: float = 0.95) -> pd.DataFrame:
    """Coverage per policy and estimator, with what explains it.

    ``coverage`` and ``coverage_se``: the share of replications whose interval covered the true
    value, and its binomial standard error. ``bias`` and ``bias_se``: the mean error (estimate
    minus true value) and its standard error. ``error_sd``: the errors' spread across
    replications, which a right interval's ``mean_width`` matches as 2 z times it
    (``width_over_needed``: above 1 the interval is wider than the errors need, below 1
    narrower). ``largest_weight``: the largest importance weight pi(a|x) / mu(a|x) of any
    logged session in any replication. ``missed_low`` and ``missed_high``: the shares of
    replications whose whole interval lay below or above the truth.
    """
    table = pd.DataFrame(rows)
    if table.empty:
        raise ValueError("no replications to summarise")
    z = float(norm.ppf(0.5 + level / 2.0))
    out = []
    for (policy, estimator), group in table.groupby(["policy", "estimator"], sort=False):
        n = len(group)
        error = group["estimate"] - group["true_value"]
        share = float(group["covered"].mean())
        width = float((group["ci_high"] - group["ci_low"]).mean())
        sd = float(error.std(ddof=1)) if n > 1 else math.nan
        out.append(
            {
                "policy": policy,
                "estimator": estimator,
                "replications": n,
                "coverage": share,
                "coverage_se": binomial_se(share, n),
                "missed_low": float((group["ci_high"] < group["true_value"]).mean()),
                "missed_high": float((group["ci_low"] > group["true_value"]).mean()),
                "bias": float(error.mean()),
                "bias_se": sd / math.sqrt(n),
                "error_sd": sd,
                "mean_width": width,
                "width_over_needed": width / (2.0 * z * sd) if sd > 0 else math.nan,
                "largest_weight": float(group["max_weight"].max()),
            }
        )
    return pd.DataFrame(out)
