"""Headline rows for the run's front page: each result in one line, beside its reference and
the target it was set, met or missed.

Rows have the keys of `aura.reports.metrics.HEADLINE_COLUMNS` (area, metric, value, reference,
target). Notebook 03 writes the RL grid's wall time; notebook 05 gathers the rest from the RL
results, the supervised metrics, the off-policy table and the tutor-pool table. A stakeholder
reads the front page alone, so a missed target, or a lead that holds only on the training pool,
is said there, not only in the notebooks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from aura.export.exporter import MAX_FOREST_BYTES
from aura.rl.config.experiment import ExperimentConfig
from aura.rl.grid_target import SPEC_GRID_SECONDS, grid_target
from aura.rl.intervals import EPISODES_ONLY, interval_covers
from aura.supervised.report import DATASET_NAMES
from aura.supervised.training import (
    TARGET_ACCURACY,
    TARGET_ACCURACY_SHARE,
    TARGET_MSE,
    TARGET_MSE_RATIO,
)

PPO_TARGET = 0.90
"""PPO's target at default params on both environments (normalised score, mean over seeds), with
a lead over the best hand rule whose whole 95% interval is above zero."""

SUPERVISED_PRIMARY = {"compatibility": "mse", "engagement": "mse", "difficulty": "accuracy"}
_BAYES_KEY = {"mse": "bayes_mse", "accuracy": "bayes_accuracy"}
_METRIC_WORDS = {"mse": "MSE", "accuracy": "accuracy"}
"""Each primary metric as the reports name it: the front page read "test mse", where every
notebook, its targets and its conclusion write MSE."""


def _ci(mean: float, low: float, high: float) -> str:
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


def _met(ok: bool) -> str:
    return "met" if ok else "missed"


def _rl_target(algo: str, result: Mapping[str, Any]) -> str:
    if algo != "ppo":
        return "none: reported as it comes"
    lead = result["lead_over_hand_rule"]
    return (
        f"at least {PPO_TARGET:.2f}: {_met(result['normalised']['mean'] >= PPO_TARGET)}; "
        f"ahead of the hand rule by its whole interval: {_met(result['beats_hand_rule_ci'])} "
        f"(lead {_ci(lead['mean'], lead['low'], lead['high'])})"
    )


def _supervised_target(key: str, m: Mapping[str, Any]) -> str:
    checks, truth = m.get("checks"), m.get("against_truth")
    if checks and not truth:
        return "metrics.json predates the checks in expectation over the noise: train again"
    if not checks or not truth:
        return "not checked: no Bayes reference for these inputs"
    ratio = _ci(truth["ratio"], truth["ratio_low"], truth["ratio_high"])
    if key == "accuracy":
        return (
            f"accuracy at least {TARGET_ACCURACY}: {_met(checks['accuracy_at_least_0.85'])}; "
            f"expected accuracy at least {TARGET_ACCURACY_SHARE} of Bayes: "
            f"{_met(checks['share_at_least_0.97'])} ({ratio})" + _other_targets(key, checks)
        )
    return (
        f"MSE below {TARGET_MSE}: {_met(checks['mse_below_0.1'])}; "
        f"expected MSE at most {TARGET_MSE_RATIO:.2f} x Bayes: "
        f"{_met(checks['ratio_at_most_1.10'])} ({ratio})" + _other_targets(key, checks)
    )


def _other_targets(key: str, checks: Mapping[str, Any]) -> str:
    """The model's targets besides its metric's own, as notebook 04's table words them: ahead of
    every baseline, and an ONNX file within the export's limit. The front page named two of the
    four targets that training records, so a forest behind a baseline or past the size limit
    read there as having met all of its targets. A metrics.json recorded before these checks
    has none to name."""
    beats = (
        "expected accuracy above every baseline's, expected log loss below"
        if key == "accuracy"
        else "expected MSE below every baseline's"
    )
    words = {
        "beats_baselines": beats,
        "onnx_at_most_20MB": f"ONNX file at most {MAX_FOREST_BYTES / 2**20:.0f} MiB",
    }
    return "".join(f"; {text}: {_met(checks[k])}" for k, text in words.items() if k in checks)


def _rl_interval(interval: Mapping[str, Any], n_episodes: int) -> str:
    """What an algorithm's interval covers, in the metric's words: a one-seed grid's covers the
    held-out episodes only, and the front page, read alone, has to say so."""
    if interval_covers(interval) == EPISODES_ONLY:
        return f"95% CI over {n_episodes:,} episodes only: one seed, not over seeds"
    return f"95% CI over {interval['n']} seeds and {n_episodes:,} episodes"


def rl_rows(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Normalised score (mean and 95% CI over seeds and held-out episodes; over the episodes
    alone for a one-seed grid) of every algorithm on every environment."""
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
                    "area": f"RL {env_key.replace('_', ' ')}",
                    "metric": (
                        f"{algo.upper()} normalised score "
                        f"({_rl_interval(n, res['n_test_episodes'])})"
                    ),
                    "value": _ci(n["mean"], n["low"], n["high"]),
                    "reference": reference,
                    "target": _rl_target(algo, r),
                }
            )
    return rows


