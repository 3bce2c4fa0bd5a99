"""Request records built from the manifest, and their conversion to model input matrices.

Each endpoint's record type is a pydantic model created from the manifest's feature list, so
ranges, enumerations and field order always match the exported models, and a renamed or
re-ranged feature needs no change here. Conversion to numpy is column by column, which keeps a
100,000-record batch to a handful of vectorised steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, create_model

from aura.export.manifest import Feature, Lookup, MinMax

RECORD_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False)


def _field(feature: Feature) -> tuple[Any, Any]:
    """(type, FieldInfo) of one feature: bounded number or enumeration."""
    description = feature.description or None
    if feature.dtype == "category":
        choices = tuple(feature.categories or ())
        return Literal[choices], Field(description=description, examples=[choices[0]])
    kind = int if feature.dtype == "integer" else float
    low, high = feature.low, feature.high
    example = (
        low if low is not None and high is None else (low + high) / 2 if low is not None else 0
    )
    if kind is int:
        example = int(round(example))
    return kind, Field(ge=low, le=high, description=description, examples=[example])


def record_model(
    name: str, features: Sequence[Feature], extra: dict[str, tuple[Any, Any]] | None = None
) -> type[BaseModel]:
    """A pydantic model with one required field per feature (in model input order)."""
    fields = {f.name: _field(f) for f in features}
    fields.update(extra or {})
    return create_model(name, __config__=RECORD_CONFIG, **fields)


def example_record(features: Sequence[Feature]) -> dict[str, Any]:
    """A valid record for the OpenAPI examples: each range's middle, each vocabulary's first."""
    example: dict[str, Any] = {}
    for f in features:
        if f.dtype == "category":
            example[f.name] = (f.categories or [""])[0]
        elif f.low is not None and f.high is not None:
            mid = (f.low + f.high) / 2
            example[f.name] = int(round(mid)) if f.dtype == "integer" else round(mid, 3)
        else:
            example[f.name] = f.low or 0
    return example


def category_codes(records: Sequence[BaseModel], name: str, vocab: Sequence[str]) -> np.ndarray:
    """Vocabulary index of a categorical field for every record."""
    position = {v: i for i, v in enumerate(vocab)}
    return np.fromiter((position[getattr(r, name)] for r in records), np.int64, len(records))


def raw_matrix(records: Sequence[BaseModel], features: Sequence[Feature]) -> np.ndarray:
    """(records, features) float64 matrix; categorical features become their vocabulary index."""
    out = np.empty((len(records), len(features)), dtype=np.float64)
    for j, f in enumerate(features):
        if f.dtype == "category":
            out[:, j] = category_codes(records, f.name, f.categories or [])
        else:
            out[:, j] = np.fromiter((getattr(r, f.name) for r in records), np.float64, len(records))
    return out


def normalise(raw: np.ndarray, features: Sequence[Feature]) -> np.ndarray:
    """Apply each feature's observation normalisation (the environment's) to a raw matrix."""
    out = np.empty(raw.shape, dtype=np.float32)
    for j, f in enumerate(features):
        norm = f.normalisation
        if isinstance(norm, MinMax):
            out[:, j] = np.clip((raw[:, j] - norm.low) / (norm.high - norm.low), 0.0, 1.0)
        elif isinstance(norm, Lookup):
            out[:, j] = np.asarray(norm.values, dtype=np.float64)[raw[:, j].astype(np.int64)]
        else:
            out[:, j] = raw[:, j]
    return out
