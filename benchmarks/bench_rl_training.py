"""Wall time of the whole default RL training against the spec's "2-4 hours" and a 10-minute target.

The default grid (3 algorithms x 2 environments x 3 seeds x 100,000 steps, params/default.yaml)
is trained from scratch into a temporary models folder with the same entry point as
``aura train-rl`` (two worker processes, one torch thread each), held-out scoring and the
references (computed by the same workers beside the runs) included.
Beside it, each algorithm's training throughput is measured alone (one process, a shorter run,
median of several) so a slow grid can be traced to its algorithm, and so is the held-out scoring
of one saved PPO policy on the grid's ``n_test_episodes`` episodes, in lockstep (what the grid
does) against one episode at a time. The machine's load average and the host's speed
(``aura.reports.host``) are recorded before and after: on a shared machine, wall time includes
waiting for a core, and hosts of the same name run at different speeds. The grid's fingerprint
(``aura.rl.fingerprint.fingerprint``) tells whether two hosts trained the same policies.

    .venv/bin/python benchmarks/bench_rl_training.py            # the grid once; the rest 3 times
    .venv/bin/python benchmarks/bench_rl_training.py --grids 3  # the target on a median of three
    .venv/bin/python benchmarks/bench_rl_training.py --quick    # no grid; throughput, scoring once

Writes reports/bench/rl_training.json (aura.config.BENCH_DIR) for params/default.yaml; with other
params, rl_training-NAME.json for params NAME.yaml (a copy named default.yaml elsewhere too), so a
smoke measurement keeps the default one; with --quick, the same name ending in -quick, so a check
keeps the grid's record (its fingerprint).
"""

from __future__ import annotations

from stopping import stoppable, stoppable_from_start

stoppable_from_start("bench_rl_training")  # before the imports below, which take seconds

import dataclasses
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from option_checks import run, writable_out
from provenance import provenance, remove_stale_part, report_path, write_report

from aura.cli.common import from_the_root
from aura.config import PARAMS_DIR, ParamsError
from aura.envs import evaluate_policy
from aura.files import sha256_file
from aura.reports.host import host_speed
from aura.rl.config.experiment import load_experiment
from aura.rl.experiment import init_worker, run_experiment
from aura.rl.fingerprint import fingerprint
from aura.rl.grid_target import GRID_TARGET_SECONDS, SPEC_GRID_SECONDS
from aura.rl.scoring import evaluate_model_file
from aura.rl.train import FINAL_MODEL, algorithm_class, train

THROUGHPUT_STEPS = 20_000
SCORING_STEPS = 5_000
DEFAULT_PARAMS = PARAMS_DIR / "default.yaml"
REPEATS = 3
GRIDS = 1


def throughput(params: Path, repeats: int) -> dict[str, Any]:
    """Training steps per second of each algorithm on each environment, alone in one process,
    with the grid's evaluation and checkpoint frequencies."""
    cfg = load_experiment(params)
    training = dataclasses.replace(cfg.training, total_timesteps=THROUGHPUT_STEPS)
    init_worker()
    out: dict[str, Any] = {}
    for env_key in cfg.env_keys:
        for algo in cfg.algorithms:
            run = dataclasses.replace(cfg.run(env_key, algo, 0), training=training)
            rates = []
            for _ in range(repeats):
                with tempfile.TemporaryDirectory() as tmp:
                    result = train(run, tmp, resume=False)
                rates.append(result.num_timesteps / result.wall_seconds)
            out[f"{env_key}/{algo}"] = {
                "steps_per_second_median": statistics.median(rates),
                "steps_per_second": rates,
                "n_envs": run.hyperparams.n_envs,
            }
            typer.echo(f"{env_key}/{algo}: {statistics.median(rates):.0f} steps/s")
    return out


def scoring(params: Path, repeats: int) -> dict[str, Any]:
    """Seconds to score one PPO policy (trained briefly, the grid's hyperparameters) on the
    held-out episodes: in lockstep, and one episode at a time; median of ``repeats``."""
    cfg = load_experiment(params)
    training = dataclasses.replace(cfg.training, total_timesteps=SCORING_STEPS)
    init_worker()
    out: dict[str, Any] = {}
    for env_key in cfg.env_keys:
        run = dataclasses.replace(cfg.run(env_key, "ppo", 0), training=training)
        with tempfile.TemporaryDirectory() as tmp:
            train(run, tmp, resume=False)
            path = Path(tmp) / FINAL_MODEL
            model = algorithm_class("ppo").load(path, device="cpu")
            timings: dict[str, list[float]] = {"lockstep": [], "one_at_a_time": []}
            for _ in range(repeats):
                start = time.perf_counter()
                evaluate_model_file(path, run, cfg.test_seed, cfg.n_test_episodes)
                timings["lockstep"].append(time.perf_counter() - start)
                start = time.perf_counter()
                evaluate_policy(
                    run.env.id, model, cfg.n_test_episodes, cfg.test_seed, run.env.kwargs
                )
                timings["one_at_a_time"].append(time.perf_counter() - start)
        medians = {k: statistics.median(v) for k, v in timings.items()}
        out[env_key] = {
            "n_episodes": cfg.n_test_episodes,
            "seconds_median": medians,
            "seconds": timings,
            "speedup": medians["one_at_a_time"] / medians["lockstep"],
        }
        typer.echo(
            f"{env_key} scoring, {cfg.n_test_episodes} episodes: lockstep "
            f"{medians['lockstep']:.2f}s, one at a time {medians['one_at_a_time']:.2f}s"
        )
    return out


