"""The coverage study of the off-policy intervals: one replication's rows and their summary."""

from __future__ import annotations

import math

import numpy as np
import pytest

from aura.evaluation.coverage import Scale, binomial_se, replicate, summarise

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
