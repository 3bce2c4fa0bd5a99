"""Tutor matching on tutor pools its policies were not trained on.

A tutor-matching policy sees the learner, never the pool, yet the pool decides which tutor each
strategy picks. A policy trained on one pool can learn that pool's quirks (that its style-matched
tutor for some kind of learner happens to be strong) instead of what holds for any pool, and
the grid cannot tell: it scores policies on held-out *learners* of the training pool. Here the
same saved policies are scored on the same held-out episodes on other pools: new draws of the
simulator's tutor population, and the tutors the service ranks (the data's tutors table, which
`aura export` writes as the served pool). Each pool has its own random, oracle and best fixed
strategy, so every score stays normalised on its own pool and every lead is over the rule that
is best there, paired by seed and episode as in the grid (``aura.rl.intervals``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aura.config import project_path
from aura.envs.evaluation import evaluate_policy, normalised_score
from aura.reports.tables import fixed, with_interval
from aura.rl.config import ConfigError
from aura.rl.config.environments import EnvConfig
from aura.rl.config.experiment import ExperimentConfig
from aura.rl.intervals import (
    interval_covers,
    paired_lead,
    resampler,
    seed_scores,
)
from aura.rl.references import HAND_RULE_EXCLUDED, aura_baselines, best_hand_rule
from aura.rl.results import write_json
from aura.rl.saved import grid_results
from aura.rl.scoring import evaluate_model_file, scored_models
from aura.rl.tables import interval_over

TRAINING_POOL = "training pool"
SERVED_POOL = "served pool"
POOLS_FILE = "pools.json"
ENV_KEY = "tutor_matching"


def pool_variants(
    env_kwargs: Mapping[str, Any],
    n_new: int,
    served_tutors: Path | None,
    pool_seeds: Sequence[int] = (),
) -> dict[str, dict[str, Any]]:
    """The environment options of each pool to score on, by name: the training pool (the
    grid's own options; with ``n_pools`` > 1 the training pools, drawn episode by episode),
    ``n_new`` single pools drawn with the pool seeds after the training ones, single pools of
    any ``pool_seeds`` asked for, and the served pool where ``served_tutors`` (a tutors CSV)
    exists and is not the training pool."""
    own = dict(env_kwargs)
    other = {k: v for k, v in own.items() if k not in ("tutors_csv", "pool_seed", "n_pools")}
    pools = {TRAINING_POOL: own}
    first = int(own.get("pool_seed", 0)) + int(own.get("n_pools", 1))
    for pool_seed in range(first, first + n_new):
        pools[f"new pool (seed {pool_seed})"] = {**other, "pool_seed": pool_seed}
    for pool_seed in pool_seeds:  # named apart: one may be among the training pools
        pools[f"pool (seed {pool_seed})"] = {**other, "pool_seed": pool_seed}
    if served_tutors is not None and served_tutors.is_file():
        trained_on = own.get("tutors_csv")
        same = (
            trained_on is not None
            and project_path(trained_on).resolve() == project_path(served_tutors).resolve()
        )
        if not same:
            served = {k: v for k, v in other.items() if k != "n_tutors"}  # the CSV's own size
            pools[SERVED_POOL] = {**served, "tutors_csv": str(served_tutors)}
    return pools


def _pool_rows(
    results: Mapping[str, Any],
    models_dir: Path,
    env: EnvConfig,
    base_seed: int,
) -> list[dict[str, Any]]:
    """Every saved policy and every fixed strategy of ``results`` scored on ``env``'s pool."""
    n, seed = int(results["n_test_episodes"]), int(results["test_seed"])
    returns = {
        name: np.asarray(evaluate_policy(env.id, policy, n, seed, env_kwargs=env.kwargs).returns)
        for name, policy in aura_baselines(env.key, seed).items()
    }
    means = {name: float(r.mean()) for name, r in returns.items()}
    lo, hi = means["random"], means["oracle"]
    best = best_hand_rule(means)
    resampled = resampler(returns["random"], returns["oracle"], base_seed)
    hand = float(normalised_score(means[best], lo, hi))
    rows = [
        {"policy": name, "normalised": float(normalised_score(mean, lo, hi))}
        for name, mean in means.items()
        if name not in HAND_RULE_EXCLUDED
    ]
    for algo, entry in results["algorithms"].items():
        per_seed = [
            evaluate_model_file(
                path, replace(run, env=replace(run.env, kwargs=dict(env.kwargs))), seed, n
            )
            for path, run in scored_models(entry, models_dir, results["scored_model"])
        ]
        scored = seed_scores(per_seed, lo, hi, resampled)
        lead = paired_lead(scored, [hand] * len(per_seed), resampled(returns[best]))
        rows.append(
            {
                "policy": algo,
                "normalised": scored.interval.mean,
                "ci_low": scored.interval.low,
                "ci_high": scored.interval.high,
                "lead": lead.mean,
                "lead_low": lead.low,
                "lead_high": lead.high,
                "n_seeds": scored.interval.n,
                "ci_covers": interval_covers(scored.interval),
            }
        )
    for row in rows:  # each number beside the pool's references, as the grid's tables have it
        row.update(best_rule=best, best_rule_normalised=hand, random_return=lo, oracle_return=hi)
    return rows


def pool_scores(
    results: Mapping[str, Any],
    models_dir: Path,
    env: EnvConfig,
    pools: Mapping[str, Mapping[str, Any]],
    base_seed: int,
    on_progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """One row per pool and policy (every fixed strategy, every algorithm of the grid):
    the normalised score on that pool and, for the algorithms, its 95% interval over seeds and
    episodes and the lead over that pool's best fixed strategy with its interval, the seeds and
    what the intervals cover (``ci_covers``: with one seed, the episodes only). Every row also
    gives its pool's references: the best fixed strategy and its score, and the mean returns of
    random and the oracle (``random_return``, ``oracle_return``), the pool's 0 and 1.

    ``results`` is the grid's results for tutor matching (``results.json``), ``models_dir`` the
    folder its run directories are relative to, ``env`` the grid's environment, ``base_seed``
    the grid's seed (the episode resamples are drawn from it, as in the grid). On the training
    pool the algorithms' rows are the grid's own numbers. ``on_progress(pools_done, pools)`` is
    told before the first pool and after each (each pool plays every policy's episodes again:
    seconds to a minute at default params).
    """
    rows = []
    if on_progress:
        on_progress(0, len(pools))
    for done, (name, kwargs) in enumerate(pools.items(), start=1):
        pool_env = replace(env, kwargs=dict(kwargs))
        rows += [
            {"pool": name, **row} for row in _pool_rows(results, models_dir, pool_env, base_seed)
        ]
        if on_progress:
            on_progress(done, len(pools))
    return pd.DataFrame(rows)


def learned_pool_table(table: pd.DataFrame) -> pd.DataFrame:
    """The algorithms' rows of a `pool_scores` table (those with a lead over the pool's best
    fixed strategy) as the report shows them: each algorithm named as every other table and
    figure of the reports names it (``PPO``, as `aura.rl.tables.results_table` does), where the
    table keys it as ``results.json`` does (``ppo``)."""
    learned = table[table["lead"].notna()]
    return learned.assign(policy=learned["policy"].str.upper())


def pool_report_table(table: pd.DataFrame) -> pd.DataFrame:
    """The algorithms' rows of a `pool_scores` table in the six columns a report page holds:
    the pool and its best fixed strategy with its score (the reference of every lead; random 0
    and the oracle 1 are the scale's own), then each algorithm's score and its lead over that
    strategy, each with its 95% interval in one cell, and what the intervals cover. As
    `pool_scores` gives it the table has fourteen columns (an interval's ends two, each pool's
    references four on every row) and ran past the edge of a 1,280-pixel page, the leads and
    what they cover beyond it."""
    rows = [
        {
            "pool": r["pool"],
            "best fixed strategy": (
                f"{r['best_rule'].removeprefix('fixed:')} {fixed(r['best_rule_normalised'])}"
            ),
            "algorithm": r["policy"],
            "normalised (95% CI)": with_interval(r["normalised"], r["ci_low"], r["ci_high"]),
            "lead over best fixed (95% CI)": with_interval(
                r["lead"], r["lead_low"], r["lead_high"]
            ),
            "interval over": interval_over(r["ci_covers"], r["n_seeds"]),
        }
        for _, r in learned_pool_table(table).iterrows()
    ]
    return pd.DataFrame(rows)


def grid_pool_scores(
    cfg: ExperimentConfig,
    served_tutors: Path | None,
    new_pools: int,
    pool_seeds: Sequence[int] = (),
) -> tuple[pd.DataFrame, Path]:
    """`pool_scores` of the tutor-matching grid that ``cfg`` trained (`aura train-rl`) on the
    pools of `pool_variants`, written to ``{rl_dir}/pools.json``: a study's pool table, one
    command away (`aura rl-pools`). Refused by name where ``cfg`` trains no tutor matching or its
    grid was not trained (or was trained with other params)."""
    if ENV_KEY not in cfg.env_keys:
        raise ConfigError(f"these params train no {ENV_KEY} (env_keys: {list(cfg.env_keys)})")
    for algo in cfg.algorithms:  # every algorithm's runs must be the ones cfg defines
        results = grid_results(cfg, ENV_KEY, algo)
    env = cfg.env(ENV_KEY)
    pools = pool_variants(env.kwargs, new_pools, served_tutors, pool_seeds)
    table = pool_scores(results, cfg.models_dir, env, pools, cfg.base_seed)
    rows = table.to_dict("records")  # a rule's missing interval is written as null
    return table, write_json(cfg.rl_dir / POOLS_FILE, {"pools": pools, "rows": rows})
