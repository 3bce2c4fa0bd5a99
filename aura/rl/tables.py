"""A grid's ``results.json`` as tables, for the notebooks and ``aura train-rl``: every policy
beside the references with its lead over the hand rule (`results_table`), and both saved
policies of each algorithm side by side (`saved_policies_table`).

Those tables keep the numbers as the code names them (``ci_low``, ``lead_over_rule``), for the
code and the metrics files that read them; `results_report_table` and `saved_report_table` are
the same rows as notebooks 03 and 05 show them to a reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from aura.envs.evaluation import normalised_score
from aura.reports.tables import MISSING, fixed, with_interval, yes_no
from aura.rl.intervals import EPISODES, SEEDS_AND_EPISODES, Z95, interval_covers


def env_words(env_key: str) -> str:
    """An environment as a reader is told of it, "tutor matching", where params files and
    ``results.json`` key it ``tutor_matching``."""
    return env_key.replace("_", " ")


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


REPORT_COLUMNS = [
    "environment",
    "policy",
    "normalised score (95% CI)",
    "mean return",
    "lead over best hand rule (95% CI)",
    "interval over",
]
"""The headers of `results_report_table`, in order."""

SAVED_REPORT_COLUMNS = [
    "environment",
    "algorithm",
    "scored policy",
    "other saved policy (95% CI)",
    "lead of the scored (95% CI)",
    "interval over",
]
"""The headers of `saved_report_table`, in order."""


def interval_over(covers: str | None, n_seeds: float | None = None) -> str:
    """What a row's 95% intervals cover, in words for a report table: "3 seeds and episodes"
    where the number of seeds is known, the ``ci_covers`` text as it is otherwise, `MISSING`
    where the row has no interval (random and the oracle)."""
    if covers is None or pd.isna(covers):
        return MISSING
    if covers == SEEDS_AND_EPISODES and n_seeds is not None and not pd.isna(n_seeds):
        return f"{int(n_seeds)} {SEEDS_AND_EPISODES}"
    return str(covers)


def results_report_table(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """`results_table` as a report shows it: a column header in words for each thing, a score
    and a lead each with its 95% interval in one cell, fixed-point decimals, and a dash where a
    row has no value (a reference has no lead). The number of seeds stands in the interval's
    last column ("3 seeds and episodes"), not in one of its own: eleven columns named as the code
    names them became six a reader can take in, within a 1,280-pixel page."""
    rows = [
        [
            env_words(str(r["env"])),
            r["policy"],
            with_interval(r["normalised"], r["ci_low"], r["ci_high"], digits),
            fixed(r["mean_return"], digits),
            with_interval(r["lead_over_rule"], r["lead_low"], r["lead_high"], digits),
            interval_over(r["ci_covers"], r["n_seeds"]),
        ]
        for _, r in table.iterrows()
    ]
    return pd.DataFrame(rows, columns=REPORT_COLUMNS)


def saved_report_table(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """`saved_policies_table` as a report shows it: which saved policy is scored, with its
    score; the other, with its score and 95% interval; the scored one's lead over it with its
    interval; and what the intervals cover, under headers in words."""
    rows = [
        [
            env_words(str(r["env"])),
            r["algo"],
            f"{r['scored']} {fixed(r['scored_normalised'], digits)}",
            f"{r['other']} "
            + with_interval(r["other_normalised"], r["other_ci_low"], r["other_ci_high"], digits),
            with_interval(r["lead"], r["lead_low"], r["lead_high"], digits),
            interval_over(r["ci_covers"]),
        ]
        for _, r in table.iterrows()
    ]
    return pd.DataFrame(rows, columns=SAVED_REPORT_COLUMNS)


def verdict_report_table(verdict: pd.DataFrame) -> pd.DataFrame:
    """Notebook 03's verdict, one row per question (its index) and one column of flags per
    environment, as a report shows it: "yes" or "no" where pandas printed True and False, a
    dash where a question does not apply (difficulty adaptation has no experience reference),
    and each environment named in words."""
    rows = [[str(question), *(yes_no(flag) for flag in r)] for question, r in verdict.iterrows()]
    columns = ["", *(env_words(str(env)) for env in verdict.columns)]
    return pd.DataFrame(rows, columns=columns)