def full_grid(params: Path) -> dict[str, Any]:
    cfg = load_experiment(params)
    with tempfile.TemporaryDirectory() as tmp:
        cfg = dataclasses.replace(cfg, models_dir=Path(tmp))
        start = time.perf_counter()
        payload = run_experiment(cfg, resume=False)
        wall = time.perf_counter() - start
    per_run = [
        {"env": env, "algo": algo, "seed_index": s["seed_index"], "seconds": s["train_seconds"]}
        for env, res in payload["results"].items()
        for algo, r in res["algorithms"].items()
        for s in r["seeds"]
    ]
    return {
        "wall_seconds": wall,
        # the workers' share: training, held-out scoring and the references beside them
        "grid_wall_seconds": payload["grid"]["wall_seconds"],
        "train_seconds_summed": payload["grid"]["train_seconds"],
        "reference_seconds": payload["grid"]["reference_seconds"],
        "n_runs": payload["grid"]["n_runs"],
        "n_workers": payload["grid"]["n_workers"],
        "total_timesteps_per_run": cfg.training.total_timesteps,
        "target_seconds": GRID_TARGET_SECONDS,
        "meets_target": wall <= GRID_TARGET_SECONDS,
        "speedup_vs_spec_low": SPEC_GRID_SECONDS[0] / wall,
        "per_run": per_run,
        "normalised": {
            env: {algo: r["normalised"]["mean"] for algo, r in res["algorithms"].items()}
            for env, res in payload["results"].items()
        },
        # equal on two hosts: the same policies, so a difference in time is the host's
        "fingerprint": fingerprint(payload["results"]),
    }


def repeated_grids(params: Path, grids: int) -> dict[str, Any]:
    """The first grid's record, with the wall times of ``grids`` grids and the target read on
    their median (one grid's time on a shared host can be a busy minute's). Every grid must
    train the same policies: their fingerprints are compared, and a difference is recorded."""
    runs = []
    for i in range(grids):
        runs.append(full_grid(params))
        typer.echo(f"grid {i + 1}/{grids}: {runs[-1]['wall_seconds']:.0f}s")
    record = dict(runs[0])
    walls = [r["wall_seconds"] for r in runs]
    record["wall_seconds_runs"] = walls
    record["wall_seconds"] = statistics.median(walls)
    record["meets_target"] = record["wall_seconds"] <= GRID_TARGET_SECONDS
    record["speedup_vs_spec_low"] = SPEC_GRID_SECONDS[0] / record["wall_seconds"]
    record["same_policies"] = len({r["fingerprint"] for r in runs}) == 1
    return record


def default_out(params: Path, quick: bool) -> Path:
    """reports/bench/rl_training.json for params/default.yaml itself (a copy of it elsewhere,
    whatever it holds, is other params); a quick run, or other params, never replaces the
    default grid's record."""
    other = "" if params.resolve() == DEFAULT_PARAMS.resolve() else params.stem
    return report_path("rl_training", other, "quick" if quick else "")


def main(
    params: Annotated[
        Path,
        typer.Option(
            help=f"Params file of the grid (default: {from_the_root(DEFAULT_PARAMS)}).",
            show_default=False,
        ),
    ] = DEFAULT_PARAMS,
    quick: Annotated[
        bool, typer.Option(help="No grid: throughput and scoring, one repeat each.")
    ] = False,
    repeats: Annotated[
        int, typer.Option(min=1, help="Throughput and scoring repeats (not with --quick).")
    ] = REPEATS,
    grids: Annotated[
        int,
        typer.Option(
            min=1,
            help="Grids trained from scratch; the target is read on their median wall time "
            "(not with --quick, which trains none).",
        ),
    ] = GRIDS,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the JSON (default: reports/bench/rl_training.json for the "
            "default params, rl_training-NAME.json for params/NAME.yaml and others; "
            "-quick.json with --quick).",
            callback=writable_out,
        ),
    ] = None,
) -> None:
    """Measure the RL training wall time and write the JSON report."""
    try:  # the params are read by every part; a bad file is named before anything is timed
        load_experiment(params)
    except ParamsError as exc:
        raise typer.BadParameter(str(exc), param_hint="--params") from None
    if quick and grids != GRIDS:  # a count the run would not honour, said before it starts
        raise typer.BadParameter("--quick trains no grid", param_hint="--grids")
    if quick and repeats != REPEATS:
        raise typer.BadParameter("--quick runs one repeat of each", param_hint="--repeats")
    out = out or default_out(params, quick)
    with stoppable("bench_rl_training", "; its training is ended and its scratch models removed"):
        remove_stale_part(out)
        report: dict[str, Any] = {
            "provenance": provenance(),
            "params": str(params),
            "settings": {
                "params": str(params.resolve()),
                "params_sha256": sha256_file(params),
                "quick": quick,
                "repeats": 1 if quick else repeats,
                "grids": 0 if quick else grids,
            },
        }
        report["throughput"] = throughput(params, 1 if quick else repeats)
        report["scoring"] = scoring(params, 1 if quick else repeats)
        if not quick:
            report["grid"] = repeated_grids(params, grids)
            typer.echo(
                f"grid: {report['grid']['wall_seconds']:.0f}s for {report['grid']['n_runs']} runs "
                f"(median of {grids}; target {GRID_TARGET_SECONDS:.0f}s)"
            )
        report["load_average_after"] = list(os.getloadavg())
        report["host_speed_s_after"] = host_speed()
        write_report(report, out)
    typer.echo(f"wrote {out}")


if __name__ == "__main__":
    run(main)
