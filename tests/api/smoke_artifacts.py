"""Build a complete, small artifacts folder through the real pipeline (tens of seconds).

Data from the simulator, the three `aura.supervised` pipelines with few trees, PPO trained for a
few hundred steps on the real environments and saved where `aura.rl` puts selected models, then
`aura.export.pipeline.export_run`, the step notebook 06 runs.
"""

from __future__ import annotations

import json
from pathlib import Path

N_TREES = 10
PPO_STEPS = 256
SIZES = {"n_learners": 400, "n_tutors": 25, "n_sessions": 1200}


def _train_policies(models_dir: Path, seed: int) -> None:
    import gymnasium as gym
    import torch
    from stable_baselines3 import PPO

    import aura.envs

    torch.set_num_threads(1)
    selected = {}
    for key, env_id, kwargs in (
        ("tutor_matching", aura.envs.TUTOR_MATCHING_ID, {"n_tutors": 20, "episode_length": 6}),
        ("difficulty_adaptation", aura.envs.DIFFICULTY_ID, {}),
    ):
        env = gym.make(env_id, **kwargs)
        model = PPO(
            "MlpPolicy", env, n_steps=128, batch_size=64, n_epochs=2, seed=seed, device="cpu"
        )
        run_dir = Path("rl") / key / "ppo" / "seed_0"
        (models_dir / run_dir).mkdir(parents=True)
        model.learn(PPO_STEPS).save(models_dir / run_dir / "best_model.zip")
        (models_dir / run_dir / "config.yaml").write_text(
            json.dumps(
                {
                    "env": {"key": key, "id": env_id, "kwargs": kwargs},
                    "algo": "ppo",
                    "seed": seed,
                }
            )
        )
        selected[key] = {
            "algo": "ppo",
            "path": str(run_dir / "best_model.zip"),
            "config": str(run_dir / "config.yaml"),
            "seed_index": 0,
            "normalised": 0.0,
            "env_id": env_id,
        }
    (models_dir / "rl" / "selected.json").write_text(json.dumps(selected))


def build_smoke_artifacts(root: Path, seed: int) -> Path:
    """Data, models and the export under ``root``; returns the artifacts folder."""
    import joblib

    from aura.export.pipeline import export_run
    from aura.sim.io import write_datasets
    from aura.supervised import FEATURES, load_feature_tables, make_pipeline

    data_dir, models_dir = root / "data", root / "models"
    write_datasets(data_dir, seed=seed, **SIZES)
    (models_dir / "supervised").mkdir(parents=True)
    for name, (X, y, _) in load_feature_tables(data_dir).items():
        model = make_pipeline(name, FEATURES[name], {"n_estimators": N_TREES}, seed=seed)
        joblib.dump(model.fit(X, y), models_dir / "supervised" / f"{name}.joblib")
    _train_policies(models_dir, seed)
    target = root / "artifacts"
    export_run(data_dir, models_dir, target, seed=seed, params={"seed": seed, **SIZES})
    return target
