"""What a grid's timing says after a call that trained nothing and only scored its kept runs
again: each kept run keeps the seconds its own training recorded, and the grid keeps the wall
time of a training record only where that record names the very same runs (`run_identities`),
not another grid's of the same size in the same models folder. Runs and records are written by
hand here, so nothing trains."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from aura.config import PARAMS_DIR
from aura.rl.config.experiment import ExperimentConfig, load_experiment
from aura.rl.experiment import TIMING_FILE, RunOutcome, _write_timing, grid_runs
from aura.rl.train import CONFIG_FILE, FINAL_MODEL, INFO_FILE, train

STEPS = 1024


def config(tmp_path: Path) -> ExperimentConfig:
    return dataclasses.replace(load_experiment(PARAMS_DIR / "smoke.yaml"), models_dir=tmp_path)


def finished_run(cfg: ExperimentConfig, env_key: str, seconds: float) -> Path:
    """A finished run's folder as training leaves it, but for the policies: its config and the
    record of a training that took ``seconds``."""
    run_dir = cfg.run_dir(env_key, "ppo", 0)
    run_dir.mkdir(parents=True, exist_ok=True)
    cfg.run(env_key, "ppo", 0).save(run_dir / CONFIG_FILE)
    info = {"num_timesteps": STEPS, "resumed_from": 0, "wall_seconds": seconds, "segments": []}
    (run_dir / INFO_FILE).write_text(json.dumps(info), encoding="utf-8")
    return run_dir


def timing(cfg: ExperimentConfig, run_dir: Path, wall: float, *, trained: float) -> dict[str, Any]:
    """The grid record a call over the one run in ``run_dir`` writes: one that trained it for
    ``trained`` seconds, or one that kept it (``trained`` 0) and took ``wall`` to score it."""
    recorded = json.loads((run_dir / INFO_FILE).read_text(encoding="utf-8"))["wall_seconds"]
    env_key = run_dir.parent.parent.name
    outcome = RunOutcome(env_key, "ppo", 0, str(run_dir), STEPS, 0, trained, recorded, [0.0])
    _write_timing(cfg, [outcome], wall, 2, {env_key: 1.0}, 0.05)
    return json.loads((cfg.rl_dir / TIMING_FILE).read_text(encoding="utf-8"))


def test_a_finished_run_left_as_it_is_gives_the_seconds_its_training_recorded(
    tmp_path: Path,
) -> None:
    """A kept run trains nothing this time (0 s), and says what its training took: results.json
    gave such a run 0 s of training after every rescoring."""
    cfg = config(tmp_path)
    run_dir = finished_run(cfg, "difficulty_adaptation", 12.5)
    (run_dir / FINAL_MODEL).write_bytes(b"")  # finished: train() leaves it as it is

    result = train(cfg.run("difficulty_adaptation", "ppo", 0), run_dir)

    assert (result.num_timesteps, result.wall_seconds, result.recorded_seconds) == (STEPS, 0, 12.5)


def test_a_rescoring_keeps_the_training_record_of_its_own_runs_only(tmp_path: Path) -> None:
    """Two grids of one run each share one models folder and so one grid_timing.json: the last
    one trained must not lend its wall time to the other, scored again, as it did when records
    were matched on their counts of runs and steps."""
    cfg = config(tmp_path)
    first = finished_run(cfg, "difficulty_adaptation", 10.0)
    trained = timing(cfg, first, 100.0, trained=10.0)
    assert list(trained["runs"]) == ["difficulty_adaptation/ppo/seed_0"]

    rescored = timing(cfg, first, 5.0, trained=0.0)
    assert (rescored["wall_seconds"], rescored["train_seconds"], rescored["trained_runs"]) == (
        100.0,
        10.0,
        1,
    )
    assert rescored["rescored"]["wall_seconds"] == 5.0
    assert timing(cfg, first, 6.0, trained=0.0)["wall_seconds"] == 100.0  # and again

    other = finished_run(cfg, "tutor_matching", 20.0)  # the other grid, of the same size
    assert timing(cfg, other, 200.0, trained=20.0)["n_runs"] == trained["n_runs"]
    rescored = timing(cfg, first, 7.0, trained=0.0)
    assert rescored["wall_seconds"] is None and rescored["train_seconds"] is None
    assert rescored["rescored"]["wall_seconds"] == 7.0


def test_a_run_retrained_since_or_a_record_naming_no_runs_leaves_the_wall_time_unknown(
    tmp_path: Path,
) -> None:
    """The same folder and config, another training (retrained in place by hand, its record
    rewritten), is not the run the record timed; nor can a record from before records named
    their runs be told from another grid's: neither is carried forward."""
    cfg = config(tmp_path)
    run_dir = finished_run(cfg, "difficulty_adaptation", 10.0)
    timing(cfg, run_dir, 100.0, trained=10.0)
    finished_run(cfg, "difficulty_adaptation", 11.0)

    assert timing(cfg, run_dir, 5.0, trained=0.0)["wall_seconds"] is None

    record = timing(cfg, run_dir, 100.0, trained=11.0)
    del record["runs"]
    (cfg.rl_dir / TIMING_FILE).write_text(json.dumps(record), encoding="utf-8")

    rescored = timing(cfg, run_dir, 5.0, trained=0.0)
    assert rescored["wall_seconds"] is None and rescored["train_seconds"] is None


def test_a_rescoring_s_runs_are_said_to_be_kept(tmp_path: Path) -> None:
    """A call that trained nothing carries its training's counts, and notebook 03 printed them
    as its own: "1 trained or resumed, 0 kept from before" above a wall time that says every run
    was kept and scored again."""
    cfg = config(tmp_path)
    run_dir = finished_run(cfg, "difficulty_adaptation", 10.0)
    trained = timing(cfg, run_dir, 100.0, trained=10.0)
    assert grid_runs(trained, STEPS) == (
        "1 run of 1,024 steps (1 trained or resumed, 0 kept from before), 2 workers"
    )
    rescored = timing(cfg, run_dir, 5.0, trained=0.0)
    assert grid_runs(rescored, STEPS) == (
        "1 run of 1,024 steps, every one kept from before and scored again, 2 workers"
    )
