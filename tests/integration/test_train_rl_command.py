"""`aura train-rl` on a one-run grid: it prints the fingerprint and the kernels the grid trained
with, warns when a kept run trained with other kernels (another host or ``MKL_CBWR``), and gives
its one seed a finite interval, said to cover the held-out episodes only; Ctrl-C stops it, and
`aura rl-budget`, with one line saying what they keep."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from aura.cli import app
from aura.config import PARAMS_DIR
from aura.rl.config import SECTION
from aura.rl.intervals import EPISODES_ONLY, ONE_SEED_NOTE
from aura.rl.numerics import describe, kernels, mkl_auto_branch
from aura.rl.train import INFO_FILE


def one_run_params(tmp_path: Path) -> Path:
    params = yaml.safe_load((PARAMS_DIR / "smoke.yaml").read_text(encoding="utf-8"))
    params["shared"]["models_dir"] = str(tmp_path / "models")
    section = params[SECTION]
    section.update(algorithms=["ppo"], env_keys=["difficulty_adaptation"], seeds=1, n_workers=1)
    section.update(n_test_episodes=20, ceiling_episodes=50)
    section["training"].update(total_timesteps=1024, eval_freq=512, save_freq=512)
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    return path


def train_rl(params: Path) -> str:
    result = CliRunner().invoke(app, ["train-rl", "--params", str(params)])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # the console may wrap lines


def test_the_command_names_its_kernels_and_warns_of_a_kept_run_with_others(tmp_path: Path) -> None:
    params = one_run_params(tmp_path)
    here = kernels()

    output = train_rl(params)

    assert "held-out returns fingerprint " in output
    assert f"trained with {describe(here)}" in output
    assert "warning" not in output
    assert f"note: {ONE_SEED_NOTE}" in output and EPISODES_ONLY in output
    results = json.loads((tmp_path / "models" / "rl" / "results.json").read_text())["results"]
    ppo = results["difficulty_adaptation"]["algorithms"]["ppo"]
    for interval in (ppo["normalised"], ppo["lead_over_hand_rule"]):  # no null ends
        assert interval["low"] < interval["mean"] < interval["high"]
        assert interval["covers"] == EPISODES_ONLY
    timing = json.loads((tmp_path / "models" / "rl" / "grid_timing.json").read_text())
    assert timing["kernels"] == [here]
    assert timing["mkl_auto_branch"] == mkl_auto_branch()

    # The kept run as if it had been trained under another MKL branch: kept, not retrained.
    info_path = tmp_path / "models" / "rl" / "difficulty_adaptation" / "ppo" / "seed_0" / INFO_FILE
    info = json.loads(info_path.read_text(encoding="utf-8"))
    other = {**here, "mkl_branch": "SSE2" if here["mkl_branch"] != "SSE2" else "AVX"}
    info["segments"].append({"from_step": 512, "kernels": other})
    info_path.write_text(json.dumps(info), encoding="utf-8")

    output = train_rl(params)

    assert f"warning: the runs trained with different kernels ({describe(here)}; " in output
    assert f"{describe(other)}): kept or resumed runs from another host" in output


def test_the_note_on_a_resumed_run_does_not_promise_another_fingerprint(tmp_path: Path) -> None:
    """A resumed run scored on a checkpoint saved before the stop (difficulty's best model) keeps
    the uninterrupted grid's held-out returns and fingerprint: measured at smoke scale, DQN's
    seed stopped after its 4,000-step checkpoint and resumed printed the same fingerprint. The
    note said the fingerprint differed, beside the very fingerprint that had not."""
    params = one_run_params(tmp_path)
    before = train_rl(params).split("held-out returns fingerprint ")[1].split()[0]
    info_path = tmp_path / "models" / "rl" / "difficulty_adaptation" / "ppo" / "seed_0" / INFO_FILE
    info = json.loads(info_path.read_text(encoding="utf-8"))
    info["segments"].append({"from_step": 512, "kernels": info["segments"][0]["kernels"]})
    info_path.write_text(json.dumps(info), encoding="utf-8")

    output = train_rl(params)

    assert "1 run(s) resumed from a checkpoint (difficulty_adaptation/ppo/seed_0)" in output
    assert f"held-out returns fingerprint {before} " in output
    assert "the fingerprint differ " not in output
    assert "the fingerprint can differ from an uninterrupted grid's" in output


def test_scoring_a_finished_grid_again_keeps_its_training_wall_time(tmp_path: Path) -> None:
    """`aura train-rl` on a finished grid trains nothing and scores its runs again: that is what
    rewrites a results.json written before `ceiling_episodes` was recorded. It used to record
    the rescoring's seconds as the grid's wall time, which notebook 03 printed as the
    training's, and 0 s of training for each run kept."""
    from aura.rl.config import ConfigError
    from aura.rl.config.experiment import load_experiment
    from aura.rl.saved import saved_grid

    params = one_run_params(tmp_path)
    train_rl(params)
    rl = tmp_path / "models" / "rl"
    trained = json.loads((rl / "grid_timing.json").read_text())
    results = json.loads((rl / "results.json").read_text())
    ppo = results["results"]["difficulty_adaptation"]["algorithms"]["ppo"]
    run_seconds = ppo["seeds"][0]["train_seconds"]
    assert run_seconds == ppo["train_seconds"] == trained["train_seconds"] > 0
    del results["results"]["difficulty_adaptation"]["ceiling_episodes"]  # as written before
    (rl / "results.json").write_text(json.dumps(results))
    with pytest.raises(ConfigError, match="was scored before ceiling_episodes was recorded"):
        saved_grid(load_experiment(params))

    output = train_rl(params)

    saved_grid(load_experiment(params))  # rewritten, the runs kept
    assert "difficulty_adaptation/ppo/seed_0 1024 steps kept from before" in output
    timing = json.loads((rl / "grid_timing.json").read_text())
    for key in ("wall_seconds", "n_workers", "trained_runs", "train_seconds", "host_speed_s"):
        assert timing[key] == trained[key], key
    ppo = json.loads((rl / "results.json").read_text())["results"]["difficulty_adaptation"]
    ppo = ppo["algorithms"]["ppo"]
    assert ppo["seeds"][0]["train_seconds"] == ppo["train_seconds"] == run_seconds  # not 0
    assert timing["runs"] == trained["runs"]
    rescored = timing["rescored"]["wall_seconds"]
    assert (
        f"grid: {trained['wall_seconds']:.0f} s wall time (training, held-out scoring and the "
        f"references beside them); every run kept and scored again since, in {rescored:.0f} s"
    ) in output
    # A one-run grid is not the grid the wall-time target was set for, and is told so.
    assert "wall-time target: 600 s on 2 cores, for the default grid only (" in output

    (rl / "grid_timing.json").unlink()  # no record of the training left: not the rescoring's
    output = train_rl(params)
    timing = json.loads((rl / "grid_timing.json").read_text())
    assert timing["wall_seconds"] is None and timing["train_seconds"] is None  # not this call's 0
    ppo = json.loads((rl / "results.json").read_text())["results"]["difficulty_adaptation"]
    assert ppo["algorithms"]["ppo"]["seeds"][0]["train_seconds"] == run_seconds  # the run's own
    assert "grid: training wall time not recorded (every run was kept from before); every " in (
        output
    )


def test_a_folder_holding_another_run_is_refused_before_anything_trains(tmp_path: Path) -> None:
    """A params file that shares another's models_dir, with other hyperparameters: the command
    names the folder and the three ways on, in one line, before training or scoring anything."""
    params = one_run_params(tmp_path)
    train_rl(params)
    run_dir = tmp_path / "models" / "rl" / "difficulty_adaptation" / "ppo" / "seed_0"
    before = {p: p.stat().st_mtime_ns for p in run_dir.rglob("*")}
    other = yaml.safe_load(params.read_text(encoding="utf-8"))
    other[SECTION]["hyperparams"]["ppo"]["difficulty_adaptation"]["learning_rate"] = 1e-4
    params.write_text(yaml.safe_dump(other, sort_keys=False), encoding="utf-8")

    result = CliRunner().invoke(app, ["train-rl", "--params", str(params)])

    assert result.exit_code == 1
    output = " ".join(result.output.split())
    assert output.startswith(f"error: {run_dir} holds a run with a different config.yaml")
    assert "aura train-rl --fresh" in output and "--set shared.models_dir=" in output
    assert "Traceback" not in output
    assert {p: p.stat().st_mtime_ns for p in run_dir.rglob("*")} == before


@pytest.mark.parametrize(
    ("seed", "workers", "refusal"),
    [
        (84, 1, "on its 2 held-out episodes the oracle's mean return"),
        (84, 2, "on its 2 held-out episodes the oracle's mean return"),
        (20240601, 2, "on 496 of 2000 resamples of the 2 episodes the oracle's mean return"),
    ],
)
def test_held_out_episodes_on_which_random_beats_the_oracle_are_refused_in_one_line(
    tmp_path: Path, seed: int, workers: int, refusal: str
) -> None:
    """On two tutor-matching episodes drawn from shared seed 84, random's mean return is above
    the oracle's: the grid stopped in a traceback from the normalised scale's division (with
    two workers, once every run had trained). It is refused before any run trains. From the
    smoke seed the oracle is ahead on the two episodes' mean but not on one of them, which a
    quarter of the intervals' resamples draw twice: their scores were divided by a negative
    width, and every interval held them without a word."""
    params = one_run_params(tmp_path)
    data = yaml.safe_load(params.read_text(encoding="utf-8"))
    data["shared"]["seed"] = seed
    data[SECTION].update(env_keys=["tutor_matching"], n_test_episodes=2, ceiling_episodes=20)
    data[SECTION]["n_workers"] = workers
    params.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")

    result = CliRunner().invoke(app, ["train-rl", "--params", str(params)])

    output = " ".join(result.output.split())
    assert result.exit_code == 1, output
    assert "Traceback" not in output
    error = output[output.index("error: ") :]
    assert error.startswith(f"error: tutor_matching: {refusal}")
    assert "normalised" in error and "raise 03_rl_training.n_test_episodes (2)" in error
    assert not (tmp_path / "models" / "rl" / "tutor_matching").exists()  # no run trained


def test_returns_that_cannot_be_scored_are_named_in_one_line(tmp_path: Path, monkeypatch) -> None:
    """An error of the scoring after training (here a held-out return that is not a number)
    reached the command as a traceback."""
    import dataclasses

    import aura.rl.experiment as experiment

    trained = experiment.run_job

    def nan_returns(*args, **kwargs):
        outcome = trained(*args, **kwargs)
        return dataclasses.replace(outcome, test_returns=[float("nan")] * len(outcome.test_returns))

    monkeypatch.setattr(experiment, "run_job", nan_returns)  # one worker: this process
    params = one_run_params(tmp_path)
    result = CliRunner().invoke(app, ["train-rl", "--params", str(params)])

    output = " ".join(result.output.split())
    assert result.exit_code == 1, output
    assert "Traceback" not in output
    rl_dir = tmp_path / "models" / "rl"
    error = output[output.index("error: ") :]
    assert error.startswith(
        f"error: scoring the grid in {rl_dir} stopped: per-episode returns must be finite "
        "numbers: the policy's return of episode 0 is nan (its runs are trained and kept"
    )
    assert not (rl_dir / "results.json").exists()


def test_a_run_that_stops_on_an_error_is_named_and_its_traceback_kept(
    tmp_path: Path, monkeypatch
) -> None:
    """A worker's error reached the user as a traceback hundreds of lines long that did not
    say which run it was (a NaN loss printed its tensors whole)."""
    import aura.rl.experiment as experiment

    def broken(*args, **kwargs):
        raise FloatingPointError("the loss is NaN\n" + "tensor([nan, nan])\n" * 200)

    monkeypatch.setattr(experiment, "run_job", broken)  # one worker: this process
    result = CliRunner().invoke(app, ["train-rl", "--params", str(one_run_params(tmp_path))])
    output = " ".join(result.output.split())
    log = tmp_path / "models" / "rl" / "difficulty_adaptation" / "ppo" / "seed_0" / "error.log"
    assert result.exit_code == 1 and "Traceback" not in output
    # in a log, only the step count's lines come before it
    progress, error = output[: output.index("error: ")], output[output.index("error: ") :]
    assert re.fullmatch(r"(1 runs: [\d,]+ of [\d,]+ steps \(\d+%\), \d+s )*", progress)
    assert error.startswith(
        "error: difficulty_adaptation/ppo/seed_0 stopped: FloatingPointError: the loss is NaN "
        f"(whole traceback in {log};"
    )
    assert "tensor" not in output
    assert "Traceback" in log.read_text() and log.read_text().count("tensor([nan, nan])") >= 200


def interrupted(command: list[str], started: Path) -> tuple[int, str]:
    """The exit code and output of an ``aura`` command sent Ctrl-C once a file matching
    ``started`` (a glob from the root) exists."""
    import os
    import signal
    import subprocess
    import sys
    import time

    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("aura")), *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # a group of its own, as a terminal's foreground job
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    try:
        deadline = time.monotonic() + 120
        while not list(Path("/").glob(str(started).lstrip("/"))) and time.monotonic() < deadline:
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C sends
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode, " ".join(output.split())


