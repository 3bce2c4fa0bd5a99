"""A training killed mid-run resumes from its last checkpoint, not from step 0.

The run is started in a child process and SIGKILLed as soon as its first checkpoint is on disk
(no chance to clean up, as when a machine dies); training is then resumed in this process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from aura.rl.config.algorithms import algo_params
from aura.rl.config.environments import EnvConfig
from aura.rl.config.run import RunConfig, TrainingConfig
from aura.rl.experiment import grid_kernels, resumed_runs
from aura.rl.numerics import kernels
from aura.rl.train import (
    INFO_FILE,
    checkpoints,
    latest_checkpoint,
    read_progress,
    seconds_path,
    train,
)

ENV = EnvConfig("cartpole", "CartPole-v1")
TRAINING = TrainingConfig(total_timesteps=6000, eval_freq=500, n_eval_episodes=2, save_freq=500)
CHILD = (
    "import sys\n"
    "from aura.rl.config.run import load_run_config\n"
    "from aura.rl.train import train\n"
    "train(load_run_config(sys.argv[1]), sys.argv[2])\n"
)


def start_and_kill(
    run: RunConfig, run_dir: Path, timeout: float = 120.0, mkl_cbwr: str | None = None
) -> int:
    """Train in a child process (under ``mkl_cbwr`` if given), SIGKILL it once a complete
    checkpoint (for DQN: with its replay buffer) exists; return that checkpoint's step count."""
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    if mkl_cbwr is not None:
        env["MKL_CBWR"] = mkl_cbwr
    run_dir.mkdir(parents=True)
    config = run_dir.parent / "run.yaml"
    run.save(config)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(config), str(run_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    deadline = time.monotonic() + timeout
    try:
        while latest_checkpoint(run_dir, run.algo) is None:
            if child.poll() is not None:
                pytest.fail(f"training exited before a checkpoint: {child.stderr.read().decode()}")
            if time.monotonic() > deadline:
                pytest.fail("no checkpoint appeared in time")
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL, "the child finished before it could be killed"
    return latest_checkpoint(run_dir, run.algo)[0]


@pytest.mark.parametrize(
    ("algo", "hyper"),
    [
        ("ppo", {"n_envs": 2, "n_steps": 64}),
        ("dqn", {"learning_starts": 200, "buffer_size": 5000}),
    ],
)
def test_killed_training_resumes_from_its_checkpoint(tmp_path: Path, algo: str, hyper) -> None:
    training = TRAINING
    run = RunConfig(ENV, algo, 3, algo_params(algo, hyper, algo), training)
    run_dir = tmp_path / "run"
    started = time.perf_counter()
    first = start_and_kill(run, run_dir)
    child_seconds = time.perf_counter() - started
    assert not (run_dir / "final_model.zip").exists()
    found = latest_checkpoint(run_dir, algo)
    assert found is not None
    ckpt_steps = found[0]
    assert 0 < ckpt_steps < training.total_timesteps and ckpt_steps >= first
    # The checkpoint keeps the training time it took the killed process to reach it.
    seconds = json.loads(seconds_path(found[1]).read_text(encoding="utf-8"))["wall_seconds"]
    assert 0 < seconds < child_seconds

    result = train(run, run_dir)

    assert result.resumed_from == ckpt_steps
    assert result.num_timesteps >= training.total_timesteps
    # The step counter continued: every row logged after the resume is past the checkpoint, and
    # the log as a whole counts up without restarting from zero.
    steps = read_progress(run_dir / "logs")["time/total_timesteps"].dropna().to_numpy()
    assert np.all(np.diff(steps) > 0)
    assert steps.max() >= training.total_timesteps
    assert steps[steps > ckpt_steps].min() <= ckpt_steps + 2 * training.eval_freq
    with np.load(run_dir / "logs" / "evaluations.npz") as evals:
        timesteps = evals["timesteps"]
    assert np.all(np.diff(timesteps) > 0)
    assert timesteps[0] <= ckpt_steps < timesteps[-1]  # history before the kill was kept
    assert (run_dir / "best_model.zip").is_file() and (run_dir / "final_model.zip").is_file()
    # The run records its whole training time: the seconds up to the checkpoint and those after
    # (the part after it alone was recorded), and so do the checkpoints saved after the resume.
    info = json.loads((run_dir / INFO_FILE).read_text(encoding="utf-8"))
    assert info["wall_seconds"] == result.recorded_seconds == seconds + result.wall_seconds
    assert result.recorded_seconds > result.wall_seconds
    last = checkpoints(run_dir)[-1][1]
    later = json.loads(seconds_path(last).read_text(encoding="utf-8"))["wall_seconds"]
    assert seconds < later <= result.recorded_seconds
    # Both processes' kernels are on record, each from the step it started at.
    here = kernels()
    assert info["segments"] == [
        {"from_step": 0, "kernels": here},
        {"from_step": ckpt_steps, "kernels": here},
    ]
    # ... so the grid can say which of its runs were resumed (`aura train-rl` notes them)
    assert resumed_runs([str(run_dir)], tmp_path) == ["run"]
    # A finished run is not trained again, and keeps its whole training time.
    kept = train(run, run_dir)
    assert (kept.wall_seconds, kept.recorded_seconds) == (0.0, result.recorded_seconds)


@pytest.mark.skipif(not torch.backends.mkl.is_available(), reason="this PyTorch build has no MKL")
def test_a_run_resumed_under_another_mkl_branch_records_both(tmp_path: Path) -> None:
    """Half a run trained under one MKL branch and half under another took neither branch's
    path; the grid that keeps it must be able to say so (`aura train-rl` warns on two kernels)."""
    training = TRAINING
    hyper = algo_params("ppo", {"n_envs": 2, "n_steps": 64}, "ppo")
    run = RunConfig(ENV, "ppo", 3, hyper, training)
    run_dir = tmp_path / "run"
    here = kernels()
    other = "SSE4_2" if here["mkl_branch"] == "COMPATIBLE" else "COMPATIBLE"
    start_and_kill(run, run_dir, mkl_cbwr=other)

    result = train(run, run_dir)

    info = json.loads((run_dir / INFO_FILE).read_text(encoding="utf-8"))
    assert info["segments"] == [
        {"from_step": 0, "kernels": {**here, "mkl_branch": other}},
        {"from_step": result.resumed_from, "kernels": here},
    ]
    assert grid_kernels([str(run_dir)]) == [{**here, "mkl_branch": other}, here]


def test_a_checkpoint_cut_off_inside_its_parameter_files_is_not_resumed(tmp_path: Path) -> None:
    """SB3 stores torch's own zip files uncompressed inside the model zip: a file cut off right
    after one of them looks like a valid zip, of the wrong entries."""
    import zipfile

    from stable_baselines3 import PPO

    folder = tmp_path / "checkpoints"
    folder.mkdir()
    whole = folder / "rl_model_100_steps.zip"
    PPO("MlpPolicy", "CartPole-v1", n_steps=64, device="cpu").save(whole)
    data = whole.read_bytes()
    inner_end = data.index(b"PK\x05\x06") + 22  # the first end-of-directory: a torch file's
    cut = folder / "rl_model_200_steps.zip"
    cut.write_bytes(data[:inner_end])

    assert zipfile.is_zipfile(cut)  # the trap
    assert latest_checkpoint(tmp_path, "ppo") == (100, whole)


def test_a_dqn_checkpoint_writes_its_replay_buffer_whole_before_its_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each checkpoint file is renamed into place whole, the buffer first, so a kill at any
    instant never leaves a model whose buffer is cut off (a resume would fail to unpickle it)."""
    import aura.rl.train as train_module

    written: list[str] = []
    write, write_text = train_module.write_atomically, train_module.write_text_atomically

    def recording(path: Path, fill) -> Path:
        write(path, fill)
        written.append(path.name)
        return path

    def recording_text(path: Path, text: str) -> Path:
        write_text(path, text)
        written.append(path.name)
        return path

    monkeypatch.setattr(train_module, "write_atomically", recording)
    monkeypatch.setattr(train_module, "write_text_atomically", recording_text)
    training = TrainingConfig(total_timesteps=600, eval_freq=300, n_eval_episodes=2, save_freq=300)
    hyper = {"learning_starts": 100, "buffer_size": 1000}
    train(RunConfig(ENV, "dqn", 3, algo_params("dqn", hyper, "dqn"), training), tmp_path / "run")

    saved = [name for name in written if name.startswith("rl_model")]
    assert saved == [
        "rl_model_replay_buffer_300_steps.pkl",
        "rl_model_300_steps.json",
        "rl_model_300_steps.zip",
        "rl_model_replay_buffer_600_steps.pkl",
        "rl_model_600_steps.json",
        "rl_model_600_steps.zip",
    ]
    assert {"best_model.zip", "final_model.zip"} <= set(written)
    assert latest_checkpoint(tmp_path / "run", "dqn")[0] == 600
    assert not list((tmp_path / "run").rglob("*.part"))


def test_a_damaged_saved_model_is_named_before_sb3_reads_it(tmp_path: Path) -> None:
    """Every model is written whole, so a damaged one was damaged outside training; SB3's loader
    failed on it with a bare zipfile error. Scoring and exporting name the file and the run
    folder to delete; resuming the finished run reads neither model; nothing changes."""
    from aura.export.policies import _load
    from aura.rl.config import ConfigError
    from aura.rl.scoring import evaluate_model_file
    from aura.rl.train import FINAL_MODEL

    training = TrainingConfig(total_timesteps=256, eval_freq=128, n_eval_episodes=2, save_freq=128)
    run = RunConfig(ENV, "ppo", 0, algo_params("ppo", {"n_steps": 64}, "ppo"), training)
    run_dir = tmp_path / "ppo" / "run"
    train(run, run_dir)
    final = run_dir / FINAL_MODEL
    final.write_bytes(final.read_bytes()[: final.stat().st_size // 2])
    checkpoint = checkpoints(run_dir)[0][1]
    checkpoint.write_bytes(b"not a zip")
    before = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}

    kept = train(run, run_dir)  # a finished run is kept as it is
    assert kept.resumed_from == kept.num_timesteps and kept.wall_seconds == 0.0
    for path, attempt in [
        (final, lambda: evaluate_model_file(final, run, 0, 1)),
        (final, lambda: _load(final)),
        (checkpoint, lambda: evaluate_model_file(checkpoint, run, 0, 1)),
    ]:
        with pytest.raises(ConfigError) as err:
            attempt()
        assert str(err.value).startswith(
            f"{path} is not a whole saved model (damaged or cut short); delete {run_dir} and "
        )
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file()} == before


POOL_PARENT = (
    "import multiprocessing, os, signal, sys, time\n"
    "from concurrent.futures import ProcessPoolExecutor\n"
    "from aura.rl.experiment import init_grid_worker\n"
    "if __name__ == '__main__':\n"
    "    context = multiprocessing.get_context('spawn')\n"
    "    pool = ProcessPoolExecutor(1, mp_context=context, initializer=init_grid_worker,\n"
    "                               initargs=(None,))\n"
    "    open(sys.argv[1], 'w').write(str(pool.submit(os.getpid).result()))\n"
    "    pool.submit(time.sleep, 120)  # a run under way\n"
    "    time.sleep(0.5)\n"
    "    os.kill(os.getpid(), signal.SIGKILL)\n"
)


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting to be reaped has stopped)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_grid_worker_stops_when_the_command_is_killed(tmp_path: Path) -> None:
    """`kill` of `aura train-rl` (or `aura rl-probe`) ends the command at once; its workers went
    on training the runs handed to them, beside a resume started meanwhile, then waited for
    ever. Now a worker ends as soon as the process that started it is gone."""
    script, pid_file, log = (tmp_path / name for name in ("parent.py", "worker.pid", "err.log"))
    script.write_text(POOL_PARENT)
    with log.open("w") as err:  # not a pipe: the worker inherits it, and would hold it open
        code = subprocess.run(
            [sys.executable, str(script), str(pid_file)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            timeout=120,
        ).returncode
    assert code == -signal.SIGKILL, log.read_text()
    worker = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    still = alive(worker)
    if still:
        os.kill(worker, signal.SIGKILL)
    assert not still, "the worker outlived the command that started it"
