"""The RL grid's wall-time target, and whether a grid's training met it.

The target was set for one grid, the default params' (`TARGET_GRID` on 2 cores, measured by
benchmarks/bench_rl_training.py). Notebook 03 and the run's front page print a grid's wall time
beside it; a wall time beside a target it was never set for, or without saying whether it was
met, leaves the reader to do the comparison, and to do it wrongly for any other grid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aura.rl.config.experiment import ExperimentConfig

GRID_TARGET_SECONDS = 600.0
"""The default grid's wall-time target (`TARGET_GRID` on 2 cores), measured by
benchmarks/bench_rl_training.py; the spec allowed `SPEC_GRID_SECONDS`."""
SPEC_GRID_SECONDS = (2 * 3600.0, 4 * 3600.0)
"""The spec's "2-4 hours" of training."""


@dataclass(frozen=True)
class GridShape:
    """What a grid's wall time scales with: its runs and each run's steps."""

    n_algorithms: int
    n_envs: int
    n_seeds: int
    total_timesteps: int

    def __str__(self) -> str:
        counts = (
            (self.n_algorithms, "algorithm"),
            (self.n_envs, "environment"),
            (self.n_seeds, "seed"),
            (self.total_timesteps, "step"),
        )
        return " x ".join(f"{n:,} {noun}{'' if n == 1 else 's'}" for n, noun in counts)


TARGET_GRID = GridShape(n_algorithms=3, n_envs=2, n_seeds=3, total_timesteps=100_000)
"""The grid `GRID_TARGET_SECONDS` was set for: params/default.yaml's."""


def grid_shape(cfg: ExperimentConfig) -> GridShape:
    """The shape of the grid ``cfg`` defines."""
    return GridShape(
        n_algorithms=len(cfg.algorithms),
        n_envs=len(cfg.envs),
        n_seeds=cfg.n_seeds,
        total_timesteps=cfg.training.total_timesteps,
    )


def grid_target(cfg: ExperimentConfig, grid: Mapping[str, Any]) -> str:
    """The target beside a grid's training wall time (``grid``: its ``grid_timing.json``, the
    ``grid`` of results.json), and whether it was met: only a grid of `TARGET_GRID`'s shape,
    trained whole by the call timed, is measured against it (a wall time equal to the target
    meets it, as in the benchmark). Kept runs took none of the wall time, and a resumed run only
    the part after its checkpoint, so a grid that kept or resumed some is not."""
    target = f"{GRID_TARGET_SECONDS:.0f} s on 2 cores"
    shape = grid_shape(cfg)
    if shape != TARGET_GRID:
        return f"{target}, for the default grid only ({TARGET_GRID}; this one {shape})"
    wall = grid["wall_seconds"]
    if wall is None:
        return f"{target}: not measured, the training's wall time was not recorded"
    kept = grid["n_runs"] - grid["trained_runs"]
    if kept:
        return (
            f"{target}, for the default grid trained whole: {kept} of its {grid['n_runs']} runs "
            "were kept from before"
        )
    resumed = grid.get("resumed_runs") or []
    if resumed:
        return (
            f"{target}, for the default grid trained whole: {len(resumed)} of its "
            f"{grid['n_runs']} runs resumed from a checkpoint"
        )
    if wall <= GRID_TARGET_SECONDS:
        return f"{target}: met, {math.floor(GRID_TARGET_SECONDS - wall)} s to spare"
    return f"{target}: missed by {math.ceil(wall - GRID_TARGET_SECONDS)} s"
