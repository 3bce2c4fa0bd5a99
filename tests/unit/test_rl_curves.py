"""Held-out learning curves: every checkpoint on the first ``curve_episodes`` held-out episodes,
normalised by random and the oracle on those same episodes."""

from __future__ import annotations

import pytest
import yaml

from aura.config import PARAMS_DIR
from aura.rl.config import SECTION
from aura.rl.config.experiment import experiment_config
from aura.rl.curves import held_out_curves
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
