"""Notebook 02's filter study, piece by piece: seconds to label episodes with the difficulty
filter's moves (`filter_labelled_states`, a DAgger round's work besides its fit), to evaluate the
filter, and to evaluate a clone of it on the last four blocks (`window_env(4)`).

The clone is fitted once, untimed, on the first repeat's four-block states. The process keeps
whatever OpenMP threads the host gives it, as a notebook does. Each measure's fingerprint hashes
what it computed, so runs of two commits show whether they computed the same numbers. Writes
reports/bench/filter.json with the median and every repeat; a run with other --episodes or
--repeats writes filter-quick.json, so a check keeps the default run's record.

    .venv/bin/python benchmarks/bench_filter.py                     # 3 repeats of 1,000 episodes
    .venv/bin/python benchmarks/bench_filter.py --episodes 50 --repeats 1 --out /tmp/filter.json
"""

from __future__ import annotations

from stopping import stoppable, stoppable_from_start

stoppable_from_start("bench_filter")  # before the imports below, which take seconds

import hashlib
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from option_checks import run, writable_out
from provenance import provenance, remove_stale_part, report_path, write_report

from aura.envs import evaluate_policy
from aura.envs.ceilings import DifficultyFilter, FilterClone, filter_labelled_states, window_env
from aura.envs.difficulty import DifficultyAdaptationEnv

EPISODES = 1_000
REPEATS = 3
SEED = 20240601 + 20_000
"""Notebook 02's DAgger seed at the default params' shared seed."""
WINDOW = 4


def fingerprint(*arrays: np.ndarray) -> str:
    """The first 16 hex digits of the sha256 of the arrays' bytes."""
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def timed(work: Callable[[], tuple[Any, str]]) -> tuple[float, Any, str]:
    """(seconds, result, fingerprint) of one call of `work`."""
    start = time.perf_counter()
    result, digest = work()
    return time.perf_counter() - start, result, digest


def default_out(episodes: int, repeats: int) -> Path:
    """reports/bench/filter.json at the default settings; filter-quick.json at others."""
    return report_path("filter", "" if (episodes, repeats) == (EPISODES, REPEATS) else "quick")


def main(
    episodes: Annotated[int, typer.Option(min=1, help="Episodes per timed measure.")] = EPISODES,
    repeats: Annotated[int, typer.Option(min=1, help="Timed runs per measure.")] = REPEATS,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the JSON (default: reports/bench/filter.json at the default "
            "--episodes and --repeats, filter-quick.json at others).",
            callback=writable_out,
        ),
    ] = None,
) -> None:
    """Time the filter's labelling, the filter's evaluation and a clone's evaluation."""
    out = out or default_out(episodes, repeats)
    with stoppable("bench_filter"):
        remove_stale_part(out)
        clone: FilterClone | None = None

        def label(window: int) -> Callable[[], tuple[Any, str]]:
            def work() -> tuple[Any, str]:
                states, moves = filter_labelled_states(None, episodes, SEED, window)
                return (states, moves), fingerprint(states, moves)

            return work

        def returns(env: Callable[[], Any], policy: Any) -> Callable[[], tuple[Any, str]]:
            def work() -> tuple[Any, str]:
                result = evaluate_policy(env, policy, episodes, SEED)
                return result, fingerprint(np.asarray(result.returns))

            return work

        measures: dict[str, Callable[[], tuple[Any, str]]] = {
            "label_window_1": label(1),
            f"label_window_{WINDOW}": label(WINDOW),
            "evaluate_filter": returns(DifficultyAdaptationEnv, DifficultyFilter()),
        }
        runs: dict[str, list[float]] = {name: [] for name in [*measures, "evaluate_clone"]}
        prints: dict[str, set[str]] = {name: set() for name in runs}
        for _ in range(repeats):
            for name, work in measures.items():
                seconds, result, digest = timed(work)
                runs[name].append(seconds)
                prints[name].add(digest)
                if clone is None and name == f"label_window_{WINDOW}":
                    clone = FilterClone.learn(*result, seed=SEED, window=WINDOW)
            assert clone is not None
            seconds, _, digest = timed(returns(lambda: window_env(WINDOW), clone))
            runs["evaluate_clone"].append(seconds)
            prints["evaluate_clone"].add(digest)
        results = {}
        for name, seconds in runs.items():
            median = statistics.median(seconds)
            results[name] = {
                "median_s": round(median, 3),
                "runs_s": [round(s, 3) for s in seconds],
                "fingerprint": ", ".join(sorted(prints[name])),
            }
            print(f"{name:18s} median {median:7.2f} s  runs {results[name]['runs_s']}")
        report = {
            "benchmark": "filter_study_seconds",
            "provenance": provenance(),
            "settings": {"episodes": episodes, "repeats": repeats, "seed": SEED},
            "results": results,
        }
        write_report(report, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    run(main)
