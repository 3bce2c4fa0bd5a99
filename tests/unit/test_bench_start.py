"""A benchmark stopped by Ctrl-C while it still imports its libraries (its first seconds) ends in
the one line the rest of its run gives, with exit code 130: it printed a KeyboardInterrupt
traceback from deep inside numpy's or pydantic's import.

The import is held in place by the test, so the signal lands in it every time: the benchmark
runs under a finder that, at its first import of numpy, says so on stdout and waits, as a slow
import from a cold disk would."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from benchmark_scripts import BENCHMARKS, SCRIPTS

HELD_IMPORT = """
import runpy, signal, sys, time

class SlowImport:
    def find_spec(self, name, path=None, target=None):
        if name == "numpy":
            print("importing numpy", flush=True)
            time.sleep(60)
        return None

signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, not a background job
script = sys.argv[1]
sys.argv = sys.argv[1:]
sys.path.insert(0, sys.argv[0].rsplit("/", 1)[0])
sys.meta_path.insert(0, SlowImport())
runpy.run_path(script, run_name="__main__")
"""


@pytest.mark.parametrize("script", SCRIPTS)
def test_ctrl_c_while_a_benchmark_imports_ends_it_in_one_line(script: str) -> None:
    bench = subprocess.Popen(
        [sys.executable, "-c", HELD_IMPORT, str(BENCHMARKS / script), "--out", "/dev/null"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert bench.stdout is not None
        assert bench.stdout.readline() == "importing numpy\n", bench.communicate()
        bench.send_signal(signal.SIGINT)
        _, stderr = bench.communicate(timeout=30)
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.communicate()

    assert stderr == f"{script.removesuffix('.py')}: stopped, no report written\n"
    assert bench.returncode == 130
