"""The host-speed figure recorded beside wall times (aura.reports.host)."""

from __future__ import annotations

import pytest

from aura.reports import host


def test_host_speed_is_the_median_of_its_repeats(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([0.0, 1.0, 10.0, 15.0, 20.0, 20.5])  # three runs of 1.0, 5.0 and 0.5 s
    monkeypatch.setattr(host.time, "perf_counter", lambda: next(ticks))
    monkeypatch.setattr(host, "_workload", lambda n: 0.0)
    assert host.host_speed(repeats=3) == 1.0


def test_host_speed_times_the_whole_loop_each_repeat(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every repeat runs the fixed loop in full: a figure from fewer iterations would make a
    host look faster than the record's others."""
    calls: list[int] = []
    monkeypatch.setattr(host, "_workload", lambda n: calls.append(n) or 0.0)
    host.host_speed(repeats=3)
    assert calls == [host.HOST_SPEED_LOOPS] * 3
    monkeypatch.undo()
    assert host.host_speed(repeats=1) > 0


def test_host_speed_refuses_no_repeats() -> None:
    with pytest.raises(ValueError, match="repeats must be a positive integer"):
        host.host_speed(repeats=0)
