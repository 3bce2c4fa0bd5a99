"""Headline rows for the run's front page: each result in one line, beside its reference.

Rows have the keys of `aura.reports.index.HEADLINE_COLUMNS` (area, metric, value, reference).
Notebook 05 gathers them from the RL results, the supervised metrics and the off-policy table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

SUPERVISED_PRIMARY = {"compatibility": "mse", "engagement": "mse", "difficulty": "accuracy"}
_BAYES_KEY = {"mse": "bayes_mse", "accuracy": "bayes_accuracy"}


def _ci(mean: float, low: float, high: float) -> str:
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def rl_rows(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Normalised score (mean and 95% CI over seeds) of every algorithm on every environment."""
    rows = []
    for env_key, res in results.items():
        ref = res["references"]
        reference = (
            f"random 0, oracle 1; hand rule {ref['hand_rule_name']} "
            f"{ref['hand_rule_normalised']:.3f}; upper reference {ref['ceiling_name']} "
            f"{ref['ceiling_normalised']:.3f}"
        )
        if ref["experience_normalised"] is not None:
            reference += f"; {ref['experience_name']} {ref['experience_normalised']:.3f}"
        for algo, r in res["algorithms"].items():
            n = r["normalised"]
            rows.append(
                {
                    "area": f"RL {env_key}",
                    "metric": (
                        f"{algo.upper()} normalised score (95% CI over {n['n']} seeds "
                        f"and {res['n_test_episodes']:,} episodes)"
                    ),
                    "value": _ci(n["mean"], n["low"], n["high"]),
                    "reference": reference,
                }
            )
    return rows


def supervised_rows(metrics: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each model's primary test metric beside its constant and linear baselines and Bayes."""
    rows = []
    for name, key in SUPERVISED_PRIMARY.items():
        m = metrics["models"][name]
        baselines = ", ".join(f"{b} {v[key]:.4f}" for b, v in m["baselines"].items())
        bayes = m["bayes"][_BAYES_KEY[key]]
        rows.append(
            {
                "area": f"Supervised {name}",
                "metric": f"test {key}",
                "value": f"{m['test'][key]:.4f}",
                "reference": f"Bayes {bayes:.4f}; {baselines}",
            }
        )
    return rows


def ope_rows(table: pd.DataFrame, policy: str) -> list[dict[str, Any]]:
    """Off-policy estimates of one policy (95% bootstrap CI) beside its true value."""
    rows = []
    for _, r in table[table["policy"] == policy].iterrows():
        rows.append(
            {
                "area": "Off-policy evaluation",
                "metric": f"{policy}: {r['estimator']} estimate (95% CI)",
                "value": _ci(r["estimate"], r["ci_low"], r["ci_high"]),
                "reference": f"true value {r['true_value']:.3f}",
            }
        )
    return rows
