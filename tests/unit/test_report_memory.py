"""The peak memory a notebook's processes hold (`aura.reports.memory`), as run.json records it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from aura.reports.memory import descendants_memory

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


# Each measurement of a process tree runs in a Python process of its own: in the test process, a
# process another test had left to end (a server, a kernel) was once counted in a peak, 760 MiB
# where 150 were held, and could as well end between two readings of a sum.
MEASURE = """
import subprocess, sys, time
import psutil
from aura.reports.memory import MIB, PeakMemory, descendants_memory


def hold(script, mib, spawn):
    holder = subprocess.Popen(
        [sys.executable, script, str(mib), spawn], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert holder.stdout.readline() == b"ready\\n"
    return holder


def end(holder):
    for child in psutil.Process(holder.pid).children(recursive=True):
        child.kill()
    holder.kill()
    holder.wait()


script, what = sys.argv[1], sys.argv[2]
before = descendants_memory() / MIB
if what == "sum":  # 200 MiB held by a child, then by a child and its own child
    holder = hold(script, 200, "0")
    alone = descendants_memory() / MIB - before
    end(holder)
    holder = hold(script, 200, "1")
    tree = descendants_memory() / MIB - before
    end(holder)
    print(alone, tree)
elif what == "peak":  # 150 MiB held for a moment while sampled
    with PeakMemory(interval=0.05) as peak:
        holder = hold(script, 150, "0")
        deadline = time.monotonic() + 30
        while peak.peak_bytes < (before + 150) * MIB and time.monotonic() < deadline:
            time.sleep(0.05)
        end(holder)
    print(peak.mib - before, descendants_memory() / MIB - before)
else:  # nothing started while sampled
    with PeakMemory(interval=0.05) as peak:
        pass
    print(peak.mib - before)
"""


def measured(tmp_path: Path, what: str) -> list[float]:
    """What `MEASURE` prints for ``what`` ("sum", "peak" or "none"), run in a fresh process."""
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(script), what],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [float(x) for x in done.stdout.split()]


def test_memory_counts_every_descendant(tmp_path: Path) -> None:
    """200 MiB held by a child, and as much again by its own child: the sum is over the whole
    tree, each interpreter adding its few MiB beside what it holds."""
    alone, tree = measured(tmp_path, "sum")
    assert 200 <= alone < 260
    assert 400 <= tree < 520


def test_the_peak_outlives_the_processes_that_made_it(tmp_path: Path) -> None:
    peak, after = measured(tmp_path, "peak")
    assert 150 <= peak < 210
    assert after < 150  # the holder is gone; the peak was kept


def test_no_process_started_is_no_memory_beyond_what_runs_already(tmp_path: Path) -> None:
    (peak,) = measured(tmp_path, "none")
    assert peak < 5


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
