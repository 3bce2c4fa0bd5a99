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


def load_pool(
    path: Path,
    *,
    subjects: list[str],
    time_slots: list[str],
    styles: list[str],
    languages: list[str],
) -> TutorPool:
    """Read a pool file, encoding categories with the manifest's vocabularies."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    return TutorPool(
        tutor_id=np.asarray(raw["tutor_id"], dtype=np.int64),
        years_experience=np.asarray(raw["years_experience"], dtype=np.float64),
        rating=np.asarray(raw["rating"], dtype=np.float64),
        communication_rating=np.asarray(raw["communication_rating"], dtype=np.float64),
        teaching_style=_index(raw["teaching_style"], styles, "teaching_style"),
        language=_index(raw["language"], languages, "language"),
        teaches=_mask(raw["subjects"], subjects, "subjects"),
        available=_mask(raw["availability"], time_slots, "availability"),
        expertise_observed=np.column_stack(
            [np.asarray(raw["expertise"][s], dtype=np.float64) for s in subjects]
        ),
    )
