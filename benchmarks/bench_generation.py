"""Wall time and peak memory of generating and writing the datasets, against their targets.

Each measurement runs in a fresh Python process, so its peak resident memory (the kernel's
VmHWM of that process; getrusage's max RSS would keep the benchmark's own from the spawn)
belongs to that one generation and nothing else; the process reports the wall time and CPU time
of `aura.sim.write_datasets` alone (imports excluded) and its peak RSS. The median over the runs
is compared with the target. CPU time is given beside wall time because the machine may be shared:
wall time then includes waiting for a core, CPU time does not. Memory is in MiB (the kernel's kB
/ 1024) under the report's ``*_mb`` keys, named so for the readers of earlier reports.

    .venv/bin/python benchmarks/bench_generation.py  # 5 runs at spec scale, 3 at 1M sessions
    .venv/bin/python benchmarks/bench_generation.py --quick  # 1 run of each, for a check

Writes reports/bench/generation.json (aura.config.BENCH_DIR); with --quick,
generation-quick.json, so a check keeps the full run's record.
"""

from __future__ import annotations

from stopping import stoppable, stoppable_from_start

stoppable_from_start("bench_generation")  # before the imports below, which take seconds

import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer
from checkout import checkout_process, run_to_end
from option_checks import run, writable_out
from provenance import provenance, remove_stale_part, report_path, write_report

SEED = 20240601
CASES: dict[str, dict[str, Any]] = {
    "spec_scale": {
        "sizes": {"n_learners": 10_000, "n_tutors": 100, "n_sessions": 20_000},
        "runs": 5,
        "target_seconds": 5.0,
        "target_peak_rss_mb": None,
    },
    "one_million_sessions": {
        "sizes": {"n_learners": 10_000, "n_tutors": 100, "n_sessions": 1_000_000},
        "runs": 3,
        "target_seconds": 60.0,
        "target_peak_rss_mb": 2048.0,
    },
}

CHILD = """
import json, re, sys, time
from aura.sim.io import write_datasets

def peak_kb():  # this process's own peak; getrusage's max RSS keeps the parent's from the spawn
    status = open("/proc/self/status").read()
    return int(re.search(r"VmHWM:\\s+(\\d+) kB", status).group(1))

sizes, seed, out = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
baseline = peak_kb()
wall, cpu = time.perf_counter(), time.process_time()
paths = write_datasets(out, seed=seed, **sizes)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
written = sum(p.stat().st_size for p in paths.values())
peak = peak_kb()
print(json.dumps({"seconds": wall, "cpu_seconds": cpu, "peak_rss_mb": peak / 1024,
                  "rss_after_imports_mb": baseline / 1024, "bytes_written": written}))
"""


def measure_once(sizes: dict[str, int]) -> dict[str, float]:
    """Generate and write once in a fresh interpreter, on this benchmark's own checkout's
    `aura` (`checkout_process`; it ran that of whichever `aura` the benchmark imported);
    returns its own timings and peak RSS.

    The scratch folder the tables are written to is this process's, and the interpreter is
    ended and waited for before it is removed, whatever ends the wait (Ctrl-C, SIGTERM taken as
    Ctrl-C in `main`): a child left running went on generating and writing for up to a minute
    after the benchmark had stopped, and one killed in its own scratch folder left it behind."""
    with tempfile.TemporaryDirectory(prefix="aura-bench-generation-") as scratch:
        process = checkout_process(
            [sys.executable, "-c", CHILD, json.dumps(sizes), str(SEED), scratch],
            env={**os.environ, "OMP_NUM_THREADS": "1"},
        )
        result = run_to_end(process)
    if result.returncode != 0:
        raise RuntimeError(f"generation failed for {sizes}:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def summarise(case: dict[str, Any], runs: list[dict[str, float]]) -> dict[str, Any]:
    median = statistics.median(r["seconds"] for r in runs)
    peak = max(r["peak_rss_mb"] for r in runs)
    checks = {"seconds": median <= case["target_seconds"]}
    if case["target_peak_rss_mb"] is not None:
        checks["peak_rss_mb"] = peak <= case["target_peak_rss_mb"]
    return {
        "sizes": case["sizes"],
        "runs": runs,
        "median_seconds": round(median, 3),
        "median_cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in runs), 3),
        "max_peak_rss_mb": round(peak, 1),
        "target_seconds": case["target_seconds"],
        "target_peak_rss_mb": case["target_peak_rss_mb"],
        "meets_targets": all(checks.values()),
    }


def default_out(quick: bool) -> Path:
    """reports/bench/generation.json; generation-quick.json for a --quick check."""
    return report_path("generation", "quick" if quick else "")


def measure(quick: bool) -> dict[str, Any]:
    """The report: every case's runs, each in a fresh process (`measure_once`), and their
    medians against the targets."""
    report: dict[str, Any] = {
        "benchmark": "generation",
        "what": "aura.sim.write_datasets (generate + write 3 CSVs and 3 truth CSVs), "
        "one fresh process per run; median wall seconds, max peak RSS",
        "seed": SEED,
        "provenance": provenance(),
        "settings": {"quick": quick},
        "libraries": {"numpy": np.__version__, "pandas": pd.__version__},
        "cases": {},
    }
    for name, case in CASES.items():
        runs = []
        for i in range(1 if quick else case["runs"]):
            run = measure_once(case["sizes"])
            runs.append({k: round(v, 3) for k, v in run.items()})
            print(
                f"{name} run {i + 1}: {run['seconds']:.2f} s wall, {run['cpu_seconds']:.2f} s cpu, "
                f"peak {run['peak_rss_mb']:.0f} MiB"
            )
        report["cases"][name] = summarise(case, runs)
    report["load_average_at_end_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    return report


def main(
    quick: Annotated[bool, typer.Option(help="One run per case instead of 5 and 3.")] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the JSON (default: reports/bench/generation.json; "
            "generation-quick.json with --quick).",
            callback=writable_out,
        ),
    ] = None,
) -> None:
    """Run every case, print one line per run, and write the JSON report."""
    out = out or default_out(quick)
    with stoppable("bench_generation", "; its generation process is ended"):
        remove_stale_part(out)
        report = measure(quick)
        write_report(report, out)
    for name, result in report["cases"].items():
        print(
            f"{name}: median {result['median_seconds']} s (target {result['target_seconds']} s), "
            f"peak {result['max_peak_rss_mb']} MiB, meets targets: {result['meets_targets']}"
        )
    print(f"wrote {out}")


if __name__ == "__main__":
    run(main)
