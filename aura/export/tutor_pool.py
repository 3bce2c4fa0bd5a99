"""The tutor pool as exported for serving: the observed tutor attributes the matching strategies
and the compatibility model read, as a small column-oriented JSON file.

`TutorPool` has the attribute names of `aura.sim.population.Tutors` that
`aura.sim.matching` reads (ratings, listed expertise, styles, languages, availability), so the
service ranks tutors with the very code that picked them in the simulator, without the hidden
quality fields it never sees. Reading needs only json and numpy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

POOL_FILE = "tutor_pool.json"


@dataclass(frozen=True)
class TutorPool:
    """Observed attributes of m tutors; categorical columns hold vocabulary indices."""

    tutor_id: np.ndarray
    years_experience: np.ndarray
    rating: np.ndarray
    communication_rating: np.ndarray
    teaching_style: np.ndarray
    language: np.ndarray
    teaches: np.ndarray
    available: np.ndarray
    expertise_observed: np.ndarray

    def __len__(self) -> int:
        return len(self.rating)


def _index(values: list[str], vocab: list[str], column: str) -> np.ndarray:
    unknown = sorted(set(values) - set(vocab))
    if unknown:
        raise ValueError(f"tutor pool column {column!r} has unknown values {unknown}")
    position = {v: i for i, v in enumerate(vocab)}
    return np.array([position[v] for v in values], dtype=np.int64)


def _mask(lists: list[list[str]], vocab: list[str], column: str) -> np.ndarray:
    out = np.zeros((len(lists), len(vocab)), dtype=bool)
    for row, items in enumerate(lists):
        out[row, _index(items, vocab, column)] = True
    return out


def pool_columns(tutors: pd.DataFrame, subjects: list[str], separator: str) -> dict[str, Any]:
    """The pool file's content from a validated tutors table (as `aura.data` loads it)."""

    def split(column: str) -> list[list[str]]:
        return [[s for s in str(cell).split(separator) if s] for cell in tutors[column]]

    return {
        "tutor_id": tutors["tutor_id"].astype(int).tolist(),
        "years_experience": tutors["years_experience"].astype(float).tolist(),
        "rating": tutors["rating"].astype(float).tolist(),
        "communication_rating": tutors["communication_rating"].astype(float).tolist(),
        "teaching_style": tutors["teaching_style"].astype(str).tolist(),
        "language": tutors["language"].astype(str).tolist(),
        "subjects": split("subjects"),
        "availability": split("availability"),
        "expertise": {s: tutors[f"expertise_{s}"].astype(float).tolist() for s in subjects},
    }


def _column(
    raw: dict[str, Any], key: str, length: int | None = None, *, column: str | None = None
) -> list[Any]:
    """``raw[key]``, a list of ``length`` values if given, named ``column`` (by default the key)
    when it is not. A missing or mistyped column raised a bare KeyError or TypeError, which named
    neither the file nor the column."""
    column = column or key
    if key not in raw:
        raise ValueError(f"tutor pool has no column {column!r}")
    values = raw[key]
    if not isinstance(values, list):
        raise ValueError(f"tutor pool column {column!r} is a {type(values).__name__}, not a list")
    if length is not None and len(values) != length:
        raise ValueError(f"tutor pool column {column!r} has {len(values)} values, not {length}")
    return values


def _numbers(values: list[Any], column: str, dtype: type) -> np.ndarray:
    """A column of numbers, one per tutor: numpy would read strings as numbers and nulls as
    NaN without a word, so any value that is no JSON number is named."""
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        raise ValueError(f"tutor pool column {column!r} holds values that are not numbers")
    return np.asarray(values, dtype=dtype)


def _names(values: list[Any], column: str) -> list[str]:
    """A column's vocabulary names, checked to be strings before they are looked up."""
    if not all(isinstance(v, str) for v in values):
        raise ValueError(f"tutor pool column {column!r} holds values that are not strings")
    return values


def load_pool(
    path: Path,
    *,
    subjects: list[str],
    time_slots: list[str],
    styles: list[str],
    languages: list[str],
) -> TutorPool:
    """Read a pool file, encoding categories with the manifest's vocabularies. Content that is
    not a pool (a missing column, a column of the wrong type or length) is a ValueError naming
    the column, as the file's JSON syntax errors are."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"tutor pool is a JSON {type(raw).__name__}, not an object")
    m = len(_column(raw, "tutor_id"))

    def numbers(column: str, dtype: type) -> np.ndarray:
        return _numbers(_column(raw, column, m), column, dtype)

    def lists(column: str) -> list[list[str]]:
        values = _column(raw, column, m)
        if not all(isinstance(v, list) for v in values):
            raise ValueError(f"tutor pool column {column!r} holds values that are not lists")
        return [_names(v, column) for v in values]

    expertise = raw.get("expertise")
    if not isinstance(expertise, dict):
        raise ValueError("tutor pool column 'expertise' is missing or not an object by subject")
    absent = [s for s in subjects if s not in expertise]
    if absent:
        raise ValueError(f"tutor pool column 'expertise' has no subject(s) {absent}")
    return TutorPool(
        tutor_id=numbers("tutor_id", np.int64),
        years_experience=numbers("years_experience", np.float64),
        rating=numbers("rating", np.float64),
        communication_rating=numbers("communication_rating", np.float64),
        teaching_style=_index(
            _names(_column(raw, "teaching_style", m), "teaching_style"), styles, "teaching_style"
        ),
        language=_index(_names(_column(raw, "language", m), "language"), languages, "language"),
        teaches=_mask(lists("subjects"), subjects, "subjects"),
        available=_mask(lists("availability"), time_slots, "availability"),
        expertise_observed=np.column_stack(
            [
                _numbers(
                    _column(expertise, s, m, column=f"expertise.{s}"), f"expertise.{s}", np.float64
                )
                for s in subjects
            ]
        ),
    )
