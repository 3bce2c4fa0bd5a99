"""Coverage of notebook 05's off-policy 95% intervals over replications of the logged data.

Each replication draws new logs from its own simulator seed (`--first-seed` onwards) at a
quarter of the default params' scale, runs IPS, SNIPS and DR with their bootstrap intervals as
notebook 05 does, and records whether each interval covers the policy's true value on the same
contexts (`aura.evaluation.coverage`). Everything runs on one thread. Writes
reports/bench/ope_coverage.json: the settings, every replication's intervals and, per policy and
estimator, the coverage with its binomial standard error, the bias and the errors' spread. Not
run by `make bench`: at its defaults it takes about ten minutes of one core.

    .venv/bin/python benchmarks/ope_coverage.py                                  # 200 replications
    .venv/bin/python benchmarks/ope_coverage.py --replications 5 --out /tmp/ope_coverage.json
"""

from __future__ import annotations

from stopping import stoppable, stoppable_from_start

stoppable_from_start("ope_coverage")  # before the imports below, which take seconds

import time
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from option_checks import run, writable_out
from provenance import provenance, remove_stale_part, report_path, write_report
from threadpoolctl import threadpool_limits
from tqdm import tqdm

from aura.evaluation.coverage import Scale, replicate, summarise

REPLICATIONS = 200
FIRST_SEED = 1_000
SCALE = Scale(n_learners=2_500, n_tutors=100, n_sessions=5_000, n_bootstrap=200)
"""A quarter of the default params' learners and sessions and their tutor count; notebook 05's
own bootstrap count (`n_bootstrap`, also the smoke params'; the default params' is 1,000, whose
interval ends are less noisy)."""


def default_out(replications: int, first_seed: int) -> Path:
    """reports/bench/ope_coverage.json at the defaults; ope_coverage-quick.json otherwise."""
    default = (replications, first_seed) == (REPLICATIONS, FIRST_SEED)
    return report_path("ope_coverage", "" if default else "quick")


def main(
    replications: Annotated[
        int, typer.Option(min=1, help="Replications, each from its own simulator seed.")
    ] = REPLICATIONS,
    first_seed: Annotated[
        int, typer.Option(min=0, help="The first replication's simulator seed; then +1 each.")
    ] = FIRST_SEED,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the JSON (default: reports/bench/ope_coverage.json at the "
            "default --replications and --first-seed, ope_coverage-quick.json at others).",
            callback=writable_out,
        ),
    ] = None,
) -> None:
    """Measure how often each off-policy interval covers the policy's true value."""
    out = out or default_out(replications, first_seed)
    with stoppable("ope_coverage"):
        remove_stale_part(out)
        report = {
            "benchmark": "ope_interval_coverage",
            "provenance": provenance(),
            "settings": {
                "replications": replications,
                "first_seed": first_seed,
                **asdict(SCALE),
                "level": 0.95,
                "target": "the policy's true value on the replication's own logged contexts",
            },
        }
        rows = []
        start, cpu = time.perf_counter(), time.process_time()
        seeds = range(first_seed, first_seed + replications)
        with threadpool_limits(limits=1):
            for seed in tqdm(seeds, desc="replications", unit="replication"):
                rows += replicate(seed, SCALE)
        table = summarise(rows)
        print(table.round(4).to_string(index=False))
        report["seconds"] = {
            "wall": round(time.perf_counter() - start, 1),
            "cpu": round(time.process_time() - cpu, 1),
        }
        report["summary"] = table.to_dict(orient="records")
        report["replications"] = rows
        write_report(report, out)
    print(f"wrote {out}")


if __name__ == "__main__":
    run(main)
