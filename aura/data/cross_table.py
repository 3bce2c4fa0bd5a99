"""Check the three tables against each other, once each is valid on its own.

A session names its learner and tutor by id, and a learner's and a tutor's aggregates (their
session counts, a learner's mean scores) summarise the sessions table: neither can be checked
from one file. `aura.data.loading` runs these once the three tables have loaded without a
problem; the agreement of a session's style and language match with its learner and tutor is
`match_problems` in `aura.data.consistency`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from aura.data.errors import Problem, csv_line
from aura.sim.io import FILES

if TYPE_CHECKING:  # the loader imports these checks: the class is needed for its type alone
    from aura.data.loading import Datasets

AGGREGATE_TOLERANCE = 1e-4
"""Aggregates are means of 4-decimal values rounded to 4 decimals, so they agree to 5e-5."""


def reference_problems(
    sessions: pd.DataFrame, learners: pd.DataFrame, tutors: pd.DataFrame, sessions_path: Path
) -> list[Problem]:
    """Sessions whose learner_id or tutor_id is not in the learners or tutors table."""
    problems = []
    for column, table, other in (
        ("learner_id", learners, FILES["learners"]),
        ("tutor_id", tutors, FILES["tutors"]),
    ):
        unknown = ~sessions[column].isin(table[column])
        if unknown.any():
            problems.append(
                Problem(
                    sessions_path,
                    f"unknown {column} (not in {other})",
                    column=column,
                    lines=tuple(csv_line(i) for i in sessions.index[unknown]),
                    values=tuple(int(v) for v in sessions.loc[unknown, column]),
                )
            )
    return problems


def _mismatch(
    path: Path, table: pd.DataFrame, column: str, expected: pd.Series, what: str
) -> list[Problem]:
    """Rows whose `column` differs from `expected` by more than the tolerance. A missing
    expected value (the mean of a learner without sessions, whose count of 0 the loader takes)
    is nothing to match: such a learner's scores were refused whatever they held."""
    recorded = table[column].astype(float).to_numpy()
    expected_values = expected.to_numpy(dtype=float)
    differs = ~(np.abs(recorded - expected_values) <= AGGREGATE_TOLERANCE)
    bad = differs & ~np.isnan(expected_values)
    if not bad.any():
        return []
    return [
        Problem(
            path,
            f"does not match {what} in {FILES['sessions']} (tolerance {AGGREGATE_TOLERANCE:g})",
            column=column,
            lines=tuple(csv_line(i) for i in table.index[bad]),
            values=tuple(table[column].to_numpy()[bad].tolist()),
        )
    ]


def aggregate_problems(data: Datasets) -> list[Problem]:
    """Learner and tutor aggregates that disagree with the sessions table.

    A platform's learner table may count sessions that its sessions export leaves out, so this
    is a check to ask for (`check_aggregates=True`), not a requirement; simulated data passes it.
    """
    sessions, learners, tutors = data.sessions, data.learners, data.tutors
    lpath, tpath = data.folder / FILES["learners"], data.folder / FILES["tutors"]
    by_learner = sessions.groupby("learner_id")
    ids = learners["learner_id"]
    problems = _mismatch(
        lpath,
        learners,
        "session_count",
        by_learner.size().reindex(ids, fill_value=0),
        "the learner's number of sessions",
    )
    for column, source in (
        ("engagement_score", "engagement_score"),
        ("success_rate", "exercise_success_rate"),
        ("learning_progress_score", "learning_outcome_score"),
    ):
        problems += _mismatch(
            lpath,
            learners,
            column,
            by_learner[source].mean().reindex(ids),
            f"the mean {source} of the learner's sessions",
        )
    problems += _mismatch(
        tpath,
        tutors,
        "total_sessions",
        sessions.groupby("tutor_id").size().reindex(tutors["tutor_id"], fill_value=0),
        "the tutor's number of sessions",
    )
    return problems
