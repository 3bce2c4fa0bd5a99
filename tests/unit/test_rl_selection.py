"""The exported PPO run is chosen on selection episodes, never on the held-out ones it is
reported on."""

from __future__ import annotations

from pathlib import Path

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
