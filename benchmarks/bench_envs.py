"""Environment steps per second, single process, random actions (target: >= 25,000 each).

Measured through `gymnasium.make` (with its default wrappers) and on the bare environment,
stepping with `action_space.sample()` and resetting at episode ends, as a training loop would.
Writes reports/bench/envs.json with the median and every repeat.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from datetime import UTC, datetime

import gymnasium as gym

import aura.envs as E
from aura.config import BENCH_DIR

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


def main() -> dict:
    results = {}
    for env_id in (E.TUTOR_MATCHING_ID, E.DIFFICULTY_ID):
        for mode in ("make", "bare"):
            env = gym.make(env_id)
            env = env.unwrapped if mode == "bare" else env
            steps_per_second(env, 2_000, 0)  # warm-up
            runs = [steps_per_second(env, STEPS, seed) for seed in range(REPEATS)]
            median = statistics.median(runs)
            results[f"{env_id}:{mode}"] = {
                "median_steps_per_s": round(median),
                "runs": [round(r) for r in runs],
                "meets_target": median >= TARGET,
            }
            print(f"{env_id:32s} {mode:5s} median {median:9.0f} steps/s  runs {runs}")
    report = {
        "benchmark": "env_steps_per_second",
        "target_steps_per_s": TARGET,
        "steps_per_run": STEPS,
        "results": results,
        "load_average": os.getloadavg(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    (BENCH_DIR / "envs.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
