"""`aura.rl.pools.pool_scores` on made-up per-episode returns: every number of a pool's rows is
the one worked out by hand (or, for the 95% intervals, by the bootstrap the grid documents,
written out here with numpy), on that pool's own references, not the training pool's."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from aura.envs import TUTOR_MATCHING_ID
from aura.rl import pools
from aura.rl.config.environments import EnvConfig

N, TEST_SEED, BASE_SEED = 4, 11, 7
Z95 = 1.959963984540054

RETURNS: dict[int, dict[str, list[float]]] = {
    # pool seed -> policy -> per-episode returns on that pool's held-out episodes
    0: {
        "random": [0, 0, 0, 4],  # mean 1 (median 0)
        "oracle": [10, 10, 10, 10],
        "fixed:a": [4, 4, 4, 8],  # mean 5: 4/9
        "fixed:b": [6, 7, 7, 8],  # mean 7: 6/9, the best rule here
        "seed_0": [8, 8, 8, 8],  # 7/9
        "seed_1": [6, 6, 6, 10],  # mean 7: 6/9
    },
    1: {
        "random": [2, 2, 2, 2],
        "oracle": [12, 12, 14, 10],  # mean 12
        "fixed:a": [9, 9, 9, 9],  # 7/10, the best rule here
        "fixed:b": [4, 4, 4, 4],  # 2/10
        "seed_0": [10, 10, 10, 10],  # 8/10
        "seed_1": [8, 8, 8, 8],  # 6/10
    },
}


@dataclasses.dataclass(frozen=True)
class FakeRun:
    env: EnvConfig


def fake_scoring(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int, int, dict]]:
    """Stand-ins for the simulator and the saved models: returns keyed by the pool seed the
    environment options carry. Returns the calls made (who, seed, episodes, options)."""
    calls: list[tuple[str, int, int, dict]] = []
    names = ("random", "oracle", "fixed:a", "fixed:b")

    def evaluate_policy(env_id: str, policy: str, n: int, seed: int, env_kwargs: dict) -> Any:
        calls.append((policy, seed, n, dict(env_kwargs)))
        return SimpleNamespace(returns=tuple(RETURNS[env_kwargs["pool_seed"]][policy]))

    def evaluate_model_file(path: Path, run: FakeRun, seed: int, n: int) -> list[float]:
        calls.append((path.name, seed, n, dict(run.env.kwargs)))
        return list(RETURNS[run.env.kwargs["pool_seed"]][path.name])

    def scored_models(entry: dict, models_dir: Path, scored_model: str) -> list:
        env = EnvConfig("tutor_matching", TUTOR_MATCHING_ID, {"pool_seed": 0})
        return [(models_dir / s["run_dir"], FakeRun(env)) for s in entry["seeds"]]

    monkeypatch.setattr(pools, "aura_baselines", lambda key, seed: {n: n for n in names})
    monkeypatch.setattr(pools, "evaluate_policy", evaluate_policy)
    monkeypatch.setattr(pools, "evaluate_model_file", evaluate_model_file)
    monkeypatch.setattr(pools, "scored_models", scored_models)
    return calls


def bootstrap_se(pool: dict[str, list[float]], policy: list[float], other: list[float] | None):
    """The bootstrap standard error of a normalised score (or of a lead over ``other``) over
    2,000 resamples of the episodes drawn from the grid's seed, as `aura.rl.intervals` documents
    it: one draw of episode indices for every policy, scores on random's and the oracle's means."""
    draws = np.random.default_rng(BASE_SEED).integers(N, size=(2000, N))
    lo = np.asarray(pool["random"], float)[draws].mean(axis=1)
    width = np.asarray(pool["oracle"], float)[draws].mean(axis=1) - lo
    score = (np.asarray(policy, float)[draws].mean(axis=1) - lo) / width
    if other is not None:
        score = score - (np.asarray(other, float)[draws].mean(axis=1) - lo) / width
    return float(score.std(ddof=1))


def half_width(per_seed: list[float], se: float) -> float:
    """Student-t half-width over the seeds and the episodes' Z95 half-width, in quadrature."""
    t_half = stats.t.ppf(0.975, len(per_seed) - 1) * np.std(per_seed, ddof=1) / math.sqrt(2)
    return math.hypot(t_half, Z95 * se)


