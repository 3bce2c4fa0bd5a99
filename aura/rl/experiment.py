"""The training grid (algorithms x environments x seeds) in parallel worker processes.

Each run is one process-local job: torch on a single thread per process (two cores, two workers;
more threads per process only add contention for small networks), environments vectorised
in-process (see :func:`aura.rl.train.make_vec_env`). Slow jobs (DQN, which trains on every fourth
step) are started first so the two workers finish together. After training, each worker scores
its run's scored model on the held-out test episodes, and every checkpoint on the first
``curve_episodes`` of them (the held-out learning curves), so evaluation is parallel too. Each
environment's references (random, hand rules, oracle, upper and experience references), which do
not depend on training, are computed by the same workers beside the runs: tutor matching's take
as long as a training run. Random and the oracle, the scale's ends, are evaluated first, before
the workers start, so that held-out episodes without a scale are refused before a run trains.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aura.files import write_text_atomically
from aura.reports.host import host_speed as measure_host_speed
from aura.rl.config.experiment import ExperimentConfig
from aura.rl.config.run import RunConfig
from aura.rl.numerics import UNRECORDED, mkl_auto_branch
from aura.rl.train import (
    CONFIG_FILE,
    INFO_FILE,
    SCORED_FILES,
    check_same_run,
    steps_kept,
    train,
)

if TYPE_CHECKING:
    from aura.envs.evaluation import EvalResult

TIMING_FILE = "grid_timing.json"
ERROR_FILE = "error.log"
"""Where a run that stopped on an error keeps its whole traceback (the worker's included)."""


class RunFailed(RuntimeError):
    """A run of the grid stopped on an error: named in one line, its traceback kept in its
    folder. A worker's error used to reach the user as a traceback hundreds of lines long
    (tensors of NaN printed whole) that did not say which run it was."""


def _outcome(job: tuple[Any, ...], compute: Callable[[], RunOutcome]) -> RunOutcome:
    """`compute`'s outcome of `job` (`run_job`'s arguments), or RunFailed naming the run, its
    error's first line and the file that keeps the whole traceback (the worker's included)."""
    import traceback

    try:
        return compute()
    except Exception as exc:
        run, run_dir, seed_index = job[0], Path(job[1]), job[2]
        log = run_dir / ERROR_FILE
        run_dir.mkdir(parents=True, exist_ok=True)
        write_text_atomically(log, "".join(traceback.format_exception(exc)))
        lines = str(exc).strip().splitlines()
        first = f": {lines[0][:300]}" if lines else ""
        raise RunFailed(
            f"{run.env.key}/{run.algo}/seed_{seed_index} stopped: {type(exc).__name__}{first} "
            f"(whole traceback in {log}; the grid's other finished runs are kept, and its "
            "checkpoints resume it)"
        ) from exc


class ScoringFailed(RuntimeError):
    """The grid's runs trained, and scoring them against the references stopped on an error
    (`aura.rl.results.summarise`: returns that are not finite numbers, a scale without width):
    named in one line, where it reached `aura train-rl` as a traceback."""


@dataclass(frozen=True)
class RunOutcome:
    """One finished run of the grid: where it is, how long it took, its held-out returns."""

    env_key: str
    algo: str
    seed_index: int
    run_dir: str
    num_timesteps: int
    resumed_from: int
    train_seconds: float
    """Seconds this call trained the run: 0 for a run kept from before and only scored again."""
    recorded_seconds: float
    """The run's training wall time as its ``train_info.json`` records it
    (`TrainResult.recorded_seconds`): what results.json gives per run, so a run kept from before
    keeps its own training's seconds where ``train_seconds`` is this call's 0."""
    test_returns: list[float]
    checkpoint_means: list[tuple[int, float]] = field(default_factory=list)
    """(steps, mean return on the first ``curve_episodes`` held-out episodes) per checkpoint."""
    other_returns: list[float] = field(default_factory=list)
    """Held-out returns of the saved policy that is not scored (the final one where the best
    checkpoint is scored, and the other way round), on the same episodes: a check of the choice
    after the fact, which chooses nothing."""


def init_worker() -> None:
    """Process initializer: one thread per process, for torch and for the OpenMP and BLAS pools
    (scikit-learn's gradient boosting in the references, numpy).

    The workers already fill the cores; a pool of two threads in each then waits on a core the
    other process holds, and OpenMP's threads spin while they wait. A pool reads
    ``OMP_NUM_THREADS`` when it loads: the variable covers pools loaded from here on, and
    threadpoolctl the ones already loaded.
    """
    import torch
    from threadpoolctl import threadpool_limits

    os.environ["OMP_NUM_THREADS"] = "1"
    threadpool_limits(limits=1)
    torch.set_num_threads(1)


PARENT_POLL_SECONDS = 0.5
"""How often a grid worker checks that the process that started it is still there."""


def init_grid_worker(step_counter: Any) -> None:
    """:func:`init_worker`, the grid's shared count of steps trained (`aura.rl.progress`)
    installed for the runs this worker trains, and `exit_with_parent`."""
    from aura.rl import progress

    init_worker()
    progress.install(step_counter)
    exit_with_parent()


def exit_with_parent(poll: float = PARENT_POLL_SECONDS) -> None:
    """End this worker as soon as the process that started it is gone.

    A command killed by ``kill`` (SIGTERM) or SIGKILL ends at once, without shutting its pool
    down: its workers went on training the runs already handed to them, one after another,
    then waited for more for ever. A resume started meanwhile trained the same runs in the
    same folders beside them. Every file a run writes is put in place whole, so a worker ended
    at any instant leaves its run to resume from its last checkpoint, as a killed grid's runs
    do."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


@contextmanager
def grid_pool(workers: int, step_counter: Any) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` grid workers (`init_grid_worker`), ended at once on Ctrl-C or
    SIGTERM (KeyboardInterrupt, `aura.interrupts`).

    A pool left by an interrupt waited for every run handed to it: a worker catches its job's
    KeyboardInterrupt as the job's error and takes the next one, so Ctrl-C on ``aura train-rl``
    trained the rest of the grid (minutes at default params) and then left without its
    results. Every file a run writes is put in place whole, so runs ended here resume from
    their last checkpoints."""
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=init_grid_worker,
        initargs=(step_counter,),
    )
    try:
        yield pool
    except (KeyboardInterrupt, SystemExit):
        processes = list((pool._processes or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        for process in processes:
            process.join(timeout=30)
        raise
    finally:
        pool.shutdown(wait=True)  # as the pool's own `with` did


def run_job(
    run: RunConfig,
    run_dir: str,
    seed_index: int,
    test_seed: int,
    n_test: int,
    n_curve: int,
    resume: bool,
    scored_file: str,
) -> RunOutcome:
    """Train one run (or resume it), score its saved policy ``scored_file`` and the other saved
    policy on the ``n_test`` held-out episodes, and every checkpoint on the first ``n_curve``."""
    from aura.rl.scoring import evaluate_model_file, score_checkpoints

    init_worker()
    result = train(run, run_dir, resume=resume)
    (other_file,) = set(SCORED_FILES.values()) - {scored_file}
    returns, other = (
        evaluate_model_file(Path(run_dir) / name, run, test_seed, n_test)
        for name in (scored_file, other_file)
    )
    curve = score_checkpoints(Path(run_dir), run, result.num_timesteps, test_seed, n_curve)
    return RunOutcome(
        env_key=run.env.key,
        algo=run.algo,
        seed_index=seed_index,
        run_dir=str(run_dir),
        num_timesteps=result.num_timesteps,
        resumed_from=result.resumed_from,
        train_seconds=result.wall_seconds,
        recorded_seconds=result.recorded_seconds,
        test_returns=[float(r) for r in returns],
        checkpoint_means=curve,
        other_returns=[float(r) for r in other],
    )


def reference_job(
    cfg: ExperimentConfig, env_key: str, scale: Mapping[str, EvalResult]
) -> tuple[str, dict[str, Any], float]:
    """The references of one environment on the held-out episodes, and the seconds they took
    (beside ``scale``, random's and the oracle's, evaluated and checked before the grid)."""
    from aura.rl.references import references

    init_worker()
    start = time.perf_counter()
    refs = references(
        cfg.env(env_key),
        cfg.test_seed,
        cfg.n_test_episodes,
        ceiling_episodes=cfg.ceiling_episodes,
        ceiling_seed=cfg.ceiling_seed,
        experience_steps=cfg.training.total_timesteps,
        experience_seed=cfg.experience_seed,
        scale=scale,
    )
    return env_key, refs, time.perf_counter() - start


def run_grid(
    cfg: ExperimentConfig,
    *,
    resume: bool = True,
    n_workers: int | None = None,
    on_done: Callable[[RunOutcome], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[list[RunOutcome], dict[str, dict[str, Any]]]:
    """Train every run of the grid and compute every environment's references beside them;
    return the outcomes in grid order and the references per environment key.

    ``n_workers`` defaults to the config's; 1 runs everything in this process (no start-up cost,
    easier to debug). With ``resume``, finished runs are kept and unfinished ones continue from
    their checkpoints, so an interrupted grid is restarted by calling this again. The grid's wall
    time (training, held-out scoring and references) is written to
    ``{models_dir}/rl/grid_timing.json``, beside the host's speed measured just before the grid
    (``aura.reports.host``) so that wall times from different hosts can be told apart, the
    kernels the runs trained with (:func:`grid_kernels`) and the branch MKL would choose on this
    processor by itself (what "by processor" stands for here), and what identifies each run's
    training (:func:`run_identities`). Where every run was kept, the record keeps the wall time
    of these very runs' training and gives this call's under ``rescored``.

    ``on_progress(steps, total)`` is told the grid's steps trained, kept and resumed runs'
    included, of its total, as they are trained (`aura.rl.progress.StepProgress`).
    """
    from aura.rl.progress import StepProgress
    from aura.rl.references import check_referenced, scale_references

    check_referenced(cfg.env_keys)
    workers = cfg.n_workers if n_workers is None else n_workers
    jobs = _grid_jobs(cfg, resume)
    # Longest first (`AlgoParams.job_cost`), so the workers finish together. The references are
    # started before any run: tutor matching's cost about as much as the longest.
    order = sorted(
        jobs, key=lambda job: -job[0].hyperparams.job_cost * job[0].training.total_timesteps
    )

    host_speed = measure_host_speed()
    start = time.perf_counter()
    # Random and the oracle first (in the grid's wall time): held-out episodes that give them no
    # scale to score on (`NoScale`) are refused before a run trains, not once every run has.
    scales = {
        env.key: scale_references(env, cfg.test_seed, cfg.n_test_episodes, cfg.base_seed)
        for env in cfg.envs
    }
    outcomes: list[RunOutcome] = []
    found: list[tuple[str, dict[str, Any], float]] = []
    total = len(jobs) * cfg.training.total_timesteps
    before = sum(steps_kept(job[0], Path(job[1])) for job in jobs) if resume else 0

    def finished(outcome: RunOutcome) -> None:
        outcomes.append(outcome)
        if on_done:
            on_done(outcome)

    with StepProgress(total, before, on_progress) as steps:
        if workers == 1:
            found = [reference_job(cfg, env.key, scales[env.key]) for env in cfg.envs]
            for job in order:
                finished(_outcome(job, lambda job=job: run_job(*job)))
        else:
            with grid_pool(workers, steps.counter) as pool:
                pending = [
                    pool.submit(reference_job, cfg, env.key, scales[env.key]) for env in cfg.envs
                ]
                submitted = {pool.submit(run_job, *job): job for job in order}
                try:
                    for future in as_completed(submitted):
                        finished(_outcome(submitted[future], future.result))
                except RunFailed:
                    pool.shutdown(cancel_futures=True)  # runs started finish and are kept
                    raise
                found = [future.result() for future in pending]
    wall = time.perf_counter() - start

    rank = {(job[0].env.key, job[0].algo, job[2]): i for i, job in enumerate(jobs)}
    outcomes.sort(key=lambda o: rank[(o.env_key, o.algo, o.seed_index)])
    reference_seconds = {key: seconds for key, _, seconds in found}
    _write_timing(cfg, outcomes, wall, workers, reference_seconds, host_speed)
    return outcomes, {key: refs for key, refs, _ in found}


def _grid_jobs(cfg: ExperimentConfig, resume: bool) -> list[tuple[Any, ...]]:
    """The arguments of :func:`run_job` for every run of the grid, in grid order. With
    ``resume``, a folder holding another run is refused here, before anything trains."""
    jobs = []
    for env in cfg.envs:
        scored = SCORED_FILES[cfg.scored_model[env.key]]
        for algo in cfg.algorithms:
            for k in range(cfg.n_seeds):
                run = cfg.run(env.key, algo, k)
                args = (run, str(cfg.run_dir(env.key, algo, k)), k, cfg.test_seed)
                jobs.append((*args, cfg.n_test_episodes, cfg.curve_episodes, resume, scored))
    if resume:
        for job in jobs:
            check_same_run(job[0], Path(job[1]))
    return jobs


def _write_timing(
    cfg: ExperimentConfig,
    outcomes: list[RunOutcome],
    wall: float,
    workers: int,
    reference_seconds: dict[str, float],
    host_speed: float,
) -> None:
    """``{models_dir}/rl/grid_timing.json``: the grid's wall time and what it depends on (the
    host's speed, the load, the kernels its runs trained with), so grids can be compared. A call
    that trained nothing keeps the timing of its runs' training and adds its own
    (`_training_kept`)."""
    cfg.rl_dir.mkdir(parents=True, exist_ok=True)
    run_dirs = [o.run_dir for o in outcomes]
    timing = {
        "wall_seconds": wall,
        "n_runs": len(outcomes),
        "n_workers": workers,
        "total_timesteps_per_run": cfg.training.total_timesteps,
        "trained_runs": sum(o.train_seconds > 0 for o in outcomes),
        "train_seconds": sum(o.train_seconds for o in outcomes),
        "reference_seconds": reference_seconds,
        "load_average": list(os.getloadavg()),
        "host_speed_s": host_speed,
        "kernels": grid_kernels(run_dirs),
        "resumed_runs": resumed_runs(run_dirs, cfg.rl_dir),
        "mkl_auto_branch": mkl_auto_branch(),
        "runs": run_identities(run_dirs, cfg.rl_dir),
    }
    if not timing["trained_runs"]:
        timing = _training_kept(cfg.rl_dir / TIMING_FILE, timing)
    write_text_atomically(cfg.rl_dir / TIMING_FILE, json.dumps(timing, indent=2) + "\n")


CALL_TIMING = ("wall_seconds", "n_workers", "reference_seconds", "load_average", "host_speed_s")
"""What times one call of the grid, and what that time depends on (`_write_timing`)."""


def _training_kept(path: Path, rescoring: dict[str, Any]) -> dict[str, Any]:
    """The timing of a call that trained nothing (every run kept and scored again): the
    training's timing from the record at ``path``, this call's under ``rescored``.

    A finished grid is scored again for another ``scored_model`` or ``ceiling_episodes``, or to
    rewrite an older results.json; its record then gave the minute that took as the grid's wall
    time, which notebook 03 and ``aura train-rl`` print as the training's. The training's is the
    last record of the very same runs (:func:`run_identities`): a record matched on its count of
    runs and steps alone was taken from another grid of that size in the same models folder.
    Where there is none (the record was deleted, is another grid's, predates records naming
    their runs, or a run was retrained since), the training's wall time and summed seconds are
    unknown: None, not this call's 0."""
    before = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    if before.get("runs") == rescoring["runs"]:
        training = {key: before[key] for key in (*CALL_TIMING, "trained_runs", "train_seconds")}
    else:
        training = {"wall_seconds": None, "train_seconds": None}
    return {**rescoring, **training, "rescored": {key: rescoring[key] for key in CALL_TIMING}}


def grid_runs(grid: Mapping[str, Any], total_timesteps: int) -> str:
    """A grid's runs in words (its ``grid_timing.json``, the ``grid`` of results.json), for
    notebook 03: how many, of how many steps, trained or kept, and the workers of the call. A
    call that trained nothing carries its training's counts (`_training_kept`), which the
    notebook printed as the call's own ("12 trained or resumed, 0 kept from before") above a
    wall time that says every run was kept and scored again."""
    n = grid["n_runs"]
    runs = f"{n} run{'' if n == 1 else 's'} of {total_timesteps:,} steps"
    if "rescored" in grid:
        workers = grid["rescored"]["n_workers"]
        return f"{runs}, every one kept from before and scored again, {workers} workers"
    kept = n - grid["trained_runs"]
    return (
        f"{runs} ({grid['trained_runs']} trained or resumed, {kept} kept from before), "
        f"{grid['n_workers']} workers"
    )


def grid_wall_time(grid: Mapping[str, Any]) -> str:
    """A grid's wall time in words (its ``grid_timing.json``, the ``grid`` of results.json), for
    ``aura train-rl`` and notebook 03: the training's, and the last scoring since where a later
    call trained nothing (`_training_kept`)."""
    wall = grid["wall_seconds"]
    words = (
        "training wall time not recorded (every run was kept from before)"
        if wall is None
        else f"{wall:.0f} s wall time (training, held-out scoring and the references beside them)"
    )
    if "rescored" in grid:
        words += (
            f"; every run kept and scored again since, in {grid['rescored']['wall_seconds']:.0f} s"
        )
    return words


def grid_kernels(run_dirs: list[str]) -> list[dict[str, str]]:
    """The distinct kernels (`aura.rl.numerics`) the runs in ``run_dirs`` trained with, each
    once, in order of first appearance, over every segment of every run (a resumed run may have
    trained under two); training done before runs recorded them counts as ``UNRECORDED``. More
    than one entry means the grid mixes training whose seeds took different paths (kept or
    resumed runs from another host or another ``MKL_CBWR``), so its table is not one machine's."""
    found: list[dict[str, str]] = []
    for run_dir in run_dirs:
        info = json.loads((Path(run_dir) / INFO_FILE).read_text(encoding="utf-8"))
        # Runs recorded one process's kernels before they recorded segments.
        segments = info.get("segments") or [{"kernels": info.get("kernels", UNRECORDED)}]
        for segment in segments:
            if segment["kernels"] not in found:
                found.append(segment["kernels"])
    return found


def resumed_runs(run_dirs: list[str], rl_dir: Path) -> list[str]:
    """The runs (as ``env/algo/seed_k`` under ``rl_dir``) trained in more than one segment,
    i.e. resumed from a checkpoint. A resumed run is not the run an uninterrupted training
    makes: it starts its training episodes again from the seed's first, and its policy's and
    exploration's random draws from a new process's, so its returns, and the grid's
    fingerprint, can differ (within the seeds' spread); not where the policy scored is a
    checkpoint saved before the stop, as difficulty's best model can be."""
    resumed = []
    for run_dir in map(Path, run_dirs):
        info = json.loads((run_dir / INFO_FILE).read_text(encoding="utf-8"))
        if len(info.get("segments", [])) > 1:
            resumed.append(run_dir.relative_to(rl_dir).as_posix())
    return resumed


def run_identities(run_dirs: list[str], rl_dir: Path) -> dict[str, str]:
    """Each run (as ``env/algo/seed_k`` under ``rl_dir``) and a digest of what identifies its
    training: its config.yaml (environment, algorithm, seed, hyperparameters, steps) and its
    train_info.json, written when a training finishes, with that training's wall time, so a run
    retrained in place under the same config gets another digest. A grid's timing record names
    its runs so, and a later call that trains nothing keeps that record's timing only for the
    very same runs (`_training_kept`): two grids of one size in one models folder share
    ``grid_timing.json``."""
    found: dict[str, str] = {}
    for run_dir in map(Path, run_dirs):
        digest = hashlib.sha256()
        for name in (CONFIG_FILE, INFO_FILE):
            digest.update(hashlib.sha256((run_dir / name).read_bytes()).digest())
        found[run_dir.relative_to(rl_dir).as_posix()] = digest.hexdigest()[:16]
    return found


def run_experiment(
    cfg: ExperimentConfig,
    *,
    resume: bool = True,
    n_workers: int | None = None,
    on_done: Callable[[RunOutcome], None] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Train the grid, score every run against the references, and save the verdict.

    Writes ``{models_dir}/rl/results.json`` (grid timing and, per environment, references and
    per-algorithm scores) and ``{models_dir}/rl/selected.json`` (the PPO model to export per
    environment), and returns the content of results.json.
    """
    from aura.rl.results import RESULTS_FILE, summarise, write_json
    from aura.rl.selection import SELECTED_FILE, select_models

    outcomes, references = run_grid(
        cfg, resume=resume, n_workers=n_workers, on_done=on_done, on_progress=on_progress
    )
    timing = json.loads((cfg.rl_dir / TIMING_FILE).read_text(encoding="utf-8"))
    try:
        payload = {"grid": timing, "results": summarise(cfg, outcomes, references)}
    except ValueError as exc:
        raise ScoringFailed(
            f"scoring the grid in {cfg.rl_dir} stopped: {exc} (its runs are trained and kept; "
            "no results.json was written)"
        ) from exc
    write_json(cfg.rl_dir / RESULTS_FILE, payload)
    write_json(cfg.rl_dir / SELECTED_FILE, select_models(cfg, payload["results"]))
    return payload
