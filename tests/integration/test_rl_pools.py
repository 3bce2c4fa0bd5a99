"""`aura.rl.pools`: the tutor-matching grid's saved policies scored on tutor pools they were not
trained on, on a tiny grid trained as `aura train-rl` does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from aura.cli import app
from aura.config import PARAMS_DIR
from aura.params_edit import derive_params
from aura.rl.config.experiment import load_experiment
from aura.rl.experiment import run_experiment
from aura.rl.pools import POOLS_FILE, SERVED_POOL, TRAINING_POOL, pool_scores, pool_variants

TINY = [
    "03_rl_training.algorithms=[a2c]",
    "03_rl_training.env_keys=[tutor_matching]",
    "03_rl_training.n_test_episodes=20",
    "03_rl_training.curve_episodes=10",
    "03_rl_training.ceiling_episodes=50",
    "03_rl_training.training.total_timesteps=1000",
    "03_rl_training.training.eval_freq=500",
    "03_rl_training.training.save_freq=500",
]


@pytest.fixture(scope="module")
def grid(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("pools")
    path = folder / "tiny.yaml"
    settings = [
        *TINY,
        f"shared.models_dir={folder / 'models'}",
        f"shared.data_dir={folder / 'data'}",
    ]
    path.write_text(derive_params(PARAMS_DIR / "smoke.yaml", settings)[0], encoding="utf-8")
    cfg = load_experiment(path)
    run_experiment(cfg, n_workers=1)
    results = json.loads((cfg.rl_dir / "results.json").read_text())["results"]["tutor_matching"]
    return cfg, results, path


def test_the_pools_are_the_training_pool_new_draws_and_the_served_tutors(tmp_path: Path) -> None:
    served = tmp_path / "tutors_data.csv"
    assert list(pool_variants({"pool_seed": 4}, 2, served)) == [
        TRAINING_POOL,
        "new pool (seed 5)",
        "new pool (seed 6)",
    ], "a served pool with no file is left out"
    served.write_text("tutor_id\n")
    pools = pool_variants({"episode_length": 6}, 1, served)
    assert pools == {
        TRAINING_POOL: {"episode_length": 6},
        "new pool (seed 1)": {"episode_length": 6, "pool_seed": 1},
        SERVED_POOL: {"episode_length": 6, "tutors_csv": str(served)},
    }
    sized = pool_variants({"n_tutors": 30}, 1, served)
    assert sized[SERVED_POOL] == {"tutors_csv": str(served)}, "the served CSV is its own size"
    assert sized["new pool (seed 1)"] == {"n_tutors": 30, "pool_seed": 1}
    several = pool_variants({"pool_seed": 2, "n_pools": 50}, 1, None)
    assert several["new pool (seed 52)"] == {"pool_seed": 52}, "new pools follow the training ones"
    asked = pool_variants({"pool_seed": 2, "n_pools": 3}, 1, None, pool_seeds=[3, 9])
    assert list(asked) == [TRAINING_POOL, "new pool (seed 5)", "pool (seed 3)", "pool (seed 9)"]
    assert asked["pool (seed 3)"] == {"pool_seed": 3}, "a seed asked for, though a training one"
    trained_on_served = pool_variants({"tutors_csv": str(served)}, 1, served)
    assert list(trained_on_served) == [TRAINING_POOL, "new pool (seed 1)"]
    assert trained_on_served["new pool (seed 1)"] == {"pool_seed": 1}


def test_on_the_training_pool_every_number_is_the_grids(grid) -> None:
    cfg, results, _ = grid
    env = cfg.env("tutor_matching")
    table = pool_scores(
        results, cfg.models_dir, env, {TRAINING_POOL: dict(env.kwargs)}, cfg.base_seed
    )
    row = table[table.policy == "a2c"].iloc[0]
    scored = results["algorithms"]["a2c"]
    ends = ("mean", "low", "high")
    assert (row.normalised, row.ci_low, row.ci_high) == pytest.approx(
        tuple(scored["normalised"][end] for end in ends)
    )
    assert (row.lead, row.lead_low, row.lead_high) == pytest.approx(
        tuple(scored["lead_over_hand_rule"][end] for end in ends)
    )
    assert row.best_rule == results["references"]["hand_rule_name"]
    for name in ("random", "oracle"):  # the pool's 0 and 1, beside every row
        assert list(table[f"{name}_return"]) == pytest.approx(
            [results["references"][name]] * len(table)
        ), name


def test_a_new_pool_has_its_own_references_and_its_own_best_rule(grid) -> None:
    cfg, results, _ = grid
    env = cfg.env("tutor_matching")
    table = pool_scores(results, cfg.models_dir, env, pool_variants(env.kwargs, 1, None), 7)
    assert list(table.pool.unique()) == [TRAINING_POOL, "new pool (seed 1)"]
    rules = table[table.lead.isna()].pivot(index="policy", columns="pool", values="normalised")
    assert len(rules) == 5, "every fixed strategy on every pool"
    assert not np.allclose(rules[TRAINING_POOL], rules["new pool (seed 1)"]), "the same tutors"
    for pool, rows in table.groupby("pool"):
        assert rows.best_rule_normalised.iloc[0] == pytest.approx(rules[pool].max())
        assert rows.best_rule.iloc[0] == rules[pool].idxmax()


def _not_json(constant: str) -> None:
    """A strict reader's answer to NaN and Infinity, which JSON does not have."""
    raise ValueError(f"not JSON: {constant}")


def test_the_command_scores_a_trained_grid_and_names_what_it_cannot(grid, tmp_path: Path) -> None:
    """`aura rl-pools` prints each pool's rows and writes pools.json; a pool asked for by the
    training pool's own seed scores as the training pool, to the digit. An untrained grid, or
    params without tutor matching, is named in one line, not a traceback."""
    cfg, results, params = grid
    args = ["rl-pools", "--params", str(params), "--new-pools", "1", "--pool-seed", "0"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    for pool in (TRAINING_POOL, "new pool (seed 1)", "pool (seed 0)"):
        assert f"{pool}: " in output
    assert "note: no served pool: " in output  # the params' data folder has no tutors table
    written = json.loads((cfg.rl_dir / POOLS_FILE).read_text(), parse_constant=_not_json)
    assert all(r["lead"] is None for r in written["rows"] if r["policy"] == "balanced")
    assert set(written["pools"]) == {TRAINING_POOL, "new pool (seed 1)", "pool (seed 0)"}
    a2c = {r["pool"]: r for r in written["rows"] if r["policy"] == "a2c"}
    assert a2c["pool (seed 0)"]["normalised"] == a2c[TRAINING_POOL]["normalised"]
    assert a2c[TRAINING_POOL]["normalised"] == pytest.approx(
        results["algorithms"]["a2c"]["normalised"]["mean"]
    )

    bad = tmp_path / "bad-data"
    bad.mkdir()
    (bad / "tutors_data.csv").write_text("tutor_id\n1\n")  # a served pool the loader refuses
    for changes, message in (
        ([f"shared.models_dir={tmp_path / 'none'}"], "error: no grid results at"),
        ([f"shared.data_dir={bad}"], "error: "),
        (["03_rl_training.env_keys=[difficulty_adaptation]"], "error: these params train no"),
    ):
        other = tmp_path / "other.yaml"
        other.write_text(derive_params(params, changes)[0], encoding="utf-8")
        result = CliRunner().invoke(app, ["rl-pools", "--params", str(other)])
        assert result.exit_code == 1
        assert " ".join(result.output.split()).startswith(message)
        assert "Traceback" not in result.output
        if "bad-data" in changes[0]:
            assert "tutors_data.csv" in result.output