def supervised_rows(metrics: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each model's primary test metric beside its constant and linear baselines and Bayes."""
    rows = []
    for name, key in SUPERVISED_PRIMARY.items():
        m = metrics["models"][name]
        baselines = ", ".join(f"{b} {v[key]:.4f}" for b, v in m["baselines"].items())
        bayes = (m["bayes"] or {}).get(_BAYES_KEY[key])
        floor = "no Bayes reference" if bayes is None else f"Bayes {bayes:.4f}"
        rows.append(
            {
                "area": f"Supervised {name}",
                "metric": f"test {_METRIC_WORDS[key]}",
                "value": f"{m['test'][key]:.4f}",
                "reference": f"{floor}; {baselines}",
                "target": _supervised_target(key, m),
            }
        )
    return rows + _new_draw_rows(metrics)


NEW_DRAW = "new_seed"
"""The out-of-sample population of new learners and a new tutor pool (`aura.supervised.shift`)."""
NEW_DRAW_WORDS = DATASET_NAMES[NEW_DRAW]
"""That population as notebook 04's out-of-sample table names it, "new seed": the front page and
the conclusion wrote the key of ``metrics.json``, new_seed, as if a reader knew the code."""


def _new_draw_rows(metrics: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each model's ratio to Bayes on new learners and a new pool of tutors, beside its ratio on
    the test set and its baselines' on the same draw. The test set's learners are new but its
    tutors are the training's, and the compatibility forest partly learns each tutor: on a new
    pool it fell behind the linear model (1.156 against 1.069 at default params) while its test
    ratio met the target, which the front page said alone."""
    entry = metrics.get("out_of_sample", {}).get(NEW_DRAW, {})
    rows = []
    for name, key in SUPERVISED_PRIMARY.items():
        m = entry.get(name, {})
        truth, test = m.get("against_truth"), metrics["models"][name].get("against_truth")
        if not truth or not test:  # inputs the simulator does not draw from: no Bayes there
            continue
        higher_better = key == "accuracy"
        ratios = {b: v["ratio"] for b, v in m["baselines"].items()}
        best = (max if higher_better else min)(ratios, key=ratios.__getitem__)
        low, high = truth["ratio_low"], truth["ratio_high"]
        ahead = low > ratios[best] if higher_better else high < ratios[best]
        behind = high < ratios[best] if higher_better else low > ratios[best]
        side = (
            f"ahead of the {best} baseline by its whole interval"
            if ahead
            else f"behind the {best} baseline by its whole interval"
            if behind
            else f"level with the {best} baseline: the interval holds its ratio"
        )
        what = "accuracy share of" if higher_better else "MSE ratio to"
        rows.append(
            {
                "area": f"Supervised {name}, new learners and tutors",
                "metric": f"expected {what} Bayes ({NEW_DRAW_WORDS} draw, 95% CI)",
                "value": _ci(truth["ratio"], low, high),
                "reference": f"test set {test['ratio']:.3f}; on the same draw "
                + ", ".join(f"{b} {r:.3f}" for b, r in ratios.items()),
                "target": "none: the targets are read on the test set (new learners, the "
                f"training's tutors); {side}",
            }
        )
    return rows


def ope_rows(table: pd.DataFrame, policy: str) -> list[dict[str, Any]]:
    """Off-policy estimates of one policy (95% bootstrap CI) beside its true value and the same
    estimator's estimate of every other policy in the table (the logging policy, the best fixed
    strategy), each with its own true value: what deploying the policy would be compared with."""
    rows = []
    for _, r in table[table["policy"] == policy].iterrows():
        others = table[(table["policy"] != policy) & (table["estimator"] == r["estimator"])]
        beside = "".join(
            f"; {o['policy']} {o['estimate']:.3f} (true {o['true_value']:.3f})"
            for _, o in others.iterrows()
        )
        rows.append(
            {
                "area": "Off-policy evaluation",
                "metric": f"{policy}: {r['estimator']} estimate (95% CI)",
                "value": _ci(r["estimate"], r["ci_low"], r["ci_high"]),
                "reference": f"true value {r['true_value']:.3f}{beside}",
                "target": "none; the interval "
                + ("covers" if r["ci_low"] <= r["true_value"] <= r["ci_high"] else "misses")
                + " the true value",
            }
        )
    return rows


def side(low: float, high: float) -> str:
    """Where an interval of a lead puts it: ``ahead``, ``behind`` (the whole interval on one
    side of zero) or ``level`` (it holds zero)."""
    if low > 0:
        return "ahead"
    if high < 0:
        return "behind"
    return "level"


_SIDE_WORDS = {
    "ahead": "ahead by its whole interval",
    "behind": "behind by its whole interval",
    "level": "level: the interval holds zero",
}


def pool_rows(table: pd.DataFrame, policy: str) -> list[dict[str, Any]]:
    """One algorithm's lead over the best fixed strategy on each tutor pool
    (``aura.rl.pools.pool_scores``): whether the grid's lead holds off its training pool."""
    rows = []
    name = policy.upper()
    for _, r in table[table["policy"] == policy].iterrows():
        ci = (
            "95% CI over episodes only: one seed"
            if r.get("ci_covers") == EPISODES_ONLY
            else "95% CI"
        )
        rows.append(
            {
                "area": "RL tutor matching, other tutor pools",
                "metric": f"{name} lead over the best fixed strategy, {r['pool']} ({ci})",
                "value": _ci(r["lead"], r["lead_low"], r["lead_high"]),
                "reference": (
                    f"{name} {r['normalised']:.3f}, {r['best_rule']} "
                    f"{r['best_rule_normalised']:.3f} on the pool"
                ),
                "target": f"none; {_SIDE_WORDS[side(r['lead_low'], r['lead_high'])]}",
            }
        )
    return rows


def grid_time_rows(
    cfg: ExperimentConfig, grid: Mapping[str, Any], *, saved: bool = False
) -> list[dict[str, Any]]:
    """The RL grid's training wall time (``grid``: its ``grid_timing.json``) beside the spec's
    allowance and the default grid's target, met or missed (`aura.rl.grid_target`). The time is
    the training's, which may be older than the run whose front page shows it: a grid read from
    its saved results (``saved``, notebook 03's ``load``) or whose runs were all kept and scored
    again says so, since the page quoted an earlier training's seconds as the run's own."""
    wall = grid["wall_seconds"]
    low, high = (s / 3600 for s in SPEC_GRID_SECONDS)
    if saved:
        when = "; the saved grid's record: this run trained nothing"
    elif "rescored" in grid:
        when = (
            "; an earlier training's: this run kept every run and scored them again in "
            f"{grid['rescored']['wall_seconds']:.0f} s"
        )
    else:
        when = ""
    return [
        {
            "area": "RL training",
            "metric": (
                f"grid wall time ({grid['n_runs']} runs of {cfg.training.total_timesteps:,} steps, "
                f"{grid['n_workers']} workers{when})"
            ),
            "value": "not recorded" if wall is None else f"{wall:.0f} s",
            "reference": f"the spec allowed {low:.0f}-{high:.0f} hours",
            "target": grid_target(cfg, grid),
        }
    ]
