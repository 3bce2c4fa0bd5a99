"""Request records built from the manifest, and their conversion to model input matrices.

Each endpoint's record type is a TypedDict created from the manifest's feature list and validated
by pydantic, so ranges, enumerations and field order always match the exported models, and a
renamed or re-ranged feature needs no change here. TypedDicts rather than BaseModels because
pydantic validates a list of them about three times faster (no model instances), which is most
of the cost of a 100,000-record batch. A categorical field is validated against its vocabulary
and stored as its index, so every record converts to a row of numbers in one step; the OpenAPI
document still shows the vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Annotated, Any, Literal, NotRequired

import numpy as np
from pydantic import AfterValidator, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError
from typing_extensions import TypedDict

from aura.export.manifest import Feature, Lookup, MinMax

RECORD_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False)


def _number_only(value: Any) -> Any:
    """Refuse booleans and text where an integer is expected; 12.0 stays an integer, as in
    JSON Schema, and 12.5 is refused by the integer type.

    A whole float is made an integer here, so that one too large for a 64-bit integer (1e20)
    is refused by the field's range like any other; pydantic's integer type refused it with
    "Unable to parse input string as an integer", though no string was sent."""
    if isinstance(value, bool | str):
        # pydantic's own type and message for a value that is no integer, as `null` gets
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


INTEGER = BeforeValidator(_number_only)


def category_type(categories: Sequence[str]) -> Any:
    """An enumeration validated as its name and stored as its index in ``categories``."""
    position = {c: i for i, c in enumerate(categories)}
    return Annotated[Literal[tuple(categories)], AfterValidator(position.__getitem__)]


def _field(feature: Feature) -> Any:
    """Annotated type of one feature: bounded number or enumeration."""
    description = feature.description or None
    if feature.dtype == "category":
        categories = feature.categories or []
        return Annotated[category_type(categories), Field(description=description)]
    bounds = Field(ge=feature.low, le=feature.high, description=description)
    if feature.dtype == "integer":
        return Annotated[int, bounds, INTEGER]
    # Strict: a boolean or a numeric string is not a number (a JSON integer still is).
    return Annotated[float, Field(strict=True), bounds]


def record_type(name: str, features: Sequence[Feature], extra: dict[str, Any] | None = None) -> Any:
    """A TypedDict with one required key per feature (in model input order), plus ``extra``
    keys (wrap a type in ``NotRequired`` to make it optional); unknown keys are refused."""
    fields: dict[str, Any] = {f.name: _field(f) for f in features}
    fields.update(extra or {})
    record = TypedDict(name, fields)  # type: ignore[operator]
    record.__pydantic_config__ = RECORD_CONFIG  # type: ignore[attr-defined]
    return record


def optional(kind: Any) -> Any:
    """An optional key of a record type (absent or null)."""
    return NotRequired[kind | None]


def _seen_range(feature: Feature) -> tuple[float | None, float | None]:
    """The values of a number its model was trained on: its min-max normalisation's range (the
    environment's, for a policy), within the range a request may send, else that range."""
    low, high = feature.low, feature.high
    norm = feature.normalisation
    if isinstance(norm, MinMax):
        low = norm.low if low is None else max(low, norm.low)
        high = norm.high if high is None else min(high, norm.high)
    return low, high


def example_record(features: Sequence[Feature]) -> dict[str, Any]:
    """A valid record for the OpenAPI examples, with values a real request has: the middle of
    the range each number's model saw (`_seen_range`; the middle of what a request may send
    gave tutor-match a session count of 250, where the policy saw 0-12), each vocabulary's
    first."""
    example: dict[str, Any] = {}
    for f in features:
        low, high = _seen_range(f)
        if f.dtype == "category":
            example[f.name] = (f.categories or [""])[0]
        elif low is not None and high is not None:
            mid = (low + high) / 2
            example[f.name] = int(round(mid)) if f.dtype == "integer" else round(mid, 3)
        else:
            example[f.name] = low or 0
    return example


def raw_matrix(records: Sequence[dict[str, Any]], names: Sequence[str]) -> np.ndarray:
    """(records, fields) float64 matrix of the named fields (categories as their index)."""
    getter = itemgetter(*names)
    if len(names) == 1:
        return np.array([[getter(r)] for r in records], dtype=np.float64)
    return np.array([getter(r) for r in records], dtype=np.float64).reshape(len(records), -1)


class Normaliser:
    """The environment's observation normalisation of a feature list, as one affine map, a
    clip and table look-ups (built once, applied to whole batches)."""

    def __init__(self, features: Sequence[Feature]) -> None:
        n = len(features)
        self.scale = np.ones(n)
        self.offset = np.zeros(n)
        self.clipped: list[int] = []
        self.lookups: list[tuple[int, np.ndarray]] = []
        for j, f in enumerate(features):
            norm = f.normalisation
            if isinstance(norm, MinMax):
                self.scale[j] = 1.0 / (norm.high - norm.low)
                self.offset[j] = -norm.low * self.scale[j]
                self.clipped.append(j)
            elif isinstance(norm, Lookup):
                self.lookups.append((j, np.asarray(norm.values, dtype=np.float64)))
        # Per-column bounds, so a batch is clipped in one call (unclipped columns: unbounded).
        self.low = np.full(n, -np.inf)
        self.high = np.full(n, np.inf)
        self.low[self.clipped], self.high[self.clipped] = 0.0, 1.0
        self._scale: list[float] = self.scale.tolist()
        self._offset: list[float] = self.offset.tolist()
        self._lookups = [(j, values.tolist()) for j, values in self.lookups]

    def one(self, raw: list[float]) -> list[float]:
        """`__call__` for one row of Python floats (returned in float64; cast by the caller)."""
        obs = [v * a + b for v, a, b in zip(raw, self._scale, self._offset, strict=True)]
        for j in self.clipped:
            obs[j] = min(max(obs[j], 0.0), 1.0)
        for j, values in self._lookups:
            obs[j] = values[int(raw[j])]
        return obs

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        obs = np.clip(raw * self.scale + self.offset, self.low, self.high)
        for j, values in self.lookups:
            obs[:, j] = values[raw[:, j].astype(np.int64)]
        return obs.astype(np.float32)
