"""Rebuild simulator populations from the CSV tables (and, when available, the hidden truth).

The environments and the off-policy evaluation run the simulator on a dataset's own tutors and
learners. With the truth files (synthetic data) the hidden fields are exact; with a platform's
own export they are filled from the observed proxies, as documented on each field.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aura.sim.population import Tutors
from aura.sim.vocab import LANGUAGES, LEARNING_STYLES, LIST_SEPARATOR, SUBJECTS, TIME_SLOTS


def _codes(values: pd.Series, vocab: tuple[str, ...]) -> np.ndarray:
    return pd.Categorical(values, categories=list(vocab)).codes.astype(np.int64)


def _membership(cells: pd.Series, vocab: tuple[str, ...]) -> np.ndarray:
    """(rows, len(vocab)) mask from list-valued cells such as 'math;coding'."""
    sets = [set(str(c).split(LIST_SEPARATOR)) for c in cells]
    return np.array([[v in s for v in vocab] for s in sets], dtype=bool)


def tutors_from_table(tutors: pd.DataFrame, truth: pd.DataFrame | None = None) -> Tutors:
    """A `Tutors` pool from tutors_data.csv rows (ordered as given).

    Without truth, hidden quality is taken as teaching_effectiveness, hidden expertise as the
    listed expertise, communication as (communication_rating - 1) / 4 and adaptability as
    adaptability_score: the best guesses a platform has.
    """
    expertise_observed = tutors[[f"expertise_{s}" for s in SUBJECTS]].to_numpy(dtype=float)
    communication_rating = tutors["communication_rating"].to_numpy(dtype=float)
    adaptability_score = tutors["adaptability_score"].to_numpy(dtype=float)
    effectiveness = tutors["teaching_effectiveness"].to_numpy(dtype=float)
    if truth is None:
        quality, expertise = effectiveness, expertise_observed
        communication, adaptability = (communication_rating - 1.0) / 4.0, adaptability_score
    else:
        hidden = truth.set_index("tutor_id").loc[tutors["tutor_id"]]
        quality = hidden["quality"].to_numpy(dtype=float)
        expertise = hidden[[f"expertise_{s}" for s in SUBJECTS]].to_numpy(dtype=float)
        communication = hidden["communication"].to_numpy(dtype=float)
        adaptability = hidden["adaptability"].to_numpy(dtype=float)
    return Tutors(
        years_experience=tutors["years_experience"].to_numpy(dtype=np.int64),
        teaches=_membership(tutors["subjects"], SUBJECTS),
        available=_membership(tutors["availability"], TIME_SLOTS),
        teaching_style=_codes(tutors["teaching_style"], LEARNING_STYLES),
        language=_codes(tutors["language"], LANGUAGES),
        quality=quality,
        expertise=expertise,
        communication=communication,
        adaptability=adaptability,
        rating=tutors["rating"].to_numpy(dtype=float),
        effectiveness=effectiveness,
        expertise_observed=expertise_observed,
        communication_rating=communication_rating,
        adaptability_score=adaptability_score,
    )
