"""What every benchmark report records beside its figures, and how it is written.

A figure quoted from reports/bench/ must be traceable to the code, the settings (each report's
``settings``: its counts, and for the RL grid the params file and its sha256) and the host that
gave it: the commit (and whether the tree had changes), AURA's version, the lock the environment
was installed from with any package off it (`aura.dependency_lock`), the processor, and the
host's speed (`aura.reports.host`), since on a shared machine a time moves with the host as much
as with the code. A report is written whole or not at all, so a stopped run leaves the last
one's file; a run killed while it wrote (SIGKILL) leaves its part as well, which the next run of
the benchmark removes as it starts (`remove_stale_part`). A run whose `aura` is not the
benchmark's own checkout's is refused here, before anything is measured
(`checkout.require_own_aura`): its figures and commit would be another checkout's.
"""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from checkout import require_own_aura

from aura.config import ARTIFACTS_DIR, BENCH_DIR
from aura.dependency_lock import lock_record
from aura.files import PART_SUFFIX, strict_json, write_text_atomically
from aura.reports.host import host_speed
from aura.reports.provenance import git_state, processor_name


def provenance() -> dict[str, Any]:
    """The commit, version, time and host of a benchmark run, taken when it starts; every
    benchmark calls it before it measures, so a run on another checkout's `aura` stops here."""
    require_own_aura()
    return {
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "aura_version": version("aura"),
        **git_state(),
        "lock": lock_record(),
        "machine": {
            "processor": processor_name(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "host_speed_s": round(host_speed(), 4),
    }


def report_path(name: str, *variants: str) -> Path:
    """Where a benchmark writes its report when no ``--out`` is given: reports/bench/NAME.json at
    its default settings, NAME-VARIANT.json for each variant that differs (other inputs, fewer or
    more repeats, a shorter check; empty variants are the default ones), so a run at other
    settings never replaces the default measurement's record, the one the docs quote."""
    return BENCH_DIR / ("-".join([name, *(v for v in variants if v)]) + ".json")


def artifacts_variant(artifacts: Path) -> str:
    """The name a report of another artifacts folder than artifacts/ carries (the folder's own,
    artifacts-smoke for the smoke run's); empty for artifacts/."""
    folder = artifacts.resolve()
    return "" if folder == ARTIFACTS_DIR.resolve() else folder.name


def write_report(report: dict[str, Any], out: Path) -> None:
    """`report` as JSON at `out`, written whole (`aura.files`), with NaN as null."""
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(out, strict_json(report))


def remove_stale_part(out: Path) -> None:
    """Remove the ``OUT.part`` that a run killed while writing its report left beside ``out``,
    as this run starts: the next report written overwrites it, but a run that was stopped,
    failed or wrote elsewhere left it among the reports, a JSON file cut short. Writing a
    report takes milliseconds, so a part found when a run starts is another run's only if two
    runs write the same file at once, which they must not."""
    out.with_name(out.name + PART_SUFFIX).unlink(missing_ok=True)
