"""The exported PPO run is chosen on selection episodes, never on the held-out ones it is
reported on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from aura.config import PARAMS_DIR
from aura.rl import selection
from aura.rl.config.experiment import load_experiment

SMOKE = load_experiment(PARAMS_DIR / "smoke.yaml")


def fake_results(env_key: str) -> dict:
    """Three PPO seeds whose held-out scores favour seed 0."""
    seeds = [
        {"seed_index": k, "run_dir": f"rl/{env_key}/ppo/seed_{k}", "normalised": score}
        for k, score in enumerate((0.9, 0.5, 0.6))
    ]
    return {env_key: {"algorithms": {"ppo": {"seeds": seeds}}}}


@pytest.mark.parametrize("env_key", SMOKE.env_keys)
def test_the_exported_seed_is_chosen_on_selection_episodes(monkeypatch, env_key: str) -> None:
    calls: list[tuple[Path, int]] = []

    def evaluate(path: Path, run, seed: int, n_episodes: int) -> list[float]:
        calls.append((path, seed))
        # on the selection episodes seed 2 is best, unlike on the held-out ones
        return [{0: 1.0, 1: 2.0, 2: 3.0}[run.seed - SMOKE.base_seed]] * n_episodes

    monkeypatch.setattr(selection, "evaluate_model_file", evaluate)
    selected = selection.select_models(SMOKE, fake_results(env_key))[env_key]
    assert selected["seed_index"] == 2
    assert selected["normalised"] == 0.6, "the held-out score of the chosen seed is reported"
    assert {seed for _, seed in calls} == {SMOKE.selection_seed}
    assert SMOKE.selection_seed != SMOKE.test_seed
    assert all(path.parent.name.startswith("seed_") for path, _ in calls)


def test_the_exported_seed_has_the_best_mean_selection_return_not_median(monkeypatch) -> None:
    """Seed 0 wins one selection episode by far and loses the others: its mean (10 / 3) beats
    seed 1's steady 2, its median (0) does not. The mean return is what a policy is scored by."""
    per_seed = {0: [0.0, 0.0, 10.0], 1: [2.0, 2.0, 2.0], 2: [1.0, 1.0, 1.0]}

    def evaluate(path: Path, run, seed: int, n_episodes: int) -> list[float]:
        return per_seed[run.seed - SMOKE.base_seed]

    monkeypatch.setattr(selection, "evaluate_model_file", evaluate)
    selected = selection.select_models(SMOKE, fake_results("tutor_matching"))["tutor_matching"]
    assert selected["seed_index"] == 0
    assert selected["selection_mean_returns"] == pytest.approx({0: 10 / 3, 1: 2.0, 2: 1.0})
    assert (
        selected["path"]
        == "rl/tutor_matching/ppo/seed_0/"
        + selection.SCORED_FILES[SMOKE.scored_model["tutor_matching"]]
    )


def test_the_served_seeds_interval_and_lead_are_its_own_on_the_held_out_episodes() -> None:
    """Seed 1 scores (9.5 - 2) / (12 - 2) = 0.75, 0.25 above the rule's (7 - 2) / 10 = 0.5; one
    seed, so each interval is Z95 times the bootstrap error of its score over 2,000 resamples of
    the episodes drawn from the grid's seed (written out here with numpy)."""
    random, oracle, rule = [2.0, 2.0, 0.0, 4.0], [12.0] * 4, [7.0, 6.0, 8.0, 7.0]
    served = [10.0, 10.0, 8.0, 10.0]
    env_results = {
        "references": {
            "random": 2.0,
            "oracle": 12.0,
            "hand_rule": 7.0,
            "hand_rule_name": "fixed:rule",
            "hand_rule_normalised": 0.5,
            "episode_returns": {"random": random, "oracle": oracle, "fixed:rule": rule},
        },
        "algorithms": {
            "ppo": {
                "seeds": [
                    {"seed_index": 0, "test_returns": [12.0] * 4},
                    {"seed_index": 1, "test_returns": served},
                ]
            }
        },
    }
    out = selection.selected_score(env_results, "ppo", 1, base_seed=7)

    draws = np.random.default_rng(7).integers(4, size=(2000, 4))
    lo = np.asarray(random)[draws].mean(axis=1)
    width = np.asarray(oracle)[draws].mean(axis=1) - lo
    score_se = ((np.asarray(served)[draws].mean(axis=1) - lo) / width).std(ddof=1)
    gap = np.asarray(served) - np.asarray(rule)
    lead_se = (gap[draws].mean(axis=1) / width).std(ddof=1)
    z95 = 1.959963984540054
    interval, lead = out["interval"], out["lead_over_hand_rule"]
    assert (interval["mean"], interval["low"], interval["high"]) == pytest.approx(
        (0.75, 0.75 - z95 * score_se, 0.75 + z95 * score_se)
    )
    assert (lead["mean"], lead["low"], lead["high"]) == pytest.approx(
        (0.25, 0.25 - z95 * lead_se, 0.25 + z95 * lead_se)
    )
    assert interval["n"] == lead["n"] == 1
    assert interval["covers"] == lead["covers"] == "episodes only (one seed)"
