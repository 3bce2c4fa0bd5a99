"""What the RL commands print beside their numbers: a one-seed interval is said to cover the
held-out episodes only, and a learning curve names its start and its final policy (the
checkpoint saved during the final policy's own rollout, one update older, stands beside it).
The studies themselves are replaced by their results, so nothing trains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from aura.cli import app
from aura.config import PARAMS_DIR
from aura.rl.intervals import EPISODES_ONLY, ONE_SEED_NOTE

ONE_SEED = {"mean": 0.8, "low": 0.78, "high": 0.82, "n": 1, "covers": EPISODES_ONLY}
TWO_SEEDS = {"mean": 0.8, "low": 0.7, "high": 0.9, "n": 2}


def params_file(tmp_path: Path, name: str = "params") -> Path:
    """The smoke params, its models in a folder of their own under ``tmp_path``."""
    params = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text(encoding="utf-8"))
    params["shared"]["models_dir"] = str(tmp_path / name / "models")
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path


def invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # the console may wrap lines


def note() -> str:
    return " ".join(f"note: {ONE_SEED_NOTE}".split())


def probe_result(interval: dict[str, Any], *, start: bool) -> dict[str, Any]:
    study = {
        "env_key": "difficulty_adaptation",
        "question": "is it where training starts?",
        "n_test_episodes": 50,
        "probe_normalised": interval,
        "probe_per_seed": [0.8] * interval["n"],
        "grid_normalised": interval,
        "grid_per_seed": [0.7] * interval["n"],
        "lead_over_grid": interval,
        "curve_episodes": 10,
        "held_out_curve": [
            {"timesteps": steps, "mean": mean, "low": 0.0, "high": 1.0, "n": interval["n"]}
            for steps, mean in ((0, 0.85), (2000, 0.6), (4000, 0.7), (6000, 0.72), (6144, 0.75))
        ],
        "final_steps": [6144] * interval["n"],
        "references": {
            "hand_rule_name": "staircase",
            "hand_rule": 0.76,
            "ceiling_name": "model-based filter",
            "ceiling": 0.93,
        },
    }
    if start:
        study |= {"start_normalised": interval, "start_per_seed": [0.85] * interval["n"]}
        study["lead_over_start"] = interval
    return study


def difficulty_row(algo: str, interval: dict[str, Any]) -> dict[str, Any]:
    """One row of `aura.rl.compare.compare_grids` on difficulty adaptation: ``algo`` at 0.8 in
    both grids, over ``interval``'s seeds."""
    return {
        "env_key": "difficulty_adaptation",
        "algo": algo,
        "normalised": interval,
        "per_seed": [0.8] * interval["n"],
        "base_normalised": interval,
        "base_per_seed": [0.8] * interval["n"],
        "lead": interval,
        "references": {
            "hand_rule_name": "staircase",
            "hand_rule_normalised": 0.76,
            "ceiling_name": "model-based filter",
            "ceiling_normalised": 0.93,
        },
    }


@pytest.mark.parametrize("interval", [ONE_SEED, TWO_SEEDS])
def test_rl_probe_says_what_its_intervals_cover_and_names_the_curves_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interval: dict[str, Any]
) -> None:
    import aura.rl.probes as probes

    study = probe_result(interval, start=True)
    monkeypatch.setattr(probes, "probe_study", lambda *args, **kwargs: study)
    output = invoke("rl-probe", "--probe", "filter_start", "--params", str(params_file(tmp_path)))
    assert (note() in output) == (interval is ONE_SEED)
    # the environment in words, as the tables name it, not as the params file keys it
    assert output.startswith("difficulty adaptation, PPO, is it where training starts?")
    assert "0 0.850 (start), 2,000 0.600, 4,000 0.700, 6,000 0.720, 6,144 0.750 (final)" in output


