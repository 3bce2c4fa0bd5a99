"""Relations between columns that the data dictionary (docs/data.md) defines, checked on tables
whose columns are each valid on their own.

The schemas check each cell; these check what the dictionary says one column means in terms of
others: a tutor's `expertise_<subject>` is 0 if the subject is not in its `subjects`, a session's
`session_index` is its position in the learner's history (so no two of a learner's sessions share
one, and, `session_id` being in time order, a learner's later session has the higher one), and a
session's `style_match` and `language_match` say whether its tutor teaches in its
learner's `learning_style` and shares the learner's `language`. A row against them contradicts
itself or another table, and the models would learn from it what the environments and the API,
which compute the same relations from the learner and tutor columns, never show them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from aura.data.errors import Problem, csv_line
from aura.data.schemas import TableName
from aura.sim.io import FILES
from aura.sim.vocab import LIST_SEPARATOR, SUBJECTS


def _problem(path: Path, table: pd.DataFrame, column: str, bad: np.ndarray, what: str) -> Problem:
    """The rows `bad` of `column`, by CSV line, with their values."""
    return Problem(
        path,
        what,
        column=column,
        lines=tuple(csv_line(i) for i in table.index[bad]),
        values=tuple(table[column].to_numpy()[bad].tolist()),
    )


def _untaught_expertise(path: Path, tutors: pd.DataFrame) -> list[Problem]:
    """Expertise listed for a subject the tutor does not teach: the dictionary makes it 0, and
    a matching strategy or a model reading it would credit the tutor with a subject it does not
    list."""
    taught = tutors["subjects"].astype(str).str.split(LIST_SEPARATOR)
    problems = []
    for subject in SUBJECTS:
        column = f"expertise_{subject}"
        teaches = np.fromiter((subject in items for items in taught), bool, len(tutors))
        bad = ~teaches & (tutors[column].to_numpy(dtype=float) != 0)
        if bad.any():
            what = (
                f"expertise above 0 for a subject the tutor does not teach ({subject} is not in "
                "its subjects; the column is 0 if not taught)"
            )
            problems.append(_problem(path, tutors, column, bad, what))
    return problems


def _repeated_session_index(path: Path, sessions: pd.DataFrame) -> list[Problem]:
    """Sessions of one learner at the same position in its history: which came first is
    unknown, and the analyses that order a learner's sessions by it order them arbitrarily.
    Gaps are allowed (an export may leave sessions out)."""
    if "session_index" not in sessions:
        return []
    bad = sessions.duplicated(["learner_id", "session_index"], keep=False).to_numpy()
    if not bad.any():
        return []
    what = (
        "repeated for one learner_id (the session's position in the learner's history, which "
        "no two of its sessions share)"
    )
    return [_problem(path, sessions, "session_index", bad, what)]


def _session_index_out_of_time_order(path: Path, sessions: pd.DataFrame) -> list[Problem]:
    """Two sessions of one learner, next to each other in `session_id`'s time order, whose
    `session_index` falls from the first to the second: the later session sits earlier in the
    learner's history, and what orders a learner's sessions by one column (the off-policy
    episodes, the outcome changes) reads them in another order than what orders them by the
    other. Both sessions of each such pair are named, the file's lines in order; a repeated
    index is `_repeated_session_index`'s."""
    if "session_index" not in sessions:
        return []
    learner = sessions["learner_id"].to_numpy()
    order = np.lexsort((sessions["session_id"].to_numpy(), learner))
    index = sessions["session_index"].to_numpy()[order]
    falls = (learner[order][1:] == learner[order][:-1]) & (index[1:] < index[:-1])
    if not falls.any():
        return []
    bad = np.zeros(len(sessions), dtype=bool)
    bad[order[1:][falls]] = bad[order[:-1][falls]] = True
    what = (
        "lower at a learner_id's later session_id than at its session before (the session's "
        "position in the learner's history, which rises with session_id's time order)"
    )
    return [_problem(path, sessions, "session_index", bad, what)]


def table_problems(path: Path, df: pd.DataFrame, table: TableName) -> list[Problem]:
    """The dictionary's relations between the columns of one valid table."""
    if table == "tutors":
        return _untaught_expertise(path, df)
    if table == "sessions":
        return _repeated_session_index(path, df) + _session_index_out_of_time_order(path, df)
    return []


def match_problems(
    sessions: pd.DataFrame, learners: pd.DataFrame, tutors: pd.DataFrame, sessions_path: Path
) -> list[Problem]:
    """Sessions whose `style_match` or `language_match` disagrees with the styles or languages
    of their learner and tutor; every session's learner and tutor must exist."""
    problems = []
    for column, learner_column, tutor_column in (
        ("style_match", "learning_style", "teaching_style"),
        ("language_match", "language", "language"),
    ):
        of_learner = learners.set_index("learner_id")[learner_column]
        of_tutor = tutors.set_index("tutor_id")[tutor_column]
        same = (
            of_learner.reindex(sessions["learner_id"]).to_numpy()
            == of_tutor.reindex(sessions["tutor_id"]).to_numpy()
        )
        bad = sessions[column].to_numpy() != same.astype(np.int64)
        if bad.any():
            what = (
                f"disagrees with the learner's {learner_column} ({FILES['learners']}) and the "
                f"tutor's {tutor_column} ({FILES['tutors']}): 1 if they are the same, else 0,"
            )
            problems.append(_problem(sessions_path, sessions, column, bad, what))
    return problems
