"""The environments' options, actions and reset options, checked where they are given and
named when wrong.

A value of the wrong kind used to pass or fail far from its name: `episode_length=2.5` ran
episodes of 2 steps, `max_steps=inf` ended in an `OverflowError` from `int()`, `pool_seed=-1` in
numpy's "expected non-negative integer" twelve frames down, a NaN reward weight made every reward
NaN, an action of 1.7 was taken as 1, and `reset(options=...)` ignored whatever it was given.
Each check here raises one `ValueError` naming the option and the value, which is also what the
params check (`aura.rl.config.environments.check_env_builds`) reports.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

MAX_EPISODE_STEPS = 1_000_000
"""The most steps an episode may have (tutor matching's `episode_length`, difficulty's
`max_steps`). Each episode's random draws are made whole at its reset, so that no action changes
the noise: a few hundred bytes a step, about 200 MB at this bound, where 10**10 steps stopped in
numpy's MemoryError for 74.5 GiB, which named no option."""


def whole(name: str, value: Any, *, least: int = 1, most: int | None = None) -> int:
    """An integer of at least ``least`` and at most ``most`` (``True`` and ``2.5`` are refused,
    numpy's integers taken)."""
    integer = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    if not (integer and value >= least and (most is None or value <= most)):
        kind = "a positive integer" if least == 1 else f"an integer >= {least}"
        if most is not None:
            kind += f" of at most {most:,}"
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


def csv_path(name: str, value: Any) -> str | Path | None:
    """None or a CSV's path, a str or a path object: anything else (a number, True, a list of
    paths, bytes) failed in `pathlib` with "expected str, bytes or os.PathLike object, not int",
    which named neither the option nor the value, in the environment and in the params check."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, os.PathLike) and isinstance(os.fspath(value), str):
        return Path(value)
    raise ValueError(f"{name} must be a CSV file's path, got {value!r}")


def flag(name: str, value: Any) -> bool:
    """True or false (numpy's booleans taken)."""
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return bool(value)


class RenderModeError(ValueError, TypeError):
    """A render mode the environment does not have. Also a TypeError, because SB3's
    `make_vec_env`, given an id, asks for ``render_mode="rgb_array"`` and makes the environment
    without it only on a TypeError (what any render mode raised before the environments
    rendered): without that, ``make_vec_env("aura/TutorMatching-v0")`` would fail."""


def can_render(render_mode: str | None, learner: Any) -> bool:
    """Whether `render()` has an episode to describe in text: without a render mode it warns and
    renders nothing, as gymnasium's own environments do; before the first `reset()` (no
    ``learner`` yet) there is nothing to describe, which is the caller's error."""
    if render_mode is None:
        gym.logger.warn("render() needs a render mode: gymnasium.make(id, render_mode='ansi')")
        return False
    if learner is None:
        raise RuntimeError("call reset() before render()")
    return True


def known_render_mode(value: Any, modes: Sequence[str]) -> str | None:
    """None or one of the environment's render modes: an unknown mode would otherwise only show
    when `render()` is first called, if gymnasium's warning at `make` went unread."""
    if value is not None and not (isinstance(value, str) and value in modes):
        allowed = ", ".join(repr(m) for m in modes)
        raise RenderModeError(f"render_mode must be None or one of {allowed}, got {value!r}")
    return value


def no_reset_options(options: Any) -> None:
    """Refuse any reset option: the environments know none, and one meant to choose the episode
    (a learner, a pool) would otherwise be ignored and the episode drawn as if it were absent.
    None and an empty dict (gymnasium's env checker passes one) are taken."""
    if options is None or (isinstance(options, Mapping) and not options):
        return
    if isinstance(options, Mapping):
        unknown = ", ".join(repr(key) for key in options)
        raise ValueError(f"reset takes no options; unknown option keys: {unknown}")
    raise ValueError(f"reset options must be None or an empty dict, got {options!r}")


def discrete_action(action: Any, n: int, allowed: str) -> int:
    """The index 0..n-1 an action stands for, or a `ValueError` naming it (``allowed`` says which
    indices mean what).

    Taken: a Python or numpy integer and an integer array of shape () (SB3's `predict` for one
    observation), which is what `Discrete(n).contains` takes but for booleans, and an integer
    array of shape (1,) (`predict` for a batch of one). `int(action)` took 1.7, "1" and True as 1,
    so a policy emitting the wrong kind of value ran on as if it were right, and it refused the
    batch of one with numpy's TypeError."""
    array = isinstance(action, np.ndarray)
    integer = (
        np.issubdtype(action.dtype, np.integer) and action.shape in ((), (1,))
        if array
        else isinstance(action, int | np.integer) and not isinstance(action, bool)
    )
    if not integer:
        raise ValueError(
            f"action must be {allowed}: a Python or numpy integer, or an integer array of shape "
            f"() or (1,); got {action!r}"
        )
    index = int(action.item()) if array else int(action)
    if not 0 <= index < n:
        raise ValueError(f"action must be {allowed}, got {index}")
    return index
