"""Build a complete, small artifacts folder through the real export path (seconds, not minutes)."""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import numpy as np

from aura.export.exporter import PolicyExport, PoolExport, export_artifacts
from aura.export.manifest import Feature, Lookup, MinMax
from aura.export.supervised import PAIR_SOURCES, supervised_exports
from aura.sim import vocab

N_TREES = 10


def _category(name: str, values: tuple[str, ...]) -> Feature:
    n = len(values)
    return Feature(
        name=name,
        dtype="category",
        categories=list(values),
        normalisation=Lookup(values=[i / (n - 1) for i in range(n)]),
    )


def _number(name: str, low: float, high: float, dtype: str = "float") -> Feature:
    return Feature(
        name=name, dtype=dtype, low=low, high=high, normalisation=MinMax(low=low, high=high)
    )


TUTOR_MATCHING_FEATURES = [
    _number("age", 8, 18, "integer"),
    _number("grade_level", 1, 12, "integer"),
    _number("comfort_level_online", 0, 1),
    _number("session_count", 0, 500, "integer"),
    _number("learning_progress_score", 0, 1),
    _category("subject_preference", vocab.SUBJECTS),
    _category("learning_style", vocab.LEARNING_STYLES),
    _category("time_preference", vocab.TIME_SLOTS),
]
ADAPTATION_FEATURES = [
    _number(n, 0, 1)
    for n in (
        "performance_history",
        "current_difficulty",
        "struggle_indicators",
        "consistency",
        "improvement_rate",
        "engagement_level",
    )
]


class StandIn(gym.Env):
    """Random observations; reward for one action, so a few hundred steps give a real policy."""

    def __init__(self, n_obs: int, n_actions: int) -> None:
        self.observation_space = gym.spaces.Box(0.0, 1.0, (n_obs,), np.float32)
        self.action_space = gym.spaces.Discrete(n_actions)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self.observation_space.sample(), {}

    def step(self, action):
        reward = float(action == int(self.observation_space.sample()[0] * self.action_space.n))
        return self.observation_space.sample(), reward, True, False, {}


def _ppo(n_obs: int, n_actions: int, seed: int):
    import torch
    from stable_baselines3 import PPO

    torch.set_num_threads(1)
    model = PPO(
        "MlpPolicy",
        StandIn(n_obs, n_actions),
        n_steps=128,
        batch_size=64,
        n_epochs=2,
        seed=seed,
        device="cpu",
    )
    return model.learn(256)


def build_smoke_artifacts(root: Path, seed: int) -> Path:
    """Data, forests, stand-in policies and the export, under ``root``; returns the artifacts."""
    import joblib

    from aura.data.loading import load_table
    from aura.reports.runner import git_state, library_versions
    from aura.sim.io import write_datasets
    from aura.supervised import FEATURES, load_feature_tables, make_pipeline

    data_dir, models_dir = root / "data", root / "models"
    files = write_datasets(data_dir, seed=seed, n_learners=400, n_tutors=25, n_sessions=1200)
    (models_dir / "supervised").mkdir(parents=True)
    tables = load_feature_tables(data_dir)
    for name, (X, y, _) in tables.items():
        model = make_pipeline(name, FEATURES[name], {"n_estimators": N_TREES}, seed=seed).fit(X, y)
        joblib.dump(model, models_dir / "supervised" / f"{name}.joblib")
    rng = np.random.default_rng(seed)
    policies = [
        PolicyExport(
            name="tutor_matching",
            model=_ppo(8, 5, seed),
            features=TUTOR_MATCHING_FEATURES,
            actions=list(vocab.STRATEGIES),
            observations=rng.random((10_000, 8)),
            source="rl/tutor_matching/ppo/seed_0/best_model.zip",
        ),
        PolicyExport(
            name="difficulty_adaptation",
            model=_ppo(6, 3, seed),
            features=ADAPTATION_FEATURES,
            actions=["decrease", "maintain", "increase"],
            observations=rng.random((10_000, 6)),
            source="rl/difficulty_adaptation/ppo/seed_0/best_model.zip",
        ),
    ]
    pool = PoolExport(
        tutors=load_table(files["tutors"], "tutors"),
        subjects=list(vocab.SUBJECTS),
        time_slots=list(vocab.TIME_SLOTS),
        learning_styles=list(vocab.LEARNING_STYLES),
        languages=list(vocab.LANGUAGES),
        strategies=list(vocab.STRATEGIES),
        pair_features={f: PAIR_SOURCES[f] for f in FEATURES["compatibility"]},
    )
    target = root / "artifacts"
    export_artifacts(
        target,
        forests=supervised_exports(data_dir, models_dir, seed),
        policies=policies,
        pool=pool,
        data_files={k: files[k] for k in ("learners", "tutors", "sessions")},
        params={"seed": seed},
        git=git_state(),
        libraries=library_versions(),
    )
    return target
