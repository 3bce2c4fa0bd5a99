"""The tutor pool as exported for serving: the observed tutor attributes the matching strategies
and the compatibility model read, as a small column-oriented JSON file.

`TutorPool` has the attribute names of `aura.sim.population.Tutors` that
`aura.sim.matching` reads (ratings, listed expertise, styles, languages, availability), so the
service ranks tutors with the very code that picked them in the simulator, without the hidden
quality fields it never sees. Reading needs only json and numpy.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

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


class PoolFile(BaseModel):
    """The pool file as `pool_columns` writes it: one value per tutor in each column, at least
    one tutor, each tutor id once. Strict, so a string is not read as a number nor a null as
    NaN, and a number must be finite: each column is checked to hold one value per tutor (numpy
    would have built the arrays of the wrong length without a word). A NaN rating was served as
    a pool in which no tutor ranks (every learner answered with no tutors), a pool without
    tutors answered one-record tutor-match requests with a 500, and an id given twice named two
    tutors alike in one answer."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    tutor_id: list[int]
    years_experience: list[float]
    rating: list[float]
    communication_rating: list[float]
    teaching_style: list[str]
    language: list[str]
    subjects: list[list[str]]
    availability: list[list[str]]
    expertise: dict[str, list[float]]

    @model_validator(mode="after")
    def _tutors_each_once(self) -> PoolFile:
        if not self.tutor_id:
            raise ValueError("it holds no tutors")
        twice = sorted(t for t, n in Counter(self.tutor_id).items() if n > 1)
        if twice:
            raise ValueError(f"column 'tutor_id' gives {twice} more than once")
        return self

    @model_validator(mode="after")
    def _one_value_per_tutor(self) -> PoolFile:
        m = len(self.tutor_id)
        columns = {
            name: getattr(self, name) for name in type(self).model_fields if name != "expertise"
        }
        columns |= {f"expertise.{s}": values for s, values in self.expertise.items()}
        for column, values in columns.items():
            if len(values) != m:
                raise ValueError(f"column {column!r} has {len(values)} values, not {m}")
        return self


def _read_pool(path: Path) -> PoolFile:
    """The pool file validated, or a ValueError naming its first fault by column, as a
    missing or mistyped column raised a bare KeyError or TypeError that named neither."""
    try:
        return PoolFile.model_validate_json(Path(path).read_bytes())
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        names = ".".join(str(part) for part in first["loc"] if isinstance(part, str))
        places = [part for part in first["loc"] if isinstance(part, int)]
        where = f"column {names!r}" if names else "file"
        where += f", value at index {places[0]}" if places else ""
        what = str(first["ctx"]["error"]) if first["type"] == "value_error" else first["msg"]
        more = exc.error_count() - 1
        raise ValueError(
            f"tutor pool {where}: {what}" + (f" (and {more} more)" if more else "")
        ) from None


def load_pool(
    path: Path,
    *,
    subjects: list[str],
    time_slots: list[str],
    styles: list[str],
    languages: list[str],
) -> TutorPool:
    """Read a pool file, encoding categories with the manifest's vocabularies. Content that is
    not a pool (no JSON, a missing column, a column of the wrong type or length) is a ValueError
    naming the column (`PoolFile`)."""
    pool = _read_pool(path)
    absent = [s for s in subjects if s not in pool.expertise]
    if absent:
        raise ValueError(f"tutor pool column 'expertise' has no subject(s) {absent}")
    return TutorPool(
        tutor_id=np.asarray(pool.tutor_id, dtype=np.int64),
        years_experience=np.asarray(pool.years_experience, dtype=np.float64),
        rating=np.asarray(pool.rating, dtype=np.float64),
        communication_rating=np.asarray(pool.communication_rating, dtype=np.float64),
        teaching_style=_index(pool.teaching_style, styles, "teaching_style"),
        language=_index(pool.language, languages, "language"),
        teaches=_mask(pool.subjects, subjects, "subjects"),
        available=_mask(pool.availability, time_slots, "availability"),
        expertise_observed=np.column_stack(
            [np.asarray(pool.expertise[s], dtype=np.float64) for s in subjects]
        ),
    )
