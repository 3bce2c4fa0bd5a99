"""The peak memory a notebook's processes hold (`aura.reports.memory`), as run.json records it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

from aura.reports.memory import MIB, PeakMemory, descendants_memory

# A process that holds `MiB` mebibytes, written so that every page is resident, says "ready",
# and (with `spawn`) first starts a child of its own that holds as much.
HOLDER = """
import subprocess, sys
mib, spawn = int(sys.argv[1]), sys.argv[2] == "1"
if spawn:
    child = subprocess.Popen([sys.executable, __file__, sys.argv[1], "0"], stdout=subprocess.PIPE)
    child.stdout.readline()
held = b"\\x01" * (mib * 2**20)
print("ready", flush=True)
sys.stdin.read()
"""


@contextmanager
def holding(tmp_path: Path, mib: int, spawn: bool = False) -> Iterator[subprocess.Popen[bytes]]:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(mib), "1" if spawn else "0"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
        yield proc
    finally:
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()
        proc.kill()
        proc.wait()


def test_memory_counts_every_descendant(tmp_path: Path) -> None:
    """200 MiB held by a child, and as much again by its own child: the sum is over the whole
    tree, each interpreter adding its few MiB beside what it holds (over what this process's
    other children, if any, already hold)."""
    before = descendants_memory() / MIB
    with holding(tmp_path, 200):
        alone = descendants_memory() / MIB - before
    with holding(tmp_path, 200, spawn=True):
        tree = descendants_memory() / MIB - before
    assert 200 <= alone < 260
    assert 400 <= tree < 520


# The peak test measured in a process of its own: in the test process, a process another test
# had left to end (a server, a kernel) was once counted in the peak, 760 MiB where 150 were held.
ISOLATED_PEAK = """
import subprocess, sys, time
from aura.reports.memory import MIB, PeakMemory, descendants_memory
script, mib = sys.argv[1], int(sys.argv[2])
before = descendants_memory() / MIB
with PeakMemory(interval=0.05) as peak:
    holder = subprocess.Popen(
        [sys.executable, script, str(mib), "0"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout.readline() == b"ready\\n"
    deadline = time.monotonic() + 30
    while peak.peak_bytes < (before + mib) * MIB and time.monotonic() < deadline:
        time.sleep(0.05)
    holder.kill()
    holder.wait()
print(peak.mib - before, descendants_memory() / MIB - before)
"""


def test_the_peak_outlives_the_processes_that_made_it(tmp_path: Path) -> None:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    done = subprocess.run(
        [sys.executable, "-c", ISOLATED_PEAK, str(script), "150"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    peak, after = (float(x) for x in done.stdout.split())
    assert 150 <= peak < 210
    assert after < 150  # the holder is gone; the peak was kept


def test_no_process_started_is_no_memory_beyond_what_runs_already() -> None:
    before = descendants_memory() / MIB
    with PeakMemory(interval=0.05) as peak:
        pass
    assert peak.mib < before + 5


def test_a_process_that_ends_while_sampled_adds_nothing(tmp_path: Path) -> None:
    """A worker that exits between the listing of the tree and its reading is skipped, not an
    error that would end the run's sampling."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    gone = psutil.Process(proc.pid)
    proc.wait()

    class Root:
        def children(self, recursive: bool) -> list[psutil.Process]:
            return [gone]

    with pytest.raises(psutil.NoSuchProcess):
        gone.memory_full_info()
    assert descendants_memory(Root()) == 0  # type: ignore[arg-type]
