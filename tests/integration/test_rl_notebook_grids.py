"""Notebook 03 on a grid that trains no PPO: a study of DQN or A2C alone, which `aura run`
sends to the notebooks before 05 (`--only 01,02,03`), as its refusal of a whole run says."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm

from aura.config import NOTEBOOKS_DIR, PROJECT_ROOT


def test_notebook_03_reports_a_grid_without_ppo(tmp_path: Path) -> None:
    """The action profiles read the selected PPO policy of every environment, and a DQN grid
    has none: the notebook stopped there with a KeyError once the grid had trained."""
    executed = tmp_path / "03.ipynb"
    pm.execute_notebook(
        str(NOTEBOOKS_DIR / "03_rl_training.ipynb"),
        str(executed),
        kernel_name="python3",
        progress_bar=False,
        cwd=str(PROJECT_ROOT),
        parameters={
            "algorithms": ["dqn"],
            "env_keys": ["difficulty_adaptation"],
            "seeds": 1,
            "n_workers": 1,
            "n_test_episodes": 5,
            "ceiling_episodes": 20,
            "models_dir": str(tmp_path / "models"),
            "scored_model": {},
            "training": {
                "total_timesteps": 300,
                "eval_freq": 100,
                "n_eval_episodes": 2,
                "save_freq": 100,
            },
            "hyperparams": {"dqn": {"difficulty_adaptation": {"learning_starts": 50}}},
        },
    )
    cells = nbformat.read(executed, as_version=4).cells
    profile = next(c for c in cells if "action_profile_report_table(" in c.source)
    shown = str(profile.outputs)
    assert "oracle" in shown and "hand rule" in shown
    assert "PPO (selected)" not in shown
