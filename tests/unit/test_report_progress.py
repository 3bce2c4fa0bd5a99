"""The lines long notebook cells draw in place (`aura.reports.progress`): what they say, given a
clock, and what they draw outside IPython (nothing)."""

from __future__ import annotations

import pytest

import aura.reports.progress as progress
from aura.reports.progress import ProgressLine, StageLine


class Clock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Handle:
    """A display handle that keeps what it was last given, as a notebook's output keeps it."""

    def __init__(self) -> None:
        self.shown: list[str] = []

    def update(self, bundle: dict[str, str], raw: bool) -> None:
        assert raw
        self.shown.append(bundle["text/plain"])


def test_a_line_counts_its_own_unit_and_the_time_left() -> None:
    clock = Clock()
    line = ProgressLine("tutor pools", clock=clock)
    line(0, 4)
    text = line.bundle(1, 4, now=130.0)["text/plain"]
    # one pool in 30 s: the three left take 90 s
    assert text == "1 of 4 tutor pools (25%), 0:00:30 elapsed, 0:01:30 left"
    assert (
        line.bundle(4, 4, now=200.0)["text/plain"] == "4 of 4 tutor pools (100%), 0:01:40 elapsed"
    )


def test_a_line_counts_steps_unless_told_otherwise() -> None:
    line = ProgressLine(clock=Clock())
    line(0, 2_048)
    assert line.bundle(2_048, 2_048, now=100.0)["text/plain"].startswith("2,048 of 2,048 steps")


def test_a_stage_line_shows_the_stage_under_way_then_the_work_done(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handle, clock = Handle(), Clock()
    monkeypatch.setattr(progress, "_display_handle", lambda: handle)
    with StageLine(clock=clock) as stage:
        clock.now += 5
        stage("compatibility: fitting")
        clock.now += 74
        stage("out of sample: older learners")
        clock.now += 0.4
    assert handle.shown == [
        "compatibility: fitting, 0:00:05 elapsed",
        "out of sample: older learners, 0:01:19 elapsed",
        "done in 0:01:19, after 2 stages",
    ]


def test_work_that_fails_leaves_the_stage_it_failed_in(monkeypatch: pytest.MonkeyPatch) -> None:
    handle = Handle()
    monkeypatch.setattr(progress, "_display_handle", lambda: handle)
    with pytest.raises(RuntimeError), StageLine(clock=Clock()) as stage:
        stage("engagement: fitting")
        raise RuntimeError("stopped")
    assert handle.shown == ["engagement: fitting, 0:00:00 elapsed"]


def test_one_stage_is_not_called_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    handle = Handle()
    monkeypatch.setattr(progress, "_display_handle", lambda: handle)
    with StageLine(clock=Clock()) as stage:
        stage("the one")
    assert handle.shown[-1] == "done in 0:00:00, after 1 stage"


def test_outside_ipython_neither_line_draws(capsys: pytest.CaptureFixture[str]) -> None:
    line, stages = ProgressLine("tutor pools"), StageLine()
    line(1, 2)
    with stages:
        stages("a stage")
    assert line.handle is None and stages.handle is None
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0, "0:00:00"),
        (59 * 60 + 59, "0:59:59"),
        (3 * 3_600 + 4 * 60 + 5, "3:04:05"),  # hours, then the minutes past the hour
        (100 * 3_600, "100:00:00"),  # hours are not wrapped into days
    ],
)
def test_a_time_reads_hours_minutes_and_seconds(seconds: float, shown: str) -> None:
    assert progress.clock_text(seconds) == shown


def test_a_line_of_no_units_says_so_without_dividing_by_zero() -> None:
    """A grid with nothing left to run, or no tutor pools asked for, has nothing to do: it read
    "0 of 0 tutor pools (0%)", as work not begun, beside an empty bar."""
    line = ProgressLine("tutor pools", clock=Clock())
    line(0, 0)
    bundle = line.bundle(0, 0, now=100.0)
    assert bundle["text/plain"] == "no tutor pools to do, 0:00:00 elapsed"
    assert bundle["text/html"] == "<div>no tutor pools to do, 0:00:00 elapsed</div>"


def test_the_bar_is_filled_to_the_units_done_of_the_total() -> None:
    line = ProgressLine("tutor pools", clock=Clock())
    line(0, 5)
    html = line.bundle(3, 5, now=140.0)["text/html"]
    # three pools in 40 s: the two left take 27 s (26.7 rounded)
    assert html == (
        '<div><progress value="3" max="5" style="width: 16em"></progress> '
        "3 of 5 tutor pools (60%), 0:00:40 elapsed, 0:00:27 left</div>"
    )


def test_work_of_no_stages_is_done_after_0_stages(monkeypatch: pytest.MonkeyPatch) -> None:
    handle, clock = Handle(), Clock()
    monkeypatch.setattr(progress, "_display_handle", lambda: handle)
    with StageLine(clock=clock):
        clock.now += 5
    assert handle.shown == ["done in 0:00:05, after 0 stages"]


def test_the_line_drawn_at_each_report_reckons_from_the_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The time elapsed and left run from the first report, not the one before: 1 pool in 30 s,
    then 3 in 90 s, leave 90 s and then 30 s."""
    handle, clock = Handle(), Clock()
    monkeypatch.setattr(progress, "_display_handle", lambda: handle)
    line = ProgressLine("tutor pools", clock=clock)
    for done, now in ((0, 100.0), (1, 130.0), (3, 190.0)):
        clock.now = now
        line(done, 4)
    assert handle.shown == [
        "0 of 4 tutor pools (0%), 0:00:00 elapsed",
        "1 of 4 tutor pools (25%), 0:00:30 elapsed, 0:01:30 left",
        "3 of 4 tutor pools (75%), 0:01:30 elapsed, 0:00:30 left",
    ]
