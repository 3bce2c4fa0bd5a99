"""`compare_grids` on two grids' results written by hand: the lead of a study over the grid it
changes is the paired difference, seed k against seed k and episode against episode, worked
here with numpy and scipy from the per-episode returns alone; grids that pair nothing are
refused by name. (tests/integration/test_rl_compare.py trains the grids themselves.)"""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml
from scipy import stats

import aura.rl.compare as compare
from aura.config import PARAMS_DIR
from aura.rl.config import SECTION, ConfigError
from aura.rl.config.experiment import experiment_config

N_EPISODES, N_SEEDS, DRAWS = 60, 3, 2000
Z95 = stats.norm.ppf(0.975)


def config(name: str, *, seeds: int = N_SEEDS, seed: int = 7, algorithms=("ppo",)):
    section = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text())[SECTION]
    section.update(env_keys=["tutor_matching"], algorithms=list(algorithms), seeds=seeds)
    section["n_test_episodes"] = N_EPISODES
    shared = {"seed": seed, "data_dir": "d", "models_dir": f"models/{name}", "artifacts_dir": "a"}
    return experiment_config(section, shared)


RNG = np.random.default_rng(31)
RANDOM = RNG.normal(0.2, 0.1, N_EPISODES)
ORACLE = RNG.normal(1.1, 0.1, N_EPISODES)
BASE = [RNG.normal(level, 0.25, N_EPISODES) for level in (0.55, 0.7, 0.62)]
# the study: each seed its twin plus noise per episode and a lead that differs by seed
LEADS = (0.05, 0.01, 0.03)
STUDY = [b + RNG.normal(lead, 0.05, N_EPISODES) for b, lead in zip(BASE, LEADS, strict=True)]


def payload(returns, *, hand: float, oracle=ORACLE, algos=("ppo",)) -> dict:
    """One environment's results entry as `grid_results` returns it (the fields compare reads)."""
    return {
        "references": {
            "random": float(RANDOM.mean()),
            "oracle": float(np.mean(oracle)),
            "episode_returns": {"random": list(RANDOM), "oracle": list(oracle)},
            "hand_rule_name": "rule",
            "hand_rule_normalised": hand,
            "ceiling_name": "filter",
            "ceiling_normalised": hand + 0.1,
        },
        "algorithms": {
            algo: {"seeds": [{"test_returns": list(r)} for r in returns]} for algo in algos
        },
    }


@pytest.fixture
def saved(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Results by models folder name; an algorithm a grid did not train is refused as
    `grid_results` refuses it."""
    held: dict = {}

    def grid_results(cfg, env_key: str, algo: str) -> dict:
        results = held[cfg.models_dir.name]
        if algo not in results["algorithms"]:
            raise ConfigError(f"{cfg.models_dir} holds no {algo} runs")
        return results

    monkeypatch.setattr(compare, "grid_results", grid_results)
    return held


def scores(returns, random: np.ndarray, oracle: np.ndarray) -> np.ndarray:
    """Each seed's normalised score: (R - R_random) / (R_oracle - R_random) by the means."""
    lo, hi = random.mean(), oracle.mean()
    return (np.mean(returns, axis=1) - lo) / (hi - lo)


def resampled_means(returns) -> np.ndarray:
    """The seeds' mean normalised score on each of the grid's resamples of the episodes (drawn
    from shared seed 7), every resample normalised by random and the oracle on it."""
    draws = np.random.default_rng(7).integers(N_EPISODES, size=(DRAWS, N_EPISODES))
    mean = np.mean(returns, axis=0)
    lo, hi = RANDOM[draws].mean(axis=1), ORACLE[draws].mean(axis=1)
    return (mean[draws].mean(axis=1) - lo) / (hi - lo)


def interval(values: np.ndarray, episode_se: float) -> tuple[float, float, float]:
    """Student-t interval over the seeds widened in quadrature by Z95 x the episodes' error."""
    low, high = stats.t.interval(0.95, len(values) - 1, values.mean(), stats.sem(values))
    half = math.hypot((high - low) / 2, Z95 * episode_se)
    return values.mean(), values.mean() - half, values.mean() + half


def test_the_lead_is_the_paired_difference_by_seed_and_episode(saved: dict) -> None:
    saved["study"] = payload(STUDY, hand=0.30)
    saved["base"] = payload(BASE, hand=0.40)
    [row] = compare.compare_grids(config("study"), config("base"))

    mine, theirs = scores(STUDY, RANDOM, ORACLE), scores(BASE, RANDOM, ORACLE)
    assert row["per_seed"] == pytest.approx(mine, rel=1e-12)
    assert row["base_per_seed"] == pytest.approx(theirs, rel=1e-12)
    a, b = resampled_means(STUDY), resampled_means(BASE)
    score = row["normalised"]
    assert (score["mean"], score["low"], score["high"]) == pytest.approx(
        interval(mine, a.std(ddof=1)), rel=1e-9
    )
    base = row["base_normalised"]
    assert (base["mean"], base["low"], base["high"]) == pytest.approx(
        interval(theirs, b.std(ddof=1)), rel=1e-9
    )
    lead = row["lead"]
    assert lead["mean"] > 0  # the study is ahead of the grid it changes
    assert (lead["mean"], lead["low"], lead["high"]) == pytest.approx(
        interval(mine - theirs, (a - b).std(ddof=1)), rel=1e-9
    )
    # the references beside the lead are the base grid's, on the same episodes
    assert row["references"] == {
        "hand_rule_name": "rule",
        "hand_rule_normalised": 0.40,
        "ceiling_name": "filter",
        "ceiling_normalised": pytest.approx(0.50),
    }


def test_only_the_pairs_both_grids_trained_are_compared(saved: dict) -> None:
    saved["study"] = payload(STUDY, hand=0.3, algos=("ppo", "a2c"))
    saved["base"] = payload(BASE, hand=0.3)
    rows = compare.compare_grids(config("study", algorithms=("ppo", "a2c")), config("base"))
    assert [(r["env_key"], r["algo"]) for r in rows] == [("tutor_matching", "ppo")]


@pytest.mark.parametrize(
    ("base", "message"),
    [
        ({"seeds": 2}, "tutor_matching/ppo: 3 seeds against 2; pairing needs both"),
        ({"seed": 8}, "shared.seed 7 against 8: other seeds and other held-out episodes"),
        ({"algorithms": ("a2c",)}, r"share no \(environment, algorithm\) to compare"),
    ],
)
def test_grids_of_other_seeds_or_runs_are_refused(saved: dict, base: dict, message: str) -> None:
    saved["study"] = payload(STUDY, hand=0.3)
    seeds = base.get("seeds", N_SEEDS)
    saved["base"] = payload(BASE[:seeds], hand=0.3, algos=base.get("algorithms", ("ppo",)))
    with pytest.raises(ConfigError, match=message):
        compare.compare_grids(config("study"), config("base", **base))


def test_an_oracle_that_returned_otherwise_on_one_episode_pairs_nothing(saved: dict) -> None:
    """Random's returns alike and the oracle's not: another environment, not a pair."""
    other = ORACLE.copy()
    other[17] += 0.5
    saved["study"] = payload(STUDY, hand=0.3)
    saved["base"] = payload(BASE, hand=0.3, oracle=other)
    with pytest.raises(ConfigError, match="random and oracle returns differ on the held-out"):
        compare.compare_grids(config("study"), config("base"))
