"""The exported policies' metrics name the environment each was trained in."""

from __future__ import annotations

import json
from pathlib import Path


def test_the_export_names_the_learners_and_tutors_a_policy_was_trained_on(tmp_path: Path) -> None:
    """A policy trained on a platform's learners_csv and tutors_csv was exported with nothing
    in the manifest to tell it from one trained on the simulator's learners and tutors."""
    import gymnasium as gym
    from stable_baselines3 import PPO

    import aura.envs
    from aura.export.policies import policy_exports
    from aura.sim import write_datasets

    mine = tmp_path / "mine"  # the export plays episodes of the policy's own environment
    write_datasets(mine, seed=5, n_learners=60, n_tutors=12, n_sessions=200)
    options = {
        "tutor_matching": {
            "learners_csv": str(mine / "learners_data.csv"),
            "tutors_csv": str(mine / "tutors_data.csv"),
            "episode_length": 6,
        },
        "difficulty_adaptation": {},
    }
    selected = {}
    for key, env_id in (
        ("tutor_matching", aura.envs.TUTOR_MATCHING_ID),
        ("difficulty_adaptation", aura.envs.DIFFICULTY_ID),
    ):
        run_dir = Path("rl") / key / "ppo" / "seed_0"
        (tmp_path / run_dir).mkdir(parents=True)
        PPO("MlpPolicy", gym.make(env_id), n_steps=64, device="cpu").save(
            tmp_path / run_dir / "best_model.zip"
        )
        config = {"env": {"key": key, "id": env_id, "kwargs": options[key]}, "algo": "ppo"}
        (tmp_path / run_dir / "config.yaml").write_text(json.dumps(config))
        selected[key] = {
            "algo": "ppo",
            "path": str(run_dir / "best_model.zip"),
            "config": str(run_dir / "config.yaml"),
        }
    (tmp_path / "rl" / "selected.json").write_text(json.dumps(selected))
    exported = {p.name: p for p in policy_exports(tmp_path, seed=0)}
    for key, kwargs in options.items():
        assert exported[key].metrics["environment_options"] == kwargs
    sessions = next(f for f in exported["tutor_matching"].features if f.name == "session_count")
    assert "0..6" in sessions.description  # the episode length, read from the same options
