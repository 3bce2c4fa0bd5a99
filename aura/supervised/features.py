"""The three feature tables, joined from the learners, tutors and sessions tables.

Each supervised model sees one row per unit it predicts for: a session (compatibility and
engagement) or a learner (difficulty level). The joins live here, not in a notebook, so training,
evaluation, the benchmark and the tests build exactly the same tables. Which columns a model
uses comes from params (`FEATURES` holds the defaults, which are the inputs the simulator draws
each target from, so the simulator's Bayes reference applies to them).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from aura.sim.placement import PLACEMENT_FEATURES
from aura.sim.vocab import DIFFICULTY_LEVELS, SUBJECTS

if TYPE_CHECKING:
    from aura.data.loading import Datasets

MODEL_NAMES: tuple[str, ...] = ("compatibility", "difficulty", "engagement")

SUBJECT_EXPERTISE = "subject_expertise"
"""Derived session column: the tutor's listed expertise (`expertise_<subject>` of the tutors
table) in the session's subject."""

FEATURES: dict[str, list[str]] = {
    "compatibility": [
        "age",
        "comfort_level_online",
        "style_match",
        "language_match",
        "rating",
        "years_experience",
        "communication_rating",
        SUBJECT_EXPERTISE,
    ],
    "difficulty": list(PLACEMENT_FEATURES),
    "engagement": [
        "duration_hours",
        "attention_span_minutes",
        "comfort_level_online",
        "style_match",
        "language_match",
        "exercise_success_rate",
    ],
}
"""Default inputs per model, in the order the fitted pipelines (and their ONNX exports) expect."""

TARGETS: dict[str, str] = {
    "compatibility": "compatibility_score",
    "difficulty": "preferred_difficulty",
    "engagement": "engagement_score",
}
"""Target column per model: sessions_data.csv for the two scores, learners_data.csv for the
level. The simulator draws each from exactly the default features plus noise it knows."""

SOURCE_TABLES: dict[str, tuple[str, ...]] = {
    "compatibility": ("learners", "tutors", "sessions"),
    "difficulty": ("learners",),
    "engagement": ("learners", "tutors", "sessions"),
}
"""The tables each model's feature table is built from (`build_feature_tables`): the session
models read the sessions joined with learners and tutors, the difficulty model the learners."""

CLASS_LABELS: list[str] = list(DIFFICULTY_LEVELS)
"""Classes of the difficulty model; the classifier's probability columns follow this order."""

FEATURE_RANGES: dict[str, tuple[float, float]] = {
    "age": (8.0, 18.0),
    "grade_level": (1.0, 12.0),
    "comfort_level_online": (0.0, 1.0),
    "attention_span_minutes": (5.0, 60.0),
    "learning_progress_score": (0.0, 1.0),
    "success_rate": (0.0, 1.0),
    "session_count": (1.0, 500.0),
    "style_match": (0.0, 1.0),
    "language_match": (0.0, 1.0),
    "rating": (1.0, 5.0),
    "years_experience": (0.0, 40.0),
    "communication_rating": (1.0, 5.0),
    "teaching_effectiveness": (0.0, 1.0),
    "adaptability_score": (0.0, 1.0),
    SUBJECT_EXPERTISE: (0.0, 1.0),
    "duration_hours": (0.25, 4.0),
    "exercise_success_rate": (0.0, 1.0),
}
"""Documented (min, max) of every feature a model may use: the pipelines clip inputs to it, and
the API documents and validates its inputs with it. Ranges follow the data dictionary where it
gives one; `session_count` (the dictionary: at least 1) and `duration_hours` (0.5-2 in the
simulated data) are bounded wider, so a platform's longer histories and sessions are served."""

SESSION_COLUMNS_NEEDED: tuple[str, ...] = (
    "exercise_success_rate",
    "style_match",
    "language_match",
    "comfort_level_online",
    "compatibility_score",
)
"""Sessions columns beyond the spec's that the default features and targets read (the data
schema requires them; `load_data` names them again so the need stays visible here)."""

FeatureTable = tuple[pd.DataFrame, pd.Series, pd.Series]
"""(X, y, groups): inputs, target and the learner id of each row (for grouped splits)."""


class FeatureError(ValueError):
    """A feature list asks for a column the joined table does not have, or has no range."""


