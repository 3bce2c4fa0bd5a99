"""The coverage study of the off-policy intervals: one replication's rows and their summary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aura.evaluation.coverage import Scale, binomial_se, replicate, summarise, target_policies
from aura.evaluation.ope import expected_rewards, logged_bandit, off_policy_table
from aura.sim.generate import generate
from aura.sim.tables import tutors_from_table

ESTIMATORS = ["IPS", "SNIPS", "DR"]
POLICIES = ["logging policy", "always balanced", "uniform random", "best per session"]


def _row(estimate: float, low: float, high: float, truth: float = 0.5) -> dict:
    return {
        "seed": 0,
        "policy": "p",
        "estimator": "IPS",
        "estimate": estimate,
        "ci_low": low,
        "ci_high": high,
        "true_value": truth,
        "covered": low <= truth <= high,
        "max_weight": 2.0,
    }


def test_the_summary_counts_covered_and_missed_replications_with_their_standard_error() -> None:
    """Four replications against a true value of 0.5: two intervals cover it, one lies wholly
    below and one wholly above, so coverage is 1/2 with standard error sqrt(1/4 / 4) = 1/4."""
    rows = [
        _row(0.50, 0.45, 0.55),
        _row(0.52, 0.48, 0.56),
        _row(0.40, 0.36, 0.44),
        _row(0.62, 0.58, 0.66),
    ]
    (summary,) = summarise(rows).to_dict(orient="records")
    assert summary["replications"] == 4
    assert summary["coverage"] == 0.5
    assert summary["coverage_se"] == pytest.approx(0.25)
    assert (summary["missed_low"], summary["missed_high"]) == (0.25, 0.25)
    errors = np.array([0.0, 0.02, -0.10, 0.12])
    assert summary["bias"] == pytest.approx(errors.mean())
    assert summary["error_sd"] == pytest.approx(errors.std(ddof=1))
    assert summary["bias_se"] == pytest.approx(errors.std(ddof=1) / 2)
    assert summary["mean_width"] == pytest.approx((0.10 + 0.08 * 3) / 4)
    needed = 2 * 1.959964 * errors.std(ddof=1)
    assert summary["width_over_needed"] == pytest.approx(0.085 / needed, rel=1e-5)
    assert summary["largest_weight"] == 2.0


def test_binomial_standard_error() -> None:
    assert binomial_se(0.95, 200) == pytest.approx(math.sqrt(0.95 * 0.05 / 200))
    assert binomial_se(1.0, 10) == 0.0


def test_nothing_to_summarise_is_refused() -> None:
    with pytest.raises(ValueError, match="no replications"):
        summarise([])


def test_a_replication_scores_every_policy_with_every_estimator_against_its_own_truth() -> None:
    """Rows for each policy and estimator; an interval's `covered` is whether it holds the true
    value; under the logging policy every weight is 1, so IPS and SNIPS agree and are the logged
    mean, which lies within a few hundredths of the true value."""
    rows = replicate(3, Scale(n_learners=150, n_tutors=20, n_sessions=300, n_bootstrap=20))
    assert [(r["policy"], r["estimator"]) for r in rows] == [
        (p, e) for p in POLICIES for e in ESTIMATORS
    ]
    for r in rows:
        assert r["seed"] == 3
        assert r["covered"] == (r["ci_low"] <= r["true_value"] <= r["ci_high"]), r
    logging = {r["estimator"]: r for r in rows if r["policy"] == "logging policy"}
    assert logging["IPS"]["estimate"] == pytest.approx(logging["SNIPS"]["estimate"])
    assert logging["IPS"]["max_weight"] == pytest.approx(1.0, abs=1e-3)  # 4-decimal propensities
    assert abs(logging["IPS"]["estimate"] - logging["IPS"]["true_value"]) < 0.05
    best = {r["estimator"]: r["true_value"] for r in rows if r["policy"] == "best per session"}
    others = [r["true_value"] for r in rows if r["policy"] != "best per session"]
    assert min(best.values()) >= max(others)  # the best strategy per session bounds the rest


def test_an_interval_ending_at_the_truth_covers_it_and_misses_count_on_their_own_side() -> None:
    """An interval whose upper or lower end is the true value covers it (the ends belong to the
    interval, as `covered` reads them), so it is missed on neither side; of the rest, one lies
    wholly below the truth: missed low 1/3, missed high 0, and the three shares sum to one."""
    rows = [
        _row(0.45, 0.40, 0.50),  # upper end at the truth
        _row(0.55, 0.50, 0.60),  # lower end at the truth
        _row(0.30, 0.25, 0.35),  # wholly below
    ]
    (summary,) = summarise(rows).to_dict(orient="records")
    assert summary["coverage"] == pytest.approx(2 / 3)
    assert summary["missed_low"] == pytest.approx(1 / 3)
    assert summary["missed_high"] == 0.0
    assert summary["coverage"] + summary["missed_low"] + summary["missed_high"] == pytest.approx(1)


def test_two_replications_already_have_a_spread_of_errors() -> None:
    """Errors 0.02 and -0.04 have a sample standard deviation of |0.02 - (-0.04)| / sqrt(2)."""
    (summary,) = summarise([_row(0.52, 0.47, 0.57), _row(0.46, 0.41, 0.51)]).to_dict("records")
    sd = 0.06 / math.sqrt(2)
    assert summary["error_sd"] == pytest.approx(sd)
    assert summary["bias_se"] == pytest.approx(sd / math.sqrt(2))
    assert summary["width_over_needed"] == pytest.approx(0.10 / (2 * 1.959964 * sd), rel=1e-5)


def test_the_largest_weight_is_the_largest_of_any_replication_and_any_session() -> None:
    """Weights 2, 9 and 3 across three replications: the largest is 9, not their mean."""
    rows = [{**_row(0.5, 0.4, 0.6), "max_weight": w} for w in (2.0, 9.0, 3.0)]
    (summary,) = summarise(rows).to_dict(orient="records")
    assert summary["largest_weight"] == 9.0


def test_a_replication_s_largest_weight_is_read_from_its_logged_propensities() -> None:
    """Always "balanced" weighs a session logged with "balanced" 1 / its propensity and every
    other session 0, so its largest weight is one over the smallest propensity of a "balanced"
    session; the uniform random policy's is 1/5 over the smallest propensity of all."""
    scale = Scale(n_learners=150, n_tutors=20, n_sessions=300, n_bootstrap=20)
    rows = replicate(3, scale)
    sessions = generate(seed=3, n_learners=150, n_tutors=20, n_sessions=300).sessions
    balanced = sessions.loc[sessions["strategy"] == "balanced", "propensity"]
    largest = {r["policy"]: r["max_weight"] for r in rows}
    assert largest["always balanced"] == pytest.approx(1.0 / balanced.min())
    assert largest["uniform random"] == pytest.approx(0.2 / sessions["propensity"].min())


def test_a_replication_s_intervals_are_the_notebook_s_table_with_its_seed() -> None:
    """Notebook 05 seeds its reward model and bootstrap with the data's own seed; a replication
    of seed 3 is that table of seed 3's logs, interval for interval."""
    rows = replicate(3, Scale(n_learners=150, n_tutors=20, n_sessions=300, n_bootstrap=20))
    data = generate(seed=3, n_learners=150, n_tutors=20, n_sessions=300)
    theta = data.sessions_truth.set_index("session_id").loc[data.sessions["session_id"]]
    logs = logged_bandit(data.sessions, data.learners, theta["theta_before"].to_numpy())
    pool = tutors_from_table(data.tutors, data.tutors_truth)
    truth = expected_rewards(logs, pool)
    table = off_policy_table(
        logs, pool, target_policies(logs, truth), truth, seed=3, n_bootstrap=20
    )
    columns = ["policy", "estimator", "estimate", "ci_low", "ci_high", "true_value"]
    assert [[r[c] for c in columns] for r in rows] == table[columns].values.tolist()