def test_ctrl_c_stops_the_grid_at_once_and_says_what_it_keeps(tmp_path: Path) -> None:
    """Ctrl-C reaches the command and its two workers: each worker took its run's
    KeyboardInterrupt as that run's error and trained the next, and the command waited for
    the whole grid before it left, without a word or its results."""
    params = one_run_params(tmp_path)
    grid = yaml.safe_load(params.read_text(encoding="utf-8"))
    grid[SECTION].update(algorithms=["ppo", "a2c"], seeds=2, n_workers=2)
    grid[SECTION]["training"].update(total_timesteps=500_000, eval_freq=50_000, save_freq=512)
    params.write_text(yaml.safe_dump(grid, sort_keys=False), encoding="utf-8")
    run = tmp_path / "models" / "rl" / "difficulty_adaptation" / "ppo" / "seed_0"
    code, output = interrupted(["train-rl", "--params", str(params)], run / "checkpoints" / "*.zip")
    assert code == 130, output
    assert "interrupted: the grid in" in output and "keeps its finished runs" in output
    assert "Traceback" not in output


def test_ctrl_c_stops_a_budget_study_and_says_what_it_keeps(tmp_path: Path) -> None:
    """`aura rl-budget` stopped by Ctrl-C exited 130 without a word. A long study: 500 times the
    grid's budget, saved every 2,560 steps (200 checkpoints, the most a study takes)."""
    params = one_run_params(tmp_path)
    study = ["--env", "difficulty_adaptation", "--factor", "500", "--every", "2560"]
    code, output = interrupted(
        ["rl-budget", "--params", str(params), *study],
        tmp_path / "models" / "rl" / "**" / "*.zip",
    )
    assert code == 130, output
    assert "interrupted: the budget study in" in output
    assert "keeps its checkpoints; the same command resumes it from the last one" in output
    assert "Traceback" not in output


def test_the_command_shows_its_tables_as_the_report_does(tmp_path: Path) -> None:
    """The command printed its results and saved-policies tables as the code names their
    columns (`ci_low`, `lead_over_rule`, `scored_normalised`, True/NaN), 178 characters wide,
    where notebook 03 shows them under headers in words with each score beside its interval."""
    output = train_rl(one_run_params(tmp_path))
    results = json.loads((tmp_path / "models" / "rl" / "results.json").read_text())["results"]
    ppo = results["difficulty_adaptation"]["algorithms"]["ppo"]["normalised"]
    score = f"{ppo['mean']:.3f} [{ppo['low']:.3f}, {ppo['high']:.3f}]"
    for said in (
        "normalised score (95% CI)",
        "lead over best hand rule (95% CI)",
        f"difficulty adaptation PPO {score}",
        "other saved policy (95% CI)",
    ):
        assert said in output
    for code_name in ("ci_low", "lead_over_rule", "scored_normalised", "NaN"):
        assert code_name not in output
