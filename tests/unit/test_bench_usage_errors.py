"""A benchmark says a usage error (a value of the wrong type or refused by its check, an unknown
option, an option without its value) as `aura` says one: one ``error:`` line that names the
benchmark, the option and the value and points at its ``--help``, exit code 2. Each drew typer's
boxed panel of five lines or more under its usage.

Each benchmark runs once, as its script, for all its cases: its imports take seconds, and a
usage error stops it before it has started anything."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from benchmark_scripts import BENCHMARKS, SCRIPTS

EACH_CASE = """
import runpy, sys
script, *cases = sys.argv[1:]
sys.path.insert(0, script.rsplit("/", 1)[0])
for case in cases:
    sys.argv = [script, *case.split("\\t")]
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        print(f"exit {stop.code}", file=sys.stderr, flush=True)
    else:
        print("exit 0", file=sys.stderr, flush=True)
"""
"""Runs the script once per case (its arguments joined by tabs), each followed on stderr by
the code it exited with."""

COUNTS = {
    "bench_api.py": "--runs",
    "bench_envs.py": "--steps",
    "bench_filter.py": "--episodes",
    "bench_lambda.py": "--requests",
    "bench_rl_training.py": "--repeats",
    "bench_supervised.py": "--repeats",
    "ope_coverage.py": "--replications",
}
"""A count option of each benchmark that has one (bench_generation.py has none)."""


def said(script: str, *cases: list[str]) -> list[tuple[int, list[str]]]:
    """The exit code and the stderr lines of each case, run by the benchmark's script."""
    result = subprocess.run(
        [sys.executable, "-c", EACH_CASE, str(BENCHMARKS / script), *map("\t".join, cases)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "80"},  # a panel would be boxed at 80 columns
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    ends: list[tuple[int, list[str]]] = []
    lines: list[str] = []
    for line in result.stderr.splitlines():
        if line.startswith("exit "):
            ends.append((int(line.removeprefix("exit ")), lines))
            lines = []
        else:
            lines.append(line)
    assert len(ends) == len(cases), result.stderr
    return ends


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_benchmarks_usage_error_is_one_line_as_auras(script: str, tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("kept\n")
    under_a_file = str(a_file / "report.json")
    cases = [
        (["--bogus", "1"], ["No such option: --bogus"]),
        (["--out"], ["Option '--out' requires an argument"]),
        (
            ["--out", under_a_file],
            [f"Invalid value for '--out': {under_a_file} lies under {a_file}, which is a file"],
        ),
    ]
    count = COUNTS.get(script)
    if count:
        cases += [
            ([count, "x"], [f"Invalid value for '{count}'", "integer", "got 'x'"]),
            ([count, "-3"], [f"Invalid value for '{count}'", "greater than", "got '-3'"]),
        ]

    ends = said(script, *(args for args, _ in cases))
    for (args, named), (code, lines) in zip(cases, ends, strict=True):
        assert code == 2, (args, lines)
        assert len(lines) == 1, (args, lines)
        [line] = lines
        assert line.startswith(f"error: {script}: "), line
        assert line.endswith(f"(see {script} --help)"), line
        for words in named:
            assert words in line, (words, line)
    assert a_file.read_text() == "kept\n"
