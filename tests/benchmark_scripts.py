"""The benchmark scripts, for tests that hold every one of them to the same behaviour."""

from __future__ import annotations

from aura.config import PROJECT_ROOT

BENCHMARKS = PROJECT_ROOT / "benchmarks"
"""The benchmarks' folder."""

SCRIPTS = sorted(p.name for p in BENCHMARKS.glob("bench_*.py")) + ["ope_coverage.py"]
"""Each script a user runs: every `bench_*.py` and the off-policy coverage study. Read from the
folder, so that a benchmark added there is held to the same tests."""