def session_table(
    learners: pd.DataFrame, tutors: pd.DataFrame, sessions: pd.DataFrame
) -> pd.DataFrame:
    """One row per session with the learner's and the tutor's columns beside it.

    Where a column exists in both (`comfort_level_online`, `engagement_score`), the session's
    value wins: it is the value at session time, which is what the simulator drew the session's
    outcomes from. The learner's final comfort would leak later sessions into earlier ones.
    """
    for name, table, key in (
        ("learners", learners, "learner_id"),
        ("tutors", tutors, "tutor_id"),
        ("sessions", sessions, "learner_id"),
    ):
        if key not in table:
            raise FeatureError(f"{name} table has no '{key}' column")
    if "tutor_id" not in sessions or "subject" not in sessions:
        raise FeatureError("sessions table needs 'tutor_id' and 'subject' columns")
    learner_cols = ["learner_id", *(c for c in learners.columns if c not in sessions)]
    tutor_cols = ["tutor_id", *(c for c in tutors.columns if c not in sessions)]
    tutor_cols = [c for c in tutor_cols if c == "tutor_id" or c not in learner_cols]
    table = sessions.merge(
        learners[learner_cols], on="learner_id", how="left", validate="many_to_one"
    ).merge(tutors[tutor_cols], on="tutor_id", how="left", validate="many_to_one")
    for key, other in (("learner_id", learners), ("tutor_id", tutors)):
        unknown = ~sessions[key].isin(other[key])
        if unknown.any():
            first = sessions.index[unknown][:5].tolist()
            raise FeatureError(
                f"sessions table: {int(unknown.sum())} row(s) with a {key} that is not in the "
                f"{'learners' if key == 'learner_id' else 'tutors'} table (row index {first})"
            )
    table[SUBJECT_EXPERTISE] = _subject_expertise(table)
    return table


def _subject_expertise(table: pd.DataFrame) -> pd.Series:
    """Pick `expertise_<subject>` per row by the session's subject."""
    unknown = ~table["subject"].isin(SUBJECTS)
    if unknown.any():
        bad = table.loc[unknown, "subject"].unique()[:5].tolist()
        raise FeatureError(f"sessions table: unknown subject(s) {bad}; expected one of {SUBJECTS}")
    result = pd.Series(float("nan"), index=table.index, name=SUBJECT_EXPERTISE)
    for subject in SUBJECTS:
        column = f"expertise_{subject}"
        rows = table["subject"] == subject
        if rows.any():
            if column not in table:
                raise FeatureError(f"tutors table has no '{column}' column")
            result[rows] = table.loc[rows, column].astype(float)
    return result


def _select(table: pd.DataFrame, columns: Sequence[str], what: str) -> pd.DataFrame:
    missing = [c for c in columns if c not in table]
    if missing:
        raise FeatureError(f"{what}: feature(s) {missing} not found; available: {list(table)}")
    no_range = [c for c in columns if c not in FEATURE_RANGES]
    if no_range:
        raise FeatureError(f"{what}: feature(s) {no_range} have no entry in FEATURE_RANGES")
    return table[list(columns)].astype(float).reset_index(drop=True)


def build_feature_tables(
    learners: pd.DataFrame,
    tutors: pd.DataFrame,
    sessions: pd.DataFrame,
    features: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, FeatureTable]:
    """(X, y, groups) for each model; `features` overrides the default lists per model.

    The classifier's y holds the class index into `CLASS_LABELS`; groups is the learner id of
    each row, so that splits can keep every learner on one side.
    """
    chosen = {**FEATURES, **(features or {})}
    sessions_x = session_table(learners, tutors, sessions).reset_index(drop=True)
    learners = learners.reset_index(drop=True)
    levels = learners[TARGETS["difficulty"]].map({c: i for i, c in enumerate(CLASS_LABELS)})
    if levels.isna().any():
        bad = learners.loc[levels.isna(), TARGETS["difficulty"]].unique()[:5].tolist()
        raise FeatureError(f"learners table: preferred_difficulty {bad} not in {CLASS_LABELS}")
    tables: dict[str, FeatureTable] = {}
    for name in MODEL_NAMES:
        source = learners if name == "difficulty" else sessions_x
        X = _select(source, chosen[name], f"{name} model")
        y = levels.astype(int) if name == "difficulty" else source[TARGETS[name]].astype(float)
        tables[name] = (X, y.rename(TARGETS[name]), source["learner_id"].rename("learner_id"))
    return tables


def load_data(data_dir: str | Path) -> Datasets:
    """The three tables of `data_dir`, validated by `aura.data.load_datasets` with the columns
    the models read (an error names the file, column and rows at fault)."""
    from aura.data import load_datasets

    return load_datasets(
        data_dir,
        require={
            "sessions": SESSION_COLUMNS_NEEDED,
            "tutors": tuple(f"expertise_{s}" for s in SUBJECTS),
        },
    )


def load_feature_tables(
    data_dir: str | Path, features: Mapping[str, Sequence[str]] | None = None
) -> dict[str, FeatureTable]:
    """Validate the CSVs of `data_dir` and build the three feature tables from them."""
    data = load_data(data_dir)
    return build_feature_tables(data.learners, data.tutors, data.sessions, features)
