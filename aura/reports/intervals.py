"""Confidence intervals on an axis that keeps its scale when some interval is very wide."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def cut_intervals(
    ax: Any,
    x: Sequence[Any],
    mean: Sequence[float],
    low: Sequence[float],
    high: Sequence[float],
    *,
    bottom: float,
    top: float,
    fmt: str = "o",
    **errorbar: Any,
) -> None:
    """Points with their intervals, each end cut at ``bottom``/``top`` and its value written at
    the edge. Two seeds at smoke scale give t(0.975, 1) = 12.7: plotted whole, such an interval
    would squeeze every score of the panel into a line. ``fmt`` is the points' marker: series
    drawn side by side take one each (`aura.reports.figures.SERIES_MARKERS`)."""
    lows = [max(lo, bottom) for lo in low]
    highs = [min(hi, top) for hi in high]
    ax.errorbar(
        x,
        mean,
        yerr=[
            [m - lo for m, lo in zip(mean, lows, strict=True)],
            [hi - m for m, hi in zip(mean, highs, strict=True)],
        ],
        fmt=fmt,
        capsize=4,
        **errorbar,
    )
    for at, lo, hi in zip(x, low, high, strict=True):
        for end, edge, below in ((hi, top, -12), (lo, bottom, 4)):
            if not bottom <= end <= top:
                ax.annotate(
                    f"to {end:.2f}",
                    (at, edge),
                    xytext=(6, below),
                    textcoords="offset points",
                    fontsize=9,
                )
