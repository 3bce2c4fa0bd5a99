"""`summarise` on a grid where every reference is its own: random and the oracle vary by episode,
the upper reference is not the hand rule, there is an experience reference, the saved policy
not scored trails the scored one by a different amount in every episode, and the runs took
different times. Every number is worked here with numpy and scipy from the per-episode returns;
the resamples of the episodes are drawn from the params' seed as `aura.rl.intervals` documents
(2,000 draws of the episode indices with ``numpy.random.default_rng(seed)``)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import yaml
from scipy import stats

from aura.config import PARAMS_DIR
from aura.rl.config import SECTION
from aura.rl.config.experiment import experiment_config
from aura.rl.experiment import RunOutcome
from aura.rl.results import summarise

N, SEED = 120, 7
Z95 = stats.norm.ppf(0.975)
RECORDED, THIS_CALL = (100.0, 250.0, 75.5), (0.0, 250.0, 0.0)


def config():
    section = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text())[SECTION]
    section.update(env_keys=["tutor_matching"], algorithms=["ppo"], seeds=3)
    section.update(n_test_episodes=N, curve_episodes=30, ceiling_episodes=500)
    shared = {"seed": SEED, "data_dir": "d", "models_dir": "models/x", "artifacts_dir": "a"}
    return experiment_config(section, shared)


RNG = np.random.default_rng(41)
EPISODES = {
    "random": RNG.normal(1.0, 0.5, N),
    "oracle": RNG.normal(5.0, 0.5, N),
    "rule": RNG.normal(3.0, 1.0, N),
    "filter": RNG.normal(4.0, 1.5, N),
    "seen": RNG.normal(3.5, 2.0, N),
}
RETURNS = np.array([EPISODES["rule"] + RNG.normal(lead, 0.8, N) for lead in (0.3, 0.5, 0.2)])
OTHER = RETURNS - RNG.normal(0.1, 0.5, RETURNS.shape)  # behind by another amount each episode


def references() -> dict:
    means = {name: float(r.mean()) for name, r in EPISODES.items()}
    return {
        "random": means["random"],
        "oracle": means["oracle"],
        "hand_rule": means["rule"],
        "hand_rule_name": "rule",
        "ceiling": means["filter"],
        "ceiling_name": "filter",
        "experience": means["seen"],
        "experience_name": "seen",
        "experience_steps": 6000,
        "episode_returns": {name: list(r) for name, r in EPISODES.items()},
    }


def outcomes(cfg, *, other: bool = True) -> list[RunOutcome]:
    return [
        RunOutcome(
            "tutor_matching",
            "ppo",
            k,
            str(cfg.models_dir / f"run{k}"),
            3000,
            0,
            THIS_CALL[k],
            RECORDED[k],
            list(RETURNS[k]),
            [(1000, 2.0 + k), (2000, 3.0 + k)],
            list(OTHER[k]) if other else [],
        )
        for k in range(3)
    ]


def normalised(returns: np.ndarray, draw: np.ndarray | slice = slice(None)) -> float:
    """The mean of ``returns`` on the episodes ``draw`` picks, by random and the oracle there."""
    lo, hi = EPISODES["random"][draw].mean(), EPISODES["oracle"][draw].mean()
    return (returns[..., draw].mean() - lo) / (hi - lo)


def resampled(returns: np.ndarray) -> np.ndarray:
    draws = np.random.default_rng(SEED).integers(N, size=(2000, N))
    return np.array([normalised(returns, d) for d in draws])


def interval(values: np.ndarray, episode_se: float) -> tuple[float, float, float]:
    low, high = stats.t.interval(0.95, len(values) - 1, values.mean(), stats.sem(values))
    half = math.hypot((high - low) / 2, Z95 * episode_se)
    return values.mean(), values.mean() - half, values.mean() + half


def triple(entry: dict) -> tuple[float, float, float]:
    return entry["mean"], entry["low"], entry["high"]


@pytest.fixture(scope="module")
def results() -> dict:
    cfg = config()
    return summarise(cfg, outcomes(cfg), {"tutor_matching": references()})["tutor_matching"]


def test_each_reference_is_scored_and_resampled_on_its_own_returns(results: dict) -> None:
    ref = results["references"]
    for key, name in (("hand_rule", "rule"), ("ceiling", "filter"), ("experience", "seen")):
        assert ref[f"{key}_normalised"] == pytest.approx(normalised(EPISODES[name]), rel=1e-12)
        se = resampled(EPISODES[name]).std(ddof=1)
        assert ref["episode_se"][key] == pytest.approx(se, rel=1e-9), key
    assert results["ceiling_episodes"] == 500 and results["n_test_episodes"] == N
    assert results["curves"]["n_episodes"] == 30


def test_the_lead_over_the_hand_rule_is_paired_with_the_hand_rule_s_episodes(
    results: dict,
) -> None:
    ppo = results["algorithms"]["ppo"]
    per_seed = np.array([normalised(r) for r in RETURNS])
    hand = normalised(EPISODES["rule"])
    policy, rule = resampled(RETURNS), resampled(EPISODES["rule"])
    assert triple(ppo["normalised"]) == pytest.approx(
        interval(per_seed, policy.std(ddof=1)), rel=1e-9
    )
    lead = interval(per_seed - hand, (policy - rule).std(ddof=1))
    assert triple(ppo["lead_over_hand_rule"]) == pytest.approx(lead, rel=1e-9)
    assert ppo["beats_hand_rule"] is bool(per_seed.mean() > hand) is True
    assert ppo["beats_hand_rule_ci"] is bool(lead[1] > 0)


def test_the_policy_not_scored_is_paired_episode_by_episode(results: dict) -> None:
    other = results["algorithms"]["ppo"]["other_model"]
    assert other["model"] == "best"  # tutor matching scores the final policy
    scored, behind = resampled(RETURNS), resampled(OTHER)
    per_seed = np.array([normalised(r) for r in OTHER])
    assert other["per_seed"] == pytest.approx(per_seed, rel=1e-12)
    assert triple(other["normalised"]) == pytest.approx(
        interval(per_seed, behind.std(ddof=1)), rel=1e-9
    )
    diffs = np.array([normalised(r) for r in RETURNS]) - per_seed
    assert triple(other["scored_lead"]) == pytest.approx(
        interval(diffs, (scored - behind).std(ddof=1)), rel=1e-9
    )


def test_training_time_is_each_run_s_own_recorded_time_and_their_sum(results: dict) -> None:
    """Seeds 0 and 2 were kept from before (0 s trained by this call): each keeps the seconds
    its training took, and the algorithm's time is the sum over its seeds."""
    ppo = results["algorithms"]["ppo"]
    assert [s["train_seconds"] for s in ppo["seeds"]] == list(RECORDED)
    assert ppo["train_seconds"] == pytest.approx(425.5)


def test_a_policy_not_scored_for_one_seed_leaves_the_comparison_out() -> None:
    cfg = config()
    runs = outcomes(cfg)
    runs[1] = dataclasses.replace(runs[1], other_returns=[])
    ppo = summarise(cfg, runs, {"tutor_matching": references()})["tutor_matching"]
    assert "other_model" not in ppo["algorithms"]["ppo"]
