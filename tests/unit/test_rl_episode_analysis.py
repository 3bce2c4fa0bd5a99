"""`aura.rl.episodes.episode_analysis` on made-up episode summaries: the references' rows are
their own measures, an algorithm's row is each measure's mean over its seeds, every policy is
stepped through the grid's held-out episodes, and a seed whose mean return is not the grid's is
refused by its file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aura.envs import DIFFICULTY_ID
from aura.envs.evaluation import EvalResult
from aura.rl import episodes
from aura.rl.config.environments import EnvConfig
from aura.rl.episodes import MEASURES, episode_analysis

N, TEST_SEED = 5, 13
ENV = EnvConfig("difficulty_adaptation", DIFFICULTY_ID, {"max_steps": 9})


def summary(mean: float, std: float, length: float, success: float, consistency: float):
    return EvalResult(mean, std, length, success, consistency, N, (mean,) * N)


BASELINES = {
    "random": summary(1.0, 0.5, 9.0, 0.0, 0.5),
    "staircase": summary(3.0, 0.6, 8.0, 0.4, 0.8),
    "fixed:easier": summary(2.0, 0.7, 7.0, 0.2, 0.65),
    "oracle": summary(5.0, 0.5, 6.0, 1.0, 0.9),
}
SEEDS = {  # three seeds, so a median would differ from the mean in every measure
    "seed_0": summary(4.0, 0.3, 6.0, 0.6, 0.9),
    "seed_1": summary(2.5, 0.9, 9.0, 0.2, 0.64),
    "seed_2": summary(3.0, 0.6, 8.4, 0.4, 0.8),
}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    made: list[tuple[Any, ...]] = []

    def evaluate_policy(env_id: str, policy: str, n: int, seed: int, env_kwargs: dict):
        made.append((policy, env_id, n, seed, tuple(env_kwargs.items())))
        return BASELINES[policy]

    def evaluate_model(path: Path, run: EnvConfig, seed: int, n: int):
        made.append((path.name, run.id, n, seed, tuple(run.kwargs.items())))
        return SEEDS[path.name]

    monkeypatch.setattr(episodes, "aura_baselines", lambda key, seed: {n: n for n in BASELINES})
    monkeypatch.setattr(episodes, "evaluate_policy", evaluate_policy)
    monkeypatch.setattr(episodes, "evaluate_model", evaluate_model)
    monkeypatch.setattr(
        episodes,
        "scored_models",
        lambda entry, models_dir, scored: [
            (models_dir / s["run_dir"], ENV) for s in entry["seeds"]
        ],
    )
    return made


def results() -> dict[str, Any]:
    seeds = [{"run_dir": name, "mean_return": s.mean_return} for name, s in SEEDS.items()]
    return {
        "n_test_episodes": N,
        "test_seed": TEST_SEED,
        "scored_model": "best",
        "references": {"hand_rule_name": "staircase"},
        "algorithms": {"ppo": {"seeds": seeds}},
    }


def test_each_row_is_its_policys_measures_and_an_algorithms_the_mean_over_seeds(calls) -> None:
    table = episode_analysis(results(), Path("models"), ENV)
    assert list(table.columns[:3]) == ["policy", "role", "n_episodes"]
    assert table["policy"].tolist() == ["random", "staircase", "oracle", "ppo"]
    assert table["role"].tolist() == ["random", "best hand rule", "oracle", "learned (best model)"]
    assert (table["n_episodes"] == N).all()
    rows = table.set_index("policy")
    for name in ("random", "staircase", "oracle"):
        assert rows.loc[name, list(MEASURES)].tolist() == [
            getattr(BASELINES[name], m) for m in MEASURES
        ]
    worked = {  # by hand, the three seeds' means
        "mean_return": 9.5 / 3,
        "std_return": 0.6,
        "mean_length": 23.4 / 3,
        "success_rate": 0.4,
        "consistency": 2.34 / 3,
    }
    assert rows.loc["ppo", list(MEASURES)].tolist() == pytest.approx(list(worked.values()))
    assert rows.loc["ppo", "n_seeds"] == 3


def test_every_policy_is_stepped_through_the_grids_held_out_episodes(calls) -> None:
    episode_analysis(results(), Path("models"), ENV)
    assert [c[0] for c in calls] == ["random", "staircase", "oracle", "seed_0", "seed_1", "seed_2"]
    assert {c[1:] for c in calls} == {(DIFFICULTY_ID, N, TEST_SEED, (("max_steps", 9),))}


@pytest.mark.parametrize("change", [1e-9, -1e-9])
def test_a_seed_whose_mean_return_is_not_the_grids_is_refused(calls, change: float) -> None:
    grid = results()
    grid["algorithms"]["ppo"]["seeds"][2]["mean_return"] += change
    with pytest.raises(ValueError, match=r"seed_2 gives a mean held-out return of 3\.0"):
        episode_analysis(grid, Path("models"), ENV)


def test_the_episode_report_table_reads_in_words_and_fixed_point() -> None:
    """Notebook 03 showed the analysis under the code's names (std_return, n_seeds) with the
    references' seeds as NaN; the report table names each measure in words, writes each to three
    decimals, the counts without decimals and a dash for a reference's seeds. The analysis itself
    is left as it was."""
    import pandas as pd

    from aura.reports.tables import MISSING
    from aura.rl.episodes import episode_report_table

    table = pd.DataFrame(
        {
            "env": ["difficulty_adaptation", "difficulty_adaptation"],
            "policy": ["staircase", "ppo"],
            "role": ["best hand rule", "learned (best model)"],
            "n_episodes": [1000, 1000],
            "mean_return": [22.74512, 24.0],
            "std_return": [4.00049, 3.9996],
            "mean_length": [20.0, 19.9375],
            "success_rate": [0.907, 0.8834],
            "consistency": [0.82411, -0.0004],
            "n_seeds": [None, 3],
        }
    )
    before = table.copy()
    shown = episode_report_table(table)
    assert list(shown.columns) == [
        "environment",
        "policy",
        "role",
        "mean return",
        "sd of returns",
        "mean episode length",
        "success rate",
        "consistency",
        "episodes",
        "seeds",
    ]
    assert shown.values.tolist() == [
        ["difficulty adaptation", "staircase", "best hand rule"]
        + ["22.745", "4.000", "20.000", "0.907", "0.824", "1,000", MISSING],
        ["difficulty adaptation", "PPO", "learned (best model)"]
        + ["24.000", "4.000", "19.938", "0.883", "-0.000", "1,000", "3"],
    ]
    pd.testing.assert_frame_equal(table, before)
