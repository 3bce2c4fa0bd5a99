"""Held-out learning curves: every checkpoint on the first ``curve_episodes`` held-out episodes,
normalised by random and the oracle on those same episodes."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import yaml

from aura.config import PARAMS_DIR
from aura.rl.config import SECTION
from aura.rl.config.experiment import experiment_config
from aura.rl.curves import curve_bands, curve_limits, curve_yardstick, held_out_curves
from aura.rl.experiment import RunOutcome
from aura.rl.results import summarise

SHARED = {"seed": 7, "data_dir": "data/x", "models_dir": "models/x", "artifacts_dir": "a"}
N_TEST, N_CURVE = 40, 10


def config():
    section = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text())[SECTION]
    section.update(env_keys=["tutor_matching"], algorithms=["ppo"], seeds=2)
    section.update(n_test_episodes=N_TEST, curve_episodes=N_CURVE)
    return experiment_config(section, SHARED)


def references():
    # random returns 0 on the curve's episodes and 0.5 on the others, the oracle 1 everywhere
    random = [0.0] * N_CURVE + [0.5] * (N_TEST - N_CURVE)
    rule = [0.2] * N_CURVE + [0.9] * (N_TEST - N_CURVE)
    return {
        "random": sum(random) / N_TEST,
        "oracle": 1.0,
        "hand_rule": sum(rule) / N_TEST,
        "hand_rule_name": "rule",
        "ceiling": sum(rule) / N_TEST,
        "ceiling_name": "rule",
        "experience": None,
        "experience_name": None,
        "experience_steps": None,
        "episode_returns": {"random": random, "oracle": [1.0] * N_TEST, "rule": rule},
    }


def outcome(cfg, k: int, curve: list[tuple[int, float]]) -> RunOutcome:
    returns = [0.8] * N_TEST
    path = str(cfg.models_dir / f"run{k}")
    return RunOutcome("tutor_matching", "ppo", k, path, 3000, 0, 1.0, 1.0, returns, curve)


def test_curves_are_normalised_on_their_own_episodes_over_the_steps_every_seed_reached() -> None:
    cfg = config()
    outcomes = [
        outcome(cfg, 0, [(1000, 0.2), (2000, 0.4), (3000, 0.6)]),
        outcome(cfg, 1, [(1000, 0.4), (3000, 0.8)]),  # no checkpoint at 2000
    ]
    results = summarise(cfg, outcomes, {"tutor_matching": references()})["tutor_matching"]
    curve = results["algorithms"]["ppo"]["held_out_curve"]
    assert [p["timesteps"] for p in curve] == [1000, 3000]
    # on the first 10 episodes random scores 0 and the oracle 1, so a mean return is its score
    assert [p["mean"] for p in curve] == pytest.approx([0.3, 0.7])
    assert all(p["low"] < p["mean"] < p["high"] and p["n"] == 2 for p in curve)
    assert results["curves"] == {
        "n_episodes": N_CURVE,
        "references": {"hand_rule": pytest.approx(0.2), "ceiling": pytest.approx(0.2)},
    }

    table = held_out_curves({"tutor_matching": results})
    assert table["timesteps"].tolist() == [1000, 3000]
    assert table["normalised"].tolist() == pytest.approx([0.3, 0.7])


def test_results_written_before_the_curves_give_an_empty_table() -> None:
    old = {"tutor_matching": {"algorithms": {"ppo": {"normalised": {}}}}}
    table = held_out_curves(old)
    assert table.empty and "normalised" in table.columns


@pytest.mark.parametrize(("n_test", "expected"), [(5, 5), (1000, 100)])
def test_unset_curve_episodes_take_the_first_held_out_episodes_up_to_100(
    n_test: int, expected: int
) -> None:
    section = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text())[SECTION]
    section.update(n_test_episodes=n_test)
    section.pop("curve_episodes", None)
    assert experiment_config(section, SHARED).curve_episodes == expected
    section["curve_episodes"] = None  # what the notebook passes by default
    assert experiment_config(section, SHARED).curve_episodes == expected


def test_the_curve_yardstick_is_random_and_the_oracle_on_the_curve_s_episodes_alone() -> None:
    """Random and the oracle vary by episode and the curve takes the first 4 of 9: every
    reference is normalised by their means on those 4, worked here by hand."""
    random = [0.0, 0.0, 3.0, 1.0, 9.0, 9.0, 9.0, 9.0, 9.0]  # mean 1 on the first 4, median 0.5
    oracle = [5.0, 5.0, 5.0, 9.0, 0.0, 0.0, 0.0, 0.0, 0.0]  # mean 6, median 5
    rule = [2.0, 2.0, 2.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0]  # mean 2.75
    filt = [4.0, 4.0, 4.0, 4.0, 1.0, 1.0, 1.0, 1.0, 1.0]  # mean 4
    seen = [1.0, 1.0, 1.0, 3.0, 8.0, 8.0, 8.0, 8.0, 8.0]  # mean 1.5
    ref = {
        "hand_rule_name": "rule",
        "ceiling_name": "filter",
        "experience_name": "seen",
        "episode_returns": {
            "random": random,
            "oracle": oracle,
            "rule": rule,
            "filter": filt,
            "seen": seen,
        },
    }
    refs, score = curve_yardstick(ref, 4)
    assert refs == pytest.approx({"hand_rule": 1.75 / 5, "ceiling": 3 / 5, "experience": 0.5 / 5})
    assert score(1.0) == 0.0 and score(6.0) == 1.0 and score(3.5) == pytest.approx(0.5)
    ref["experience_name"] = None  # difficulty adaptation has no experience reference
    assert set(curve_yardstick(ref, 4)[0]) == {"hand_rule", "ceiling"}


def test_a_band_is_the_t_interval_of_the_seeds_normalised_scores_step_by_step() -> None:
    """Checkpoints listed in any order come out in order of steps, each the mean over seeds of
    the normalised scores with scipy's t interval (n - 1 degrees of freedom)."""
    from scipy import stats

    def score(mean: float) -> float:  # random returns 2, the oracle 6
        return (mean - 2.0) / 4.0

    curves = [
        [(3000, 5.0), (1000, 3.0), (2000, 4.0)],
        [(2000, 4.4), (1000, 2.6), (3000, 5.6)],
        [(1000, 3.4), (3000, 4.4), (2000, 3.6)],
    ]
    bands = curve_bands(curves, score)
    assert [b["timesteps"] for b in bands] == [1000, 2000, 3000]
    for band, step in zip(bands, (1000, 2000, 3000), strict=True):
        normalised = np.array([(dict(c)[step] - 2.0) / 4.0 for c in curves])
        low, high = stats.t.interval(0.95, 2, normalised.mean(), stats.sem(normalised))
        assert (band["mean"], band["low"], band["high"], band["n"]) == pytest.approx(
            (normalised.mean(), low, high, 3), rel=1e-12
        )


