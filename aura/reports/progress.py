"""One line that a long notebook cell draws and updates in place, so that minutes of work run
from JupyterLab are not minutes of silence: how far the work is (`ProgressLine`, for work
counted in units: a grid's steps, tutor pools) or which stage it is in (`StageLine`, for work
told in stages: the supervised models' training).

A notebook executed by papermill keeps the last update and none before it, so its report shows
one line, not a log of frames. Outside IPython there is nowhere to draw, and neither draws.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType
from typing import Any


def clock_text(seconds: float) -> str:
    """``h:mm:ss``, as the command line's bars show times."""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}"


def _display_handle() -> Any | None:
    """A display to update in place, in IPython; None outside it."""
    from IPython import get_ipython
    from IPython.display import display

    if get_ipython() is None:
        return None
    return display({"text/plain": ""}, raw=True, display_id=True)


class ProgressLine:
    """An ``on_progress(done, total)`` for a notebook: "3 of 5 tutor pools (60%), 0:00:40
    elapsed, 0:00:27 left", with a ``<progress>`` bar in HTML.

    The time left is reckoned from the units done since the first report, as the command line's
    bar does: units kept from earlier runs (a resumed grid's steps) are done at once and are no
    measure of speed."""

    def __init__(self, unit: str = "steps", clock: Callable[[], float] | None = None) -> None:
        self.unit = unit
        self.clock = clock or time.monotonic
        self.first: tuple[float, int] | None = None
        self.handle = _display_handle()

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if self.first is None:
            self.first = (now, done)
        if self.handle is not None:
            self.handle.update(self.bundle(done, total, now), raw=True)

    def bundle(self, done: int, total: int, now: float) -> dict[str, str]:
        """The line as plain text and as HTML with a ``<progress>`` bar; work of no units (a
        grid with nothing left to run) says so, without a bar: "0 of 0 (0%)" read as work not
        begun."""
        start, kept = self.first or (now, done)
        elapsed = f"{clock_text(now - start)} elapsed"
        if total == 0:
            text = f"no {self.unit} to do, {elapsed}"
            return {"text/plain": text, "text/html": f"<div>{text}</div>"}
        # every unit kept from an earlier run: nothing was trained here, which the line, read
        # alone in a report, said nothing of ("72,000 of 72,000 steps (100%), 0:00:30 elapsed")
        kept_all = ", all kept from an earlier run" if kept == total else ""
        text = f"{done:,} of {total:,} {self.unit} ({done / total:.0%}){kept_all}, {elapsed}"
        if 0 < done < total and done > kept:
            text += f", {clock_text((now - start) * (total - done) / (done - kept))} left"
        bar = f'<progress value="{done}" max="{total}" style="width: 16em"></progress>'
        return {"text/plain": text, "text/html": f"<div>{bar} {text}</div>"}


class StageLine:
    """An ``on_stage(stage)`` for a notebook, used as a context manager around the work: while
    it runs, the stage under way and the time elapsed ("engagement: cross-validating the leaf
    size, 0:00:41 elapsed"); when the work ends, "done in 0:01:19, after 9 stages", so a report
    does not show finished work as under way. Work that fails leaves the stage it failed in."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self.clock = clock or time.monotonic
        self.start = self.clock()
        self.stages = 0
        self.handle = _display_handle()

    def __call__(self, stage: str) -> None:
        self.stages += 1
        self._show(f"{stage}, {clock_text(self.clock() - self.start)} elapsed")

    def __enter__(self) -> StageLine:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            stages = f"{self.stages} stage{'s' if self.stages != 1 else ''}"
            self._show(f"done in {clock_text(self.clock() - self.start)}, after {stages}")

    def _show(self, text: str) -> None:
        if self.handle is not None:
            self.handle.update({"text/plain": text}, raw=True)