def grid_and_pools() -> tuple[dict[str, Any], EnvConfig, dict[str, dict[str, int]]]:
    """A grid's results for PPO on two seeds, its environment, and two pools to score it on."""
    results = {
        "n_test_episodes": N,
        "test_seed": TEST_SEED,
        "scored_model": "best",
        "algorithms": {"ppo": {"seeds": [{"run_dir": "seed_0"}, {"run_dir": "seed_1"}]}},
    }
    env = EnvConfig("tutor_matching", TUTOR_MATCHING_ID, {"pool_seed": 0})
    variants = {"training pool": {"pool_seed": 0}, "new pool (seed 1)": {"pool_seed": 1}}
    return results, env, variants


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch):
    calls = fake_scoring(monkeypatch)
    results, env, variants = grid_and_pools()
    return pools.pool_scores(results, Path("models"), env, variants, BASE_SEED), calls


def test_each_pool_is_scored_on_its_own_references(table) -> None:
    frame, _ = table
    rows = frame.set_index(["pool", "policy"])
    assert sorted(frame.policy.unique()) == ["fixed:a", "fixed:b", "ppo"]  # no random, no oracle
    own = rows.loc["training pool"]
    assert own.loc["fixed:a", "normalised"] == pytest.approx(4 / 9)
    assert own.loc["fixed:b", "normalised"] == pytest.approx(6 / 9)
    assert set(own.best_rule) == {"fixed:b"}
    assert own.best_rule_normalised.tolist() == pytest.approx([6 / 9] * 3)
    assert own.random_return.tolist() == [1.0] * 3 and own.oracle_return.tolist() == [10.0] * 3
    new = rows.loc["new pool (seed 1)"]
    assert new.loc["fixed:a", "normalised"] == pytest.approx(0.7)
    assert new.loc["fixed:b", "normalised"] == pytest.approx(0.2)
    assert set(new.best_rule) == {"fixed:a"}
    assert new.best_rule_normalised.tolist() == pytest.approx([0.7] * 3)
    assert new.random_return.tolist() == [2.0] * 3 and new.oracle_return.tolist() == [12.0] * 3
    assert frame.lead.isna().sum() == 4  # the rules have no lead


@pytest.mark.parametrize(
    ("pool", "pool_seed", "per_seed", "best"),
    [
        ("training pool", 0, [7 / 9, 6 / 9], "fixed:b"),
        ("new pool (seed 1)", 1, [0.8, 0.6], "fixed:a"),
    ],
)
def test_a_policys_score_and_lead_are_over_its_seeds_and_the_pools_episodes(
    table, pool: str, pool_seed: int, per_seed: list[float], best: str
) -> None:
    frame, _ = table
    row = frame[(frame.pool == pool) & (frame.policy == "ppo")].iloc[0]
    returns = RETURNS[pool_seed]
    mean_returns = np.mean([returns["seed_0"], returns["seed_1"]], axis=0).tolist()
    hand = (np.mean(returns[best]) - np.mean(returns["random"])) / (
        np.mean(returns["oracle"]) - np.mean(returns["random"])
    )

    assert row.normalised == pytest.approx(np.mean(per_seed))
    half = half_width(per_seed, bootstrap_se(returns, mean_returns, None))
    assert (row.ci_low, row.ci_high) == pytest.approx(
        (row.normalised - half, row.normalised + half)
    )
    leads = [s - hand for s in per_seed]
    assert row.lead == pytest.approx(np.mean(leads))
    half = half_width(leads, bootstrap_se(returns, mean_returns, returns[best]))
    assert (row.lead_low, row.lead_high) == pytest.approx((row.lead - half, row.lead + half))
    assert row.n_seeds == 2
    assert row.ci_covers == "seeds and episodes"


def test_every_policy_meets_the_held_out_episodes_of_the_pool_it_is_scored_on(table) -> None:
    _, calls = table
    assert {(seed, n) for _, seed, n, _ in calls} == {(TEST_SEED, N)}
    for pool_seed in (0, 1):
        on_pool = {who for who, _, _, kwargs in calls if kwargs == {"pool_seed": pool_seed}}
        assert on_pool == {"random", "oracle", "fixed:a", "fixed:b", "seed_0", "seed_1"}


def test_progress_is_told_before_the_first_pool_and_after_each_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Notebook 05 scores every policy on each pool (about 80 s at default params) and draws a
    line as the pools are done; the table is the one scored without it."""
    results, env, variants = grid_and_pools()
    calls = fake_scoring(monkeypatch)
    told: list[tuple[int, int, int]] = []  # (done, total, policies scored by then)
    with_line = pools.pool_scores(
        results,
        Path("models"),
        env,
        variants,
        BASE_SEED,
        on_progress=lambda done, total: told.append((done, total, len(calls))),
    )
    per_pool = len(calls) // len(variants)
    assert told == [(0, 2, 0), (1, 2, per_pool), (2, 2, 2 * per_pool)]
    without = pools.pool_scores(results, Path("models"), env, variants, BASE_SEED)
    pd.testing.assert_frame_equal(with_line, without)
