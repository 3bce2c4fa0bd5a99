"""The grid's step count across processes: what each run adds to the shared counter, what
`StepProgress` reports from it, and the times the notebook's line prints, worked by hand.
(tests/integration/test_notebook_progress.py draws the line in a kernel.)"""

from __future__ import annotations

import multiprocessing
from types import SimpleNamespace

import pytest

import aura.rl.progress as progress
from aura.reports.progress import ProgressLine
from aura.rl.progress import ADD_EVERY, StepCounter, StepProgress


def shared() -> object:
    return multiprocessing.get_context("spawn").Value("q", 0)


def start(counter: object, kept: int) -> tuple[StepCounter, SimpleNamespace]:
    """A StepCounter on a model that resumes from ``kept`` steps, as SB3 starts it."""
    model = SimpleNamespace(num_timesteps=kept)
    callback = StepCounter(counter)
    callback.model = model
    callback.on_training_start({}, {})
    return callback, model


def steps(callback: StepCounter, model: SimpleNamespace, n: int, n_envs: int = 8) -> None:
    for _ in range(n):
        model.num_timesteps += n_envs
        callback.on_step()


def test_a_run_adds_the_steps_it_trains_every_add_every_and_at_its_end() -> None:
    """A run resumed from 1,000 steps adds nothing of those: its 8-step vector steps reach
    ADD_EVERY (2,048) on the 256th, when they are added at once, and the rest at its end."""
    counter = shared()
    callback, model = start(counter, kept=1_000)
    steps(callback, model, ADD_EVERY // 8 - 1)
    assert counter.value == 0  # 2,040 steps counted locally, none added yet
    steps(callback, model, 1)
    assert counter.value == ADD_EVERY
    steps(callback, model, 3)
    callback.on_training_end()
    assert counter.value == ADD_EVERY + 24
    assert model.num_timesteps == 1_000 + ADD_EVERY + 24


def test_runs_in_two_workers_add_to_one_count() -> None:
    counter = shared()
    for kept in (0, 500):
        callback, model = start(counter, kept)
        steps(callback, model, 10, n_envs=4)
        callback.on_training_end()
    assert counter.value == 80


def test_the_count_reported_starts_at_the_steps_kept_and_stops_at_the_total(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(progress, "REPORT_SECONDS", 60.0)  # no report from the thread here
    reports: list[tuple[int, int]] = []
    before = progress.installed()
    with StepProgress(1_000, before=300, on_progress=lambda *r: reports.append(r)) as grid:
        assert progress.installed() is grid.counter
        grid.counter.value += 500
    assert reports == [(300, 1_000), (800, 1_000)]
    assert progress.installed() is before

    reports.clear()
    with StepProgress(1_000, before=300, on_progress=lambda *r: reports.append(r)) as grid:
        grid.counter.value += 760  # a run ends its last rollout past the budget
    assert reports == [(300, 1_000), (1_000, 1_000)]


def test_a_grid_stopped_by_an_error_makes_no_last_report(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "REPORT_SECONDS", 60.0)
    reports: list[tuple[int, int]] = []
    with pytest.raises(RuntimeError), StepProgress(10, on_progress=lambda *r: reports.append(r)):
        raise RuntimeError("stopped")
    assert reports == [(0, 10)]


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(59.6, "0:01:00"), (59.4, "0:00:59"), (3_725.0, "1:02:05"), (36_000.0, "10:00:00")],
)
def test_times_are_rounded_to_the_second_as_hours_minutes_and_seconds(
    seconds: float, shown: str
) -> None:
    line = ProgressLine(clock=lambda: 0.0)
    line(0, 100)
    assert line.bundle(100, 100, now=seconds)["text/plain"].endswith(f"{shown} elapsed")
