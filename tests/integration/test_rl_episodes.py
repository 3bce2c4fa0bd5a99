"""The episode analysis of a tiny grid: the spec's measures of each scored policy, stepped through
the grid's own held-out episodes again, beside random, the best hand rule and the oracle."""

from __future__ import annotations

import json

import pytest

from aura.config import PARAMS_DIR
from aura.params_edit import derive_params
from aura.rl.config.experiment import load_experiment
from aura.rl.episodes import MEASURES, episode_analysis
from aura.rl.experiment import run_experiment

TINY = [
    "03_rl_training.algorithms=[ppo, a2c]",
    "03_rl_training.env_keys=[difficulty_adaptation]",
    "03_rl_training.n_test_episodes=20",
    "03_rl_training.curve_episodes=10",
    "03_rl_training.ceiling_episodes=50",
    "03_rl_training.training.total_timesteps=1024",
    "03_rl_training.training.eval_freq=512",
    "03_rl_training.training.save_freq=512",
]


def test_the_analysis_steps_the_grids_episodes_beside_its_references(tmp_path) -> None:
    path = tmp_path / "tiny.yaml"
    settings = [*TINY, f"shared.models_dir={tmp_path / 'models'}"]
    path.write_text(derive_params(PARAMS_DIR / "smoke.yaml", settings)[0], encoding="utf-8")
    cfg = load_experiment(path)
    run_experiment(cfg, n_workers=1)
    results = json.loads((cfg.rl_dir / "results.json").read_text())["results"]
    grid = results["difficulty_adaptation"]

    table = episode_analysis(grid, cfg.models_dir, cfg.env("difficulty_adaptation"))

    refs = grid["references"]
    assert table["policy"].tolist() == ["random", refs["hand_rule_name"], "oracle", "ppo", "a2c"]
    assert table["role"].tolist()[:3] == ["random", "best hand rule", "oracle"]
    assert (table["n_episodes"] == 20).all()
    rows = table.set_index("policy")
    for name, key in (
        ("random", "random"),
        ("oracle", "oracle"),
        (refs["hand_rule_name"], "hand_rule"),
    ):
        # the grid's references, on the same episodes
        assert rows.loc[name, "mean_return"] == pytest.approx(refs[key], rel=1e-12)
    for algo in ("ppo", "a2c"):
        seeds = grid["algorithms"][algo]["seeds"]
        assert rows.loc[algo, "n_seeds"] == 2
        mean = sum(s["mean_return"] for s in seeds) / len(seeds)
        assert rows.loc[algo, "mean_return"] == pytest.approx(mean, rel=1e-12)
    assert table[list(MEASURES)].notna().all().all()
    assert table["success_rate"].between(0, 1).all()
    assert (
        table["mean_length"] <= cfg.env("difficulty_adaptation").kwargs.get("max_steps", 40)
    ).all()
    # consistency is 1 minus the returns' coefficient of variation, floored at 0
    for name in ("random", "oracle"):
        row = rows.loc[name]
        expected = max(0.0, 1 - row["std_return"] / abs(row["mean_return"]))
        assert row["consistency"] == pytest.approx(expected)

    # results that no longer match a saved policy are refused, naming its file
    grid["algorithms"]["ppo"]["seeds"][1]["mean_return"] += 1e-9
    with pytest.raises(ValueError, match=r"seed_1/.*the run changed after they were written"):
        episode_analysis(grid, cfg.models_dir, cfg.env("difficulty_adaptation"))
