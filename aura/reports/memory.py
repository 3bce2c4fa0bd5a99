"""The peak memory of the processes a step starts: what a machine needs to run a notebook.

A notebook runs in its own kernel, and notebook 03's RL grid in worker processes the kernel
starts, so the runner's own memory says nothing. `PeakMemory` samples, on a thread, every process
descended from this one and sums their proportional set sizes (PSS: a page shared by several
processes, such as torch's libraries mapped by each worker, is split between them rather than
counted once per process, as resident sizes would be). A peak shorter than the interval between
samples can be missed, so the figure is a lower bound on the true peak, close for the minutes-long
phases of a notebook.
"""

from __future__ import annotations

import threading
from types import TracebackType

import psutil

SAMPLE_SECONDS = 0.5
MIB = 2**20


def descendants_memory(root: psutil.Process | None = None) -> int:
    """Bytes held by every process descended from ``root`` (this process by default), each
    counted by its PSS where the system gives it (Linux), else by its resident size. A process
    that ends, or that cannot be read, while it is sampled adds nothing."""
    root = root or psutil.Process()
    total = 0
    for child in root.children(recursive=True):
        try:
            info = child.memory_full_info()
            total += getattr(info, "pss", info.rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    return total


class PeakMemory:
    """Within ``with PeakMemory() as peak:``, the largest `descendants_memory` seen, sampled every
    ``interval`` seconds; ``peak.mib`` after the block (0.0 if no process was started)."""

    def __init__(self, interval: float = SAMPLE_SECONDS) -> None:
        self.interval = interval
        self.peak_bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="peak-memory", daemon=True)

    def _sample(self) -> None:
        while True:
            self.peak_bytes = max(self.peak_bytes, descendants_memory())
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def mib(self) -> float:
        """The peak in MiB, to one decimal."""
        return round(self.peak_bytes / MIB, 1)
