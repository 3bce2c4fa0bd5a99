"""The value checks every block of the RL configuration shares: its keys known, integers that
are integers, values in range, numbers that are numbers; each error names the key at fault."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from aura.rl.config import ConfigError


def check_keys(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    """Refuse a non-mapping or a key outside `allowed`, naming its place (`where`): a misspelt
    key would otherwise be ignored and its default used without a word."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{where} must be a mapping, got {type(data).__name__}")
    unknown = sorted(str(key) for key in set(data) - allowed)  # YAML keys may be numbers
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; expected some of "
            f"{', '.join(sorted(allowed))}"
        )


def _looks_like_a_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _integer(value: Any, where: str) -> int:
    """`value` if it is an integer; booleans are refused, though Python counts them as integers."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where} must be an integer, got {value!r}")
    return value


def positive_int(value: Any, where: str) -> int:
    """`value` if it is an integer above 0, else a ConfigError naming `where`."""
    if _integer(value, where) <= 0:
        raise ConfigError(f"{where} must be > 0, got {value}")
    return value


def non_negative_int(value: Any, where: str) -> int:
    """`value` if it is an integer of 0 or more (a count that may be empty, a seed), else a
    ConfigError naming `where`."""
    if _integer(value, where) < 0:
        raise ConfigError(f"{where} must be >= 0, got {value}")
    return value


def in_range(
    value: float, where: str, low: float, high: float = math.inf, *, low_open: bool = False
) -> None:
    """Refuse `value` outside [low, high] (or (low, high] with `low_open`), naming `where`: a
    value out of an algorithm's range (a negative clip range, a lambda above 1) trained without
    an error on a meaningless update."""
    if value < low or (low_open and value == low) or value > high:
        bounds = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high == math.inf else ']'}"
        raise ConfigError(f"{where} must be in {bounds}, got {value}")


def from_fields(cls: type, data: Mapping[str, Any] | None, where: str) -> Any:
    """Build a dataclass from a mapping, rejecting unknown keys, non-numeric or non-finite
    numbers and non-boolean switches."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    check_keys(data or {}, set(fields), where)
    data = dict(data or {})
    for name, value in data.items():
        default = getattr(cls, name, None)
        numeric = isinstance(default, int | float) and not isinstance(default, bool)
        if numeric and (isinstance(value, bool) or not isinstance(value, int | float)):
            hint = (
                " (YAML reads 1e-3 as text: write 1.0e-3)"
                if isinstance(value, str) and _looks_like_a_number(value)
                else ""
            )
            raise ConfigError(f"{where}.{name} must be a number, got {value!r}{hint}")
        if numeric and not math.isfinite(value):  # NaN filled the networks with NaN
            raise ConfigError(f"{where}.{name} must be a finite number, got {value}")
        if isinstance(default, bool) and not isinstance(value, bool):
            raise ConfigError(f"{where}.{name} must be true or false, got {value!r}")
        if name == "net_arch":
            if not isinstance(value, list | tuple):
                raise ConfigError(
                    f"{where}.net_arch must be a list of layer sizes, e.g. [64, 64], got {value!r}"
                )
            data[name] = tuple(positive_int(v, f"{where}.net_arch[]") for v in value)
    obj = cls(**data)
    obj.validate(where)
    return obj
