"""The budget study without training: which studies it refuses (checkpoint limit, seed index,
factor, a study kept on disk with other settings) at their exact boundaries, and the numbers it
reports for the checkpoints a longer run saved, worked by hand from their returns.
(tests/integration/test_rl_budget.py trains the runs themselves.)"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

import aura.rl.budget as budget
from aura.config import PARAMS_DIR
from aura.rl.budget import (
    BUDGET_FILE,
    MAX_CHECKPOINTS,
    budget_dir,
    budget_study,
    check_budget_study,
)
from aura.rl.config import SECTION, ConfigError
from aura.rl.config.experiment import experiment_config
from aura.rl.train import CONFIG_FILE

BUDGET = 9_640
"""The grid's steps per run here: 9,640 // 48 is 200 checkpoints exactly (48 a multiple of
PPO's 8 environments)."""


def config(tmp_path: Path, total: int = BUDGET):
    section = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text())[SECTION]
    section["training"]["total_timesteps"] = total
    shared = {"seed": 7, "data_dir": "d", "models_dir": str(tmp_path), "artifacts_dir": "a"}
    return experiment_config(section, shared)


def check(cfg, **kwargs) -> None:
    args = {"env_key": "tutor_matching", "algo": "ppo", "seed_index": 0, "factor": 1, **kwargs}
    check_budget_study(cfg, **args)