def test_the_held_out_curve_table_keeps_each_end_of_the_band_in_its_column() -> None:
    point = {"timesteps": 500, "mean": 0.4, "low": 0.1, "high": 0.8, "n": 3}
    results = {"tutor_matching": {"algorithms": {"ppo": {"held_out_curve": [point]}}}}
    row = held_out_curves(results).iloc[0].to_dict()
    assert row == {
        "env": "tutor_matching",
        "algo": "ppo",
        "timesteps": 500,
        "normalised": 0.4,
        "low": 0.1,
        "high": 0.8,
        "n_seeds": 3,
    }


def test_a_one_seed_curve_read_back_from_results_json_has_float_band_ends() -> None:
    """A one-seed band is infinite, which results.json writes as null: read back (notebook 03's
    ``load``), the band's columns held None and its figure stopped in matplotlib's TypeError
    ("ufunc 'isfinite' not supported"). They read as NaN, which the figure leaves undrawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    point = {"timesteps": 500, "mean": 0.4, "low": None, "high": None, "n": 1}
    results = {"tutor_matching": {"algorithms": {"ars": {"held_out_curve": [point]}}}}
    table = held_out_curves(results)
    assert table["low"].dtype == float and table["high"].dtype == float
    assert table[["low", "high"]].isna().all(axis=None)
    _, ax = plt.subplots()
    ax.fill_between(table["timesteps"], table["low"], table["high"])
    plt.close("all")


def test_evaluation_curves_are_normalised_by_each_run_s_own_evaluation_episodes(
    tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each seed's evaluations replay its own episodes, so seed k's curve is normalised by
    random and the oracle on seed k's episodes (means of their returns there, shared by every
    algorithm's run k), and the band is scipy's t interval over the seeds at every step all of
    them reached; worked here by hand from the evaluations written."""
    from scipy import stats

    import aura.rl.curves as curves
    from aura.rl.config import EVAL_SEED_OFFSET

    cfg = dataclasses.replace(config(), models_dir=tmp_path)
    cfg = dataclasses.replace(cfg, algorithms=("ppo", "a2c"))
    base = cfg.base_seed + EVAL_SEED_OFFSET
    # (policy, evaluation seed) -> its returns on that seed's evaluation episodes
    returns = {
        ("random", base): [0.0, 0.0, 3.0],  # mean 1, median 0
        ("oracle", base): [3.0, 5.0, 10.0],  # mean 6, median 5
        ("random", base + 1): [1.0, 1.0, 4.0],  # mean 2
        ("oracle", base + 1): [4.0, 4.0, 10.0],  # mean 6
    }
    fitted = []

    def aura_baselines(env_key: str, seed: int) -> dict:
        return {name: (name, seed) for name in ("random", "oracle", "rule")}

    def evaluation_returns(run, policy) -> list[float]:
        fitted.append(policy)
        assert policy[1] == run.seed + EVAL_SEED_OFFSET
        return returns[policy]

    monkeypatch.setattr(curves, "aura_baselines", aura_baselines)
    monkeypatch.setattr(curves, "evaluation_returns", evaluation_returns)
    written = {  # (algo, seed index) -> (steps, mean return of each evaluation)
        ("ppo", 0): ([100, 200, 300], [2.0, 3.0, 6.0]),
        ("ppo", 1): ([100, 200, 300], [3.0, 4.0, 5.0]),
        ("a2c", 0): ([100, 200, 300], [1.0, 2.0, 3.0]),
        ("a2c", 1): ([100, 200], [2.5, 6.0]),  # stopped before its third evaluation
    }
    for (algo, k), (steps, means) in written.items():
        logs = cfg.run_dir("tutor_matching", algo, k) / "logs"
        logs.mkdir(parents=True)
        # two episodes per evaluation, spread about the mean so an axis or a median shows
        results = np.array([[m - 1.0, m + 1.0] for m in means])
        np.savez(logs / "evaluations.npz", timesteps=np.array(steps), results=results)

    table = curves.learning_curves(cfg)
    assert len(fitted) == 4  # random and the oracle once per seed, not once per run
    scale = {0: (1.0, 5.0), 1: (2.0, 4.0)}  # seed k: (random's mean, oracle's less random's)
    expected = []
    for algo in ("ppo", "a2c"):
        reached = sorted(set(written[(algo, 0)][0]) & set(written[(algo, 1)][0]))
        for step in reached:
            values = []
            for k in (0, 1):
                steps, means = written[(algo, k)]
                lo, width = scale[k]
                values.append((means[steps.index(step)] - lo) / width)
            values = np.array(values)
            low, high = stats.t.interval(0.95, 1, values.mean(), stats.sem(values))
            expected.append((algo, step, values.mean(), low, high, 2))
    got = table[["algo", "timesteps", "normalised", "low", "high", "n_seeds"]]
    assert [tuple(r) for r in got.itertuples(index=False)] == [
        (a, s, pytest.approx(m, rel=1e-12), pytest.approx(lo, rel=1e-12), pytest.approx(hi), n)
        for a, s, m, lo, hi, n in expected
    ]
    assert table["timesteps"].tolist() == [100, 200, 300, 100, 200]


def test_a_curve_panel_holds_every_band_it_draws() -> None:
    """The curves' axis ran from -0.5 to 1.2 whatever they held, and cut the default grid's
    bands at its edges (DQN's on tutor matching ran from -0.505 to 1.366). A panel keeps that
    frame and widens it to hold every finite mean and band end; a one-seed band is infinite,
    drawn by no one, and widens nothing."""
    inside = pd.DataFrame({"normalised": [0.2, 0.7], "low": [-0.4, 0.5], "high": [0.9, 1.1]})
    assert curve_limits(inside) == (-0.5, 1.2)
    wide = pd.DataFrame({"normalised": [0.25, 0.6], "low": [-0.505, 0.4], "high": [1.366, 0.8]})
    bottom, top = curve_limits(wide)
    assert bottom < -0.505 and top > 1.366
    assert (bottom, top) == pytest.approx((-0.555, 1.416))
    one_seed = pd.DataFrame(
        {"normalised": [-0.7, 0.4], "low": [-np.inf, -np.inf], "high": [np.inf, np.nan]}
    )
    assert curve_limits(one_seed) == pytest.approx((-0.75, 1.2))
