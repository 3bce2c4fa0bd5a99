"""Steps trained across a grid's worker processes, for one progress bar over the whole grid.

The grid's runs train in worker processes, so SB3's progress bar (one per run) would print over
itself from two processes. Instead every worker adds the steps it trains to one shared counter,
and the process that started the grid reads it while it waits: steps done of the grid's total,
with the time remaining. A counter shared by processes must be handed over when a worker starts
(`multiprocessing` refuses to pickle it into a job), so the grid's worker initializer installs it
here, and `aura.rl.train.train` adds a `StepCounter` whenever one is installed.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback

ADD_EVERY = 2_048
"""Steps a worker counts locally before it adds them to the shared counter (one lock each)."""

REPORT_SECONDS = 0.5
"""How often `StepProgress` reports the count while runs train."""

_shared: Any | None = None


def install(counter: Any | None) -> None:
    """Make ``counter`` (a ``multiprocessing.Value``, or None) the one this process adds to."""
    global _shared
    _shared = counter


def installed() -> Any | None:
    """The counter this process adds its trained steps to, if any."""
    return _shared


class StepCounter(BaseCallback):
    """Adds the steps of the run it trains to a shared counter, every `ADD_EVERY` steps and at
    the end. It reads nothing and draws nothing, so the run trains exactly as without it."""

    def __init__(self, counter: Any) -> None:
        super().__init__()
        self.counter = counter
        self.pending = 0
        self.last = 0

    def _on_training_start(self) -> None:
        self.last = self.num_timesteps

    def _on_step(self) -> bool:
        self.pending += self.num_timesteps - self.last
        self.last = self.num_timesteps
        if self.pending >= ADD_EVERY:
            self._flush()
        return True

    def _on_training_end(self) -> None:
        self._flush()

    def _flush(self) -> None:
        with self.counter.get_lock():
            self.counter.value += self.pending
        self.pending = 0


class StepProgress:
    """Count the steps of every run trained inside the ``with`` block, in this process and in
    workers started with ``init_grid_worker(steps.counter)``, and tell ``on_progress(steps,
    total)`` when the block starts, every `REPORT_SECONDS` from a thread while it runs, and when
    it ends. ``before`` is the steps kept runs have trained already (a resume's), counted as
    done; the count stops at ``total`` (a run may end a rollout past its budget)."""

    def __init__(
        self, total: int, before: int = 0, on_progress: Callable[[int, int], None] | None = None
    ) -> None:
        self.total, self.before, self.on_progress = total, before, on_progress
        self.counter = multiprocessing.get_context("spawn").Value("q", 0)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def report(self) -> None:
        if self.on_progress:
            self.on_progress(min(self.before + self.counter.value, self.total), self.total)

    def _watch(self) -> None:
        while not self._stop.wait(REPORT_SECONDS):
            self.report()

    def __enter__(self) -> StepProgress:
        self._previous = installed()
        install(self.counter)
        self.report()
        if self.on_progress:
            self._thread = threading.Thread(target=self._watch, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        install(self._previous)
        if exc[0] is None:
            self.report()
