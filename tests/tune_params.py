"""A smoke params file with a `tune` block, for tests of Optuna studies."""

from __future__ import annotations

from pathlib import Path

import yaml

from aura.config import PARAMS_DIR
from aura.rl.config import SECTION


def params_file(tmp_path: Path, **tune_block: object) -> Path:
    """The smoke params with models under `tmp_path` and a PPO study on tutor matching, its
    other `tune` keys given by `tune_block`; written to `tmp_path`/params.yaml."""
    params = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text())
    params["shared"]["models_dir"] = str(tmp_path / "models")
    params[SECTION]["tune"] = {"algo": "ppo", "env_key": "tutor_matching", **tune_block}
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path