def test_at_most_200_checkpoints_and_the_smallest_every_that_keeps_to_it(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    check(cfg, every=48)  # 200 checkpoints: the most a study may save
    check(cfg, every=56)  # any multiple of PPO's 8 environments below the limit
    message = "--every 40 gives 241 checkpoints of 9,640 steps, each saved and scored; at most 200"
    with pytest.raises(ConfigError, match=message):
        check(cfg, every=40)
    with pytest.raises(ConfigError, match="--every 48 gives 401 checkpoints of 19,280 steps"):
        check(cfg, every=48, factor=2)  # twice the budget: twice the checkpoints


def test_a_seed_index_and_a_factor_out_of_range_are_refused(tmp_path: Path) -> None:
    cfg = config(tmp_path)  # two seeds
    check(cfg, seed_index=1)
    with pytest.raises(ConfigError, match=r"seed index 2 is not a run of the grid \(0..1\)"):
        check(cfg, seed_index=2)
    with pytest.raises(ConfigError, match="seed index -1 is not a run"):
        check(cfg, seed_index=-1)
    with pytest.raises(ConfigError, match="--factor must be at least 1, got 0"):
        check(cfg, factor=0)


def test_a_probe_is_studied_on_the_environment_it_changes(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    probe = check_budget_study(cfg, "difficulty_adaptation", "a2c", 0, 1, "last_4_blocks")
    assert probe is not None and probe.env_key == "difficulty_adaptation"
    with pytest.raises(ConfigError, match="changes difficulty_adaptation, not tutor_matching"):
        check_budget_study(cfg, "tutor_matching", "a2c", 0, 1, "last_4_blocks")


def test_a_study_on_disk_is_reused_only_with_its_own_factor_and_every(tmp_path: Path) -> None:
    """A study trained for 3 x the budget with a checkpoint at every budget's worth (the
    default): asked again with those, it passes; with another factor or every, it is named."""
    cfg = config(tmp_path)
    run = cfg.run("tutor_matching", "ppo", 0)
    training = dataclasses.replace(run.training, total_timesteps=3 * BUDGET, save_freq=BUDGET)
    folder = budget_dir(cfg, "tutor_matching", "ppo", 0)
    folder.mkdir(parents=True)
    dataclasses.replace(run, training=training).save(folder / CONFIG_FILE)

    check(cfg, factor=3)
    check(cfg, factor=3, every=BUDGET)
    for kwargs in ({"factor": 2}, {"factor": 3, "every": 4_816}):
        with pytest.raises(ConfigError, match=f"trained with --factor 3 --every {BUDGET}: run"):
            check(cfg, **kwargs)
    check(cfg, factor=2, fresh=True)  # --fresh trains this one in its place


def test_each_checkpoint_is_scored_beside_the_experience_reference_fitted_to_its_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random returns 2 and the oracle 6 on the held-out episodes; the checkpoints at 1, 2 and
    3 budgets return 3, 5 and 5.4, and the experience reference fitted to 1, 2 and 3 budgets'
    sessions 4 (the grid's own, fitted with the references), 4.8 and 5.2: their normalised
    scores are (R - 2) / 4. Only the experience fits beyond the grid's budget are new."""
    cfg = config(tmp_path)
    ref = {
        "random": 2.0,
        "oracle": 6.0,
        "hand_rule": 3.0,
        "hand_rule_name": "rule",
        "ceiling": 5.0,
        "ceiling_name": "filter",
        "experience": 4.0,
        "experience_name": "seen",
    }
    asked: dict[str, object] = {}

    def references(env, seed, n, **kwargs) -> dict:
        asked["experience_steps"] = kwargs["experience_steps"]
        return ref

    def experience_policies(env, steps: list[int], seed: int):
        asked["fitted"] = list(steps)
        return [(s, s) for s in steps]

    def evaluate_policy_mean(env, policy: int, seed: int, n: int) -> float:
        return {BUDGET: 4.4, 2 * BUDGET: 4.8, 3 * BUDGET: 5.2}[policy]

    def train(run, run_dir: Path, resume: bool):
        asked["trained"] = run.training.total_timesteps, run.training.save_freq
        return SimpleNamespace(num_timesteps=3 * BUDGET + 8, recorded_seconds=12.5)

    curve = [(BUDGET, 3.0), (2 * BUDGET, 5.0), (3 * BUDGET, 5.4)]
    for name, value in {
        "init_worker": lambda: None,
        "scale_references": lambda *args: None,
        "steps_kept": lambda run, run_dir: 0,
        "train": train,
        "references": references,
        "experience_policies": experience_policies,
        "evaluate_policy_mean": evaluate_policy_mean,
        "score_checkpoints": lambda *args: curve,
    }.items():
        monkeypatch.setattr(budget, name, value)

    study = budget_study(cfg, "tutor_matching", "ppo", factor=3)
    assert asked == {
        "trained": (3 * BUDGET, BUDGET),  # three budgets, a checkpoint at every one
        "experience_steps": BUDGET,
        "fitted": [2 * BUDGET, 3 * BUDGET],
    }
    assert (study["grid_budget"], study["total_timesteps"]) == (BUDGET, 3 * BUDGET + 8)
    assert study["train_seconds"] == 12.5
    assert study["references"] == {
        "hand_rule": 0.25,
        "hand_rule_name": "rule",
        "ceiling": 0.75,
        "ceiling_name": "filter",
        "experience": 0.5,
        "experience_name": "seen",
        "random_return": 2.0,
        "oracle_return": 6.0,
    }
    assert study["points"] == [
        {"steps": s, "mean_return": r, "normalised": pytest.approx(n), **experience}
        for s, r, n, experience in [
            (BUDGET, 3.0, 0.25, {"experience_normalised": 0.5}),
            (2 * BUDGET, 5.0, 0.75, {"experience_normalised": pytest.approx(0.7)}),
            (3 * BUDGET, 5.4, 0.85, {"experience_normalised": pytest.approx(0.8)}),
        ]
    ]
    written = budget_dir(cfg, "tutor_matching", "ppo", 0) / BUDGET_FILE
    assert json.loads(written.read_text())["points"] == study["points"]


@pytest.mark.parametrize(
    ("total", "factor", "every", "least"),
    [(BUDGET, 1, 40, 48), (BUDGET, 2, 8, 96), (6_000, 2, 8, 64)],
)
def test_the_every_a_refusal_advises_is_the_smallest_the_study_accepts(
    tmp_path: Path, total: int, factor: int, every: int, least: int
) -> None:
    """The refusal advised total / 200 rounded up: 49, 97 and 60 here, where 48 and 96 save
    exactly 200 checkpoints (9,640 // 48 and 19,280 // 96) and are accepted, and 49, 97 and 60
    are no multiples of PPO's 8 environments, so the value advised was refused in turn. The
    smallest multiple of 8 with at most 200 checkpoints is 48, 96 and 64 (12,000 // 64 = 187,
    12,000 // 56 = 214): accepted, and 8 steps fewer refused."""
    cfg = config(tmp_path, total)
    with pytest.raises(ConfigError, match=rf"at most 200 \(--every >= {least}\)"):
        check(cfg, factor=factor, every=every)
    check(cfg, factor=factor, every=least)
    with pytest.raises(ConfigError, match="checkpoints of"):
        check(cfg, factor=factor, every=least - 8)


def test_the_default_every_is_held_to_the_checkpoint_limit_too(tmp_path: Path) -> None:
    """Without --every a study saves one checkpoint per grid budget, so --factor of them: 250
    were accepted without a word, each saved and scored, as only a given --every was counted."""
    cfg = config(tmp_path)
    check(cfg, factor=MAX_CHECKPOINTS)
    message = (
        r"--factor 250 gives 250 checkpoints of 2,410,000 steps at the default --every \(the "
        r"grid's 9,640\), each saved and scored; at most 200 \(--every >= 11,992\)"
    )
    with pytest.raises(ConfigError, match=message):
        check(cfg, factor=250)
    check(cfg, factor=250, every=11_992)