def test_rl_probe_names_no_start_without_one_and_no_final_where_seeds_ended_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A seed resumed from a checkpoint ends at another step, so the band's last point is then
    a checkpoint, and is not called the final policy."""
    import aura.rl.probes as probes

    study = probe_result(TWO_SEEDS, start=False)
    study["held_out_curve"] = study["held_out_curve"][1:]
    study["final_steps"] = [6144, 6048]
    monkeypatch.setattr(probes, "probe_study", lambda *args, **kwargs: study)
    output = invoke("rl-probe", "--probe", "last_4_blocks", "--params", str(params_file(tmp_path)))
    assert "(steps, mean): 2,000 0.600, 4,000 0.700, 6,000 0.720, 6,144 0.750 references" in output


def test_rl_budget_names_the_final_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import aura.rl.budget as budget

    study = {
        "total_timesteps": 12_288,
        "references": {
            "hand_rule_name": "staircase",
            "hand_rule": 0.76,
            "ceiling_name": "model-based filter",
            "ceiling": 0.93,
            "experience_name": None,
        },
        "points": [{"steps": 6000, "normalised": 0.7}, {"steps": 12_288, "normalised": 0.81}],
    }
    monkeypatch.setattr(budget, "budget_study", lambda *args, **kwargs: study)
    output = invoke(
        "rl-budget",
        "--env",
        "difficulty_adaptation",
        "--factor",
        "2",
        "--params",
        str(params_file(tmp_path)),
    )
    assert "6,000 steps PPO 0.700 12,288 steps PPO 0.810 (the final policy)" in output


@pytest.mark.parametrize("interval", [ONE_SEED, TWO_SEEDS])
def test_rl_compare_says_what_its_intervals_cover(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interval: dict[str, Any]
) -> None:
    import aura.rl.compare as compare

    paths = [params_file(tmp_path, name) for name in ("study", "base")]
    for name in ("study", "base"):
        results = tmp_path / name / "models" / "rl" / "results.json"
        results.parent.mkdir(parents=True)
        results.write_text("{}")
    row = difficulty_row("a2c", interval)
    monkeypatch.setattr(compare, "compare_grids", lambda *args: [row])
    output = invoke("rl-compare", "--params", str(paths[0]), "--against", str(paths[1]))
    assert (note() in output) == (interval is ONE_SEED)
    assert "difficulty adaptation A2C: 0.800" in output


def test_rl_compare_names_the_runs_one_grid_trains_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An algorithm a study adds (docs/extending.md, recipe 1) is not in the other grid: its
    runs were left out of the comparison without a word."""
    import aura.rl.compare as compare

    paths = [params_file(tmp_path, name) for name in ("study", "base")]
    base = yaml.safe_load(paths[1].read_text(encoding="utf-8"))
    base["03_rl_training"]["algorithms"] = ["ppo", "a2c"]
    base["03_rl_training"]["env_keys"] = ["tutor_matching", "difficulty_adaptation"]
    paths[1].write_text(yaml.safe_dump(base, sort_keys=False), encoding="utf-8")
    study = yaml.safe_load(paths[0].read_text(encoding="utf-8"))
    study["03_rl_training"]["algorithms"] = ["ppo", "dqn"]
    paths[0].write_text(yaml.safe_dump(study, sort_keys=False), encoding="utf-8")
    for name in ("study", "base"):
        results = tmp_path / name / "models" / "rl" / "results.json"
        results.parent.mkdir(parents=True)
        results.write_text("{}")
    row = difficulty_row("ppo", TWO_SEEDS)
    monkeypatch.setattr(compare, "compare_grids", lambda *args: [row])
    output = invoke("rl-compare", "--params", str(paths[0]), "--against", str(paths[1]))
    assert (
        "note: not compared, trained by one grid alone: difficulty_adaptation/dqn (--params "
        "only); tutor_matching/dqn (--params only); difficulty_adaptation/a2c (--against only); "
        "tutor_matching/a2c (--against only)"
    ) in output
    assert "difficulty adaptation PPO: 0.800" in output


def test_rl_pools_says_a_one_seed_interval_covers_the_episodes_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each pool's line gives its references, random and the oracle with the mean returns
    that are its 0 and 1, beside its best fixed strategy: it gave the rule alone."""
    import aura.rl.pools as pools

    table = pd.DataFrame(
        [
            {"pool": "training pool", "policy": "fixed:balanced", "normalised": 0.776},
            {
                "pool": "training pool",
                "policy": "ppo",
                "normalised": 0.8,
                "ci_low": 0.78,
                "ci_high": 0.82,
                "lead": 0.024,
                "lead_low": 0.01,
                "lead_high": 0.04,
                "n_seeds": 1,
                "ci_covers": EPISODES_ONLY,
            },
        ]
    ).assign(
        best_rule="fixed:balanced", best_rule_normalised=0.776, random_return=2.5, oracle_return=4.0
    )
    monkeypatch.setattr(pools, "grid_pool_scores", lambda *args: (table, tmp_path / "pools.json"))
    output = invoke("rl-pools", "--params", str(params_file(tmp_path)))
    assert note() in output
    assert (
        "training pool: random 0 (mean return 2.500), fixed:balanced 0.776, oracle 1 (mean "
        "return 4.000)"
    ) in output
    assert "PPO 0.800 [0.780, 0.820]; lead 0.024 [0.010, 0.040]" in output


def test_rl_budget_progress_names_the_run_it_trains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its progress lines read "steps: 600 of 6,000 steps (10%)": the run it trains is named,
    as rl-probe's lines name the probe."""
    import aura.rl.budget as budget

    study = {
        "total_timesteps": 6_000,
        "references": {
            "hand_rule_name": "staircase",
            "hand_rule": 0.76,
            "ceiling_name": "model-based filter",
            "ceiling": 0.93,
        },
        "points": [{"steps": 6_000, "normalised": 0.7}],
    }

    def trained(*args: object, on_progress, **kwargs: object) -> dict:
        on_progress(600, 6_000)
        return study

    monkeypatch.setattr(budget, "budget_study", trained)
    output = invoke(
        "rl-budget", "--env", "difficulty_adaptation", "--params", str(params_file(tmp_path))
    )
    assert "difficulty_adaptation/ppo/seed_0: 600 of 6,000 steps (10%)" in output
