"""A grid's ``results.json`` as tables, for the notebooks and ``aura train-rl``: every policy
beside the references with its lead over the hand rule (`results_table`), and both saved
policies of each algorithm side by side (`saved_policies_table`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from aura.envs.evaluation import normalised_score
from aura.rl.intervals import EPISODES, Z95, interval_covers


def results_table(results: Mapping[str, Any]) -> pd.DataFrame:
    """One row per environment and policy: normalised score (mean, 95% CI), mean return.

    The references are rows too (random 0, oracle 1, the hand rule, the upper reference and,
    where the environment has one, the experience reference, where they fall), so every number
    in the table stands beside them. A learned policy's row also gives its lead over the hand
    rule, paired on the same episodes, with that lead's 95% interval (``lead_over_hand_rule``):
    it beats the rule where the whole interval lies above zero, which its score's interval beside
    the rule's cannot tell. ``ci_covers`` says what a row's intervals cover: the seeds and the
    episodes, the episodes only for a one-seed policy (`EPISODES_ONLY`), or the episodes for a
    reference, which has no seeds; random and the oracle have no interval.
    """
    rows = []
    for env_key, res in results.items():
        ref = res["references"]
        lo, hi = ref["random"], ref["oracle"]
        names = {"random": "random", "hand_rule": f"hand rule ({ref['hand_rule_name']})"}
        if ref["experience"] is not None:
            names["experience"] = f"{ref['experience_name']} ({ref['experience_steps']:,} steps)"
        names["ceiling"] = f"upper reference ({ref['ceiling_name']})"
        names["oracle"] = "oracle"
        for key, name in names.items():
            value = float(ref[key])
            score = float(normalised_score(value, lo, hi))
            half = Z95 * ref.get("episode_se", {}).get(key, np.nan)
            rows.append(
                {
                    "env": env_key,
                    "policy": name,
                    "normalised": score,
                    "ci_low": score - half,
                    "ci_high": score + half,
                    "mean_return": value,
                    "n_seeds": np.nan,
                    "lead_over_rule": np.nan,
                    "lead_low": np.nan,
                    "lead_high": np.nan,
                    "ci_covers": None if np.isnan(half) else EPISODES,
                }
            )
        for algo, r in res["algorithms"].items():
            rows.append(
                {
                    "env": env_key,
                    "policy": algo.upper(),
                    "normalised": r["normalised"]["mean"],
                    "ci_low": r["normalised"]["low"],
                    "ci_high": r["normalised"]["high"],
                    "mean_return": r["mean_return"]["mean"],
                    "n_seeds": r["normalised"]["n"],
                    "lead_over_rule": r["lead_over_hand_rule"]["mean"],
                    "lead_low": r["lead_over_hand_rule"]["low"],
                    "lead_high": r["lead_over_hand_rule"]["high"],
                    "ci_covers": interval_covers(r["normalised"]),
                }
            )
    return pd.DataFrame(rows)


def saved_policies_table(results: Mapping[str, Any]) -> pd.DataFrame:
    """Both saved policies of every (environment, algorithm) on the same held-out episodes: the
    scored one and the other (``other_model`` of ``results.json``), their normalised scores with
    95% intervals, and the scored one's paired lead over the other, with what those intervals
    cover (``ci_covers``, as in `results_table`). Empty for results written before the other
    policy was scored."""
    rows = [
        {
            "env": env_key,
            "algo": algo.upper(),
            "scored": res["scored_model"],
            "scored_normalised": r["normalised"]["mean"],
            "other": r["other_model"]["model"],
            "other_normalised": r["other_model"]["normalised"]["mean"],
            "other_ci_low": r["other_model"]["normalised"]["low"],
            "other_ci_high": r["other_model"]["normalised"]["high"],
            "lead": r["other_model"]["scored_lead"]["mean"],
            "lead_low": r["other_model"]["scored_lead"]["low"],
            "lead_high": r["other_model"]["scored_lead"]["high"],
            "ci_covers": interval_covers(r["other_model"]["normalised"]),
        }
        for env_key, res in results.items()
        for algo, r in res["algorithms"].items()
        if "other_model" in r
    ]
    columns = [
        "env",
        "algo",
        "scored",
        "scored_normalised",
        "other",
        "other_normalised",
        "other_ci_low",
        "other_ci_high",
        "lead",
        "lead_low",
        "lead_high",
        "ci_covers",
    ]
    return pd.DataFrame(rows, columns=columns)
