"""The environments' options, checked where they are given and named when wrong.

A value of the wrong kind used to pass or fail far from its name: `episode_length=2.5` ran
episodes of 2 steps, `max_steps=inf` ended in an `OverflowError` from `int()`, `pool_seed=-1` in
numpy's "expected non-negative integer" twelve frames down, and a NaN reward weight made every
reward NaN. Each check here raises one `ValueError` naming the option and the value, which is
also what the params check (`aura.rl.config.check_env_builds`) reports.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def whole(name: str, value: Any, *, least: int = 1) -> int:
    """An integer of at least ``least`` (``True`` and ``2.5`` are refused, numpy's integers
    taken)."""
    integer = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    if not (integer and value >= least):
        kind = "a positive integer" if least == 1 else f"an integer >= {least}"
        raise ValueError(f"{name} must be {kind}, got {value!r}")
    return int(value)


def finite(name: str, value: Any) -> float:
    """A finite real number."""
    if (
        isinstance(value, bool | np.bool_)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(value)
    ):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def flag(name: str, value: Any) -> bool:
    """True or false (numpy's booleans taken)."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return bool(value)
