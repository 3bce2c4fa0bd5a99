"""The spec's episode analysis of the grid's policies ("Performance Metrics": mean reward and its
standard deviation; episode length, success rate and consistency, as `aura.envs.evaluation`
defines them), beside random, the best hand rule and the oracle on the same held-out episodes.

The grid scores its policies by their returns alone (``results.json``). These other numbers come
from stepping the same saved policies through the same seeded held-out episodes again, so their
mean returns are the grid's own (checked, seed by seed), and the references meet the same
learners: a success rate means something only beside the rule's and the oracle's.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from aura.envs.evaluation import MEASURE_HEADERS, EvalResult, evaluate_policy
from aura.reports.tables import MISSING, fixed
from aura.rl.config.environments import EnvConfig
from aura.rl.references import aura_baselines
from aura.rl.scoring import evaluate_model, scored_models

MEASURES = ("mean_return", "std_return", "mean_length", "success_rate", "consistency")
"""The columns of the analysis, as `aura.envs.evaluation.EvalResult` names them."""


def _measures(result: EvalResult) -> dict[str, float]:
    return {name: float(getattr(result, name)) for name in MEASURES}


def episode_analysis(results: Mapping[str, Any], models_dir: Path, env: EnvConfig) -> pd.DataFrame:
    """One row per policy of one environment: random, the grid's best hand rule and the oracle,
    then each algorithm's scored policy (`scored_model`) with each measure's mean over its seeds.

    ``results`` is the environment's entry of the grid's ``results.json``, ``models_dir`` the
    folder its run folders are under. Each row also gives the episodes it is measured on and,
    for an algorithm, its seeds. A seed whose mean return is not the grid's, to the bit, is a
    ValueError naming its file: the analysis would describe another policy than the table.
    """
    n, seed = int(results["n_test_episodes"]), int(results["test_seed"])
    baselines = aura_baselines(env.key, seed)
    rows: list[dict[str, Any]] = []
    for role, name in (
        ("random", "random"),
        ("best hand rule", results["references"]["hand_rule_name"]),
        ("oracle", "oracle"),
    ):
        result = evaluate_policy(env.id, baselines[name], n, seed, env_kwargs=env.kwargs)
        rows.append({"policy": name, "role": role, **_measures(result), "n_seeds": None})
    for algo, entry in results["algorithms"].items():
        per_seed = []
        runs = scored_models(entry, models_dir, results["scored_model"])
        for (path, run), graded in zip(runs, entry["seeds"], strict=True):
            measured = _measures(evaluate_model(path, run, seed, n))
            if measured["mean_return"] != graded["mean_return"]:
                raise ValueError(
                    f"{path} gives a mean held-out return of {measured['mean_return']!r}, the "
                    f"grid's results {graded['mean_return']!r}: the run changed after they were "
                    "written; aura train-rl scores it again"
                )
            per_seed.append(measured)
        means = pd.DataFrame(per_seed).mean()
        rows.append(
            {
                "policy": algo,
                "role": f"learned ({results['scored_model']} model)",
                **{name: float(means[name]) for name in MEASURES},
                "n_seeds": len(per_seed),
            }
        )
    table = pd.DataFrame(rows)
    table.insert(2, "n_episodes", n)
    return table


EPISODE_REPORT_COLUMNS = [
    "environment",
    "policy",
    "role",
    *(MEASURE_HEADERS[name] for name in MEASURES),
    "episodes",
    "seeds",
]
"""The headers of `episode_report_table`, in order."""


def episode_report_table(table: pd.DataFrame, digits: int = 3) -> pd.DataFrame:
    """`episode_analysis` tables, one or several concatenated with an ``env`` column, as notebook
    03 shows them: headers in words where the code's (``std_return``, ``n_seeds``) stood, each
    measure to ``digits`` decimals in fixed point, a learned policy named as the results table
    names it (PPO), the counts without decimals, and a dash for a reference's seeds, which it
    has none of (pandas printed the seeds of a table with references in it as 2.0 and NaN)."""
    rows = [
        [
            str(r["env"]).replace("_", " ") if "env" in table.columns else MISSING,
            str(r["policy"]).upper() if pd.notna(r["n_seeds"]) else r["policy"],
            r["role"],
            *(fixed(r[name], digits) for name in MEASURES),
            f"{int(r['n_episodes']):,}",
            MISSING if pd.isna(r["n_seeds"]) else str(int(r["n_seeds"])),
        ]
        for _, r in table.iterrows()
    ]
    return pd.DataFrame(rows, columns=EPISODE_REPORT_COLUMNS)
