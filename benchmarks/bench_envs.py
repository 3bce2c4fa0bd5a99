"""Environment steps per second, single process, random actions (target: >= 25,000 each).

Measured through `gymnasium.make` (with its default wrappers) and on the bare environment,
stepping with `action_space.sample()` and resetting at episode ends, as a training loop would.
Writes reports/bench/envs.json with the median and every repeat; a run with other --steps or
--repeats writes envs-quick.json, so a check keeps the default run's record.

    .venv/bin/python benchmarks/bench_envs.py                        # 5 repeats of 100,000 steps
    .venv/bin/python benchmarks/bench_envs.py --steps 10000 --repeats 1 --out /tmp/envs.json
"""

from __future__ import annotations

from stopping import stoppable, stoppable_from_start

stoppable_from_start("bench_envs")  # before the imports below, which take seconds

import statistics
import time
from pathlib import Path
from typing import Annotated

import gymnasium as gym
import typer
from option_checks import run, writable_out
from provenance import provenance, remove_stale_part, report_path, write_report

import aura.envs as E

TARGET = 25_000
STEPS = 100_000
REPEATS = 5


def steps_per_second(env: gym.Env, steps: int, seed: int) -> float:
    """Random-action steps per second over `steps` steps (resets included)."""
    env.reset(seed=seed)
    env.action_space.seed(seed)
    start = time.perf_counter()
    for _ in range(steps):
        _, _, terminated, truncated, _ = env.step(env.action_space.sample())
        if terminated or truncated:
            env.reset()
    return steps / (time.perf_counter() - start)


def default_out(steps: int, repeats: int) -> Path:
    """reports/bench/envs.json at the default settings; envs-quick.json at others."""
    return report_path("envs", "" if (steps, repeats) == (STEPS, REPEATS) else "quick")


def main(
    steps: Annotated[int, typer.Option(min=1, help="Steps per timed run.")] = STEPS,
    repeats: Annotated[int, typer.Option(min=1, help="Timed runs per environment and mode.")] = (
        REPEATS
    ),
    out: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the JSON (default: reports/bench/envs.json at the default "
            "--steps and --repeats, envs-quick.json at others).",
            callback=writable_out,
        ),
    ] = None,
) -> None:
    """Time random-action steps per environment, through gymnasium.make and bare."""
    out = out or default_out(steps, repeats)
    with stoppable("bench_envs"):
        remove_stale_part(out)
        report = {
            "provenance": provenance(),
            "settings": {"steps": steps, "repeats": repeats},
            "target_steps_per_s": TARGET,
            "steps_per_run": steps,
        }
        results = {}
        for env_id in (E.TUTOR_MATCHING_ID, E.DIFFICULTY_ID):
            for mode in ("make", "bare"):
                env = gym.make(env_id)
                env = env.unwrapped if mode == "bare" else env
                steps_per_second(env, 2_000, 0)  # warm-up
                runs = [steps_per_second(env, steps, seed) for seed in range(repeats)]
                median = statistics.median(runs)
                results[f"{env_id}:{mode}"] = {
                    "median_steps_per_s": round(median),
                    "runs": [round(r) for r in runs],
                    "meets_target": median >= TARGET,
                }
                print(f"{env_id:32s} {mode:5s} median {median:9.0f} steps/s  runs {runs}")
        write_report({"benchmark": "env_steps_per_second", **report, "results": results}, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    run(main)
