"""What the export checks a model on and writes beside it: the observations of each parity
check, the seeded episodes, and the tutor pool's columns, each worked out here by hand or by
running the environment and numpy directly."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pandas as pd
import pytest
import torch
from stable_baselines3 import PPO

import aura.envs
from aura.export.exporter import PolicyExport, _policy_entry
from aura.export.supervised import forest_features
from aura.export.tutor_pool import pool_columns

SEED = 3


def test_each_parity_check_counts_the_rows_it_was_given(tmp_path: Path) -> None:
    """The episodes' parity is measured on the episodes, not on the random observations again."""
    torch.set_num_threads(1)
    model = PPO("MlpPolicy", gym.make(aura.envs.DIFFICULTY_ID), n_steps=64, device="cpu")
    rng = np.random.default_rng(SEED)
    spec = PolicyExport(
        name="difficulty_adaptation",
        model=model,
        features=[],
        actions=["a", "b", "c"],
        observations=rng.random((300, 6)),
        episodes=rng.random((120, 6)),
        source="x.zip",
    )
    parity = _policy_entry(spec, tmp_path).parity
    assert parity["rows"] == 300
    assert parity["episode_rows"] == 120
    assert parity["action_agreement"] == parity["episode_action_agreement"] == 1.0


def test_the_pool_file_holds_each_tutor_s_own_observed_values() -> None:
    tutors = pd.DataFrame(
        {
            "tutor_id": [7, 3],
            "years_experience": [12, 2],
            "rating": [4.5, 3.0],
            "communication_rating": [4.0, 2.5],
            "teaching_style": ["visual", "reading"],
            "language": ["English", "Spanish"],
            "subjects": ["Math;Science", "English"],
            "availability": ["morning", "evening;weekend"],
            "expertise_Math": [0.9, 0.1],
            "expertise_English": [0.2, 0.8],
        }
    )
    assert pool_columns(tutors, ["Math", "English"], ";") == {
        "tutor_id": [7, 3],
        "years_experience": [12.0, 2.0],
        "rating": [4.5, 3.0],
        "communication_rating": [4.0, 2.5],
        "teaching_style": ["visual", "reading"],
        "language": ["English", "Spanish"],
        "subjects": [["Math", "Science"], ["English"]],
        "availability": [["morning"], ["evening", "weekend"]],
        "expertise": {"Math": [0.9, 0.1], "English": [0.2, 0.8]},
    }


def test_a_forest_s_features_carry_their_documented_ranges_and_kinds() -> None:
    """Age 8-18 years, an integer; comfort 0-1, a float (docs/data.md)."""
    age, comfort = forest_features(["age", "comfort_level_online"])
    assert (age.name, age.dtype, age.low, age.high) == ("age", "integer", 8, 18)
    assert (comfort.dtype, comfort.low, comfort.high) == ("float", 0, 1)


def selected_models(models_dir: Path, swapped: bool = False) -> None:
    """Untrained PPO policies of both environments, saved and named as `aura.rl` does (with
    ``swapped``, each environment's policy is the other's)."""
    torch.set_num_threads(1)
    selected = {}
    env_ids = [aura.envs.TUTOR_MATCHING_ID, aura.envs.DIFFICULTY_ID]
    keys = ("tutor_matching", "difficulty_adaptation")
    for key, env_id in zip(keys, env_ids[::-1] if swapped else env_ids, strict=True):
        run_dir = Path("rl") / key / "ppo" / "seed_0"
        (models_dir / run_dir).mkdir(parents=True)
        PPO("MlpPolicy", gym.make(env_id), n_steps=64, seed=SEED, device="cpu").save(
            models_dir / run_dir / "best_model.zip"
        )
        config = {"env": {"key": key, "id": env_id, "kwargs": {}}, "algo": "ppo"}
        (models_dir / run_dir / "config.yaml").write_text(json.dumps(config))
        selected[key] = {"algo": "ppo", "path": str(run_dir / "best_model.zip")}
        selected[key]["config"] = str(run_dir / "config.yaml")
    (models_dir / "rl" / "selected.json").write_text(json.dumps(selected))


@pytest.mark.parametrize("seed", [0, 5])
def test_the_parity_observations_are_drawn_and_played_from_the_export_seed(
    tmp_path: Path, seed: int
) -> None:
    """Random rows from numpy's generator of the seed, tutor matching's first; episodes from
    the environment reset at the seed, then at seed + 1 for the next episode."""
    from aura.export.policies import policy_exports

    selected_models(tmp_path)
    exported = {p.name: p for p in policy_exports(tmp_path, seed=seed)}
    rng = np.random.default_rng(seed)
    matching, adaptation = exported["tutor_matching"], exported["difficulty_adaptation"]
    assert np.array_equal(matching.observations, rng.random((10_000, 8)))
    assert np.array_equal(adaptation.observations, rng.random((10_000, 6)))

    env = gym.make(aura.envs.DIFFICULTY_ID)
    played, first = [], env.reset(seed=seed)[0]
    obs, done = first, False
    while not done:
        played.append(obs)
        action, _ = adaptation.model.predict(obs, deterministic=True)
        obs, _, terminated, truncated, _ = env.step(action)
        done = terminated or truncated
    second = env.reset(seed=seed + 1)[0]
    episodes = adaptation.episodes
    assert len(episodes) == 2_000
    np.testing.assert_array_equal(episodes[: len(played)], np.asarray(played, dtype=np.float64))
    np.testing.assert_array_equal(episodes[len(played)], second)


def test_a_policy_of_another_observation_is_refused_by_name(tmp_path: Path) -> None:
    """A difficulty policy (6 observations) named as the tutor-matching one (8 request fields)."""
    from aura.export.policies import policy_exports

    selected_models(tmp_path, swapped=True)
    refused = "observes 6 features, but a tutor_matching request gives 8"
    with pytest.raises(ValueError, match=refused):
        policy_exports(tmp_path, seed=0)
