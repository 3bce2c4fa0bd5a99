"""Categories and column orders shared by the simulator, the loaders and the environments.

The first columns of each table are the spec's, in the spec's order and names; the columns after
them are the extras the environments and the evaluation need. Keeping both lists here means the
writer, the pandera schemas and the data dictionary can never disagree about them.
"""

from __future__ import annotations

SUBJECTS: tuple[str, ...] = ("math", "science", "english", "history", "coding")
LEARNING_STYLES: tuple[str, ...] = ("visual", "auditory", "reading_writing", "kinesthetic")
TIME_SLOTS: tuple[str, ...] = ("morning", "afternoon", "evening", "weekend")
LANGUAGES: tuple[str, ...] = ("english", "spanish", "mandarin", "arabic")
DIFFICULTY_LEVELS: tuple[str, ...] = ("Beginner", "Intermediate", "Advanced")
COMPLETION_STATUSES: tuple[str, ...] = ("completed", "incomplete")
STRATEGIES: tuple[str, ...] = (
    "best_rating",
    "subject_expert",
    "cultural_match",
    "teaching_style_match",
    "balanced",
)
"""Tutor matching's actions, in action-index order."""
DIFFICULTY_MOVES: tuple[str, ...] = ("decrease", "maintain", "increase")
"""Difficulty adaptation's actions, in action-index order."""

LEARNER_SPEC_COLUMNS: tuple[str, ...] = (
    "learner_id",
    "age",
    "grade_level",
    "comfort_level_online",
    "session_count",
    "learning_progress_score",
    "attention_span_minutes",
    "preferred_difficulty",
    "learning_style",
    "engagement_score",
    "success_rate",
)
LEARNER_EXTRA_COLUMNS: tuple[str, ...] = ("subject_preference", "time_preference", "language")

TUTOR_SPEC_COLUMNS: tuple[str, ...] = (
    "tutor_id",
    "years_experience",
    "rating",
    "total_sessions",
    "subjects",
    "teaching_effectiveness",
    "student_improvement_rate",
    "communication_rating",
    "adaptability_score",
)
TUTOR_EXTRA_COLUMNS: tuple[str, ...] = (
    "teaching_style",
    "language",
    "availability",
    *(f"expertise_{s}" for s in SUBJECTS),
)

SESSION_SPEC_COLUMNS: tuple[str, ...] = (
    "session_id",
    "learner_id",
    "tutor_id",
    "subject",
    "difficulty_level",
    "duration_hours",
    "engagement_score",
    "learning_outcome_score",
    "tutor_rating",
    "completion_status",
)
SESSION_EXTRA_COLUMNS: tuple[str, ...] = (
    "session_index",
    "timestamp",
    "time_slot",
    "strategy",
    "propensity",
    "exercise_success_rate",
    "style_match",
    "language_match",
    "comfort_level_online",
    "compatibility_score",
)

LEARNER_COLUMNS = LEARNER_SPEC_COLUMNS + LEARNER_EXTRA_COLUMNS
TUTOR_COLUMNS = TUTOR_SPEC_COLUMNS + TUTOR_EXTRA_COLUMNS
SESSION_COLUMNS = SESSION_SPEC_COLUMNS + SESSION_EXTRA_COLUMNS

LIST_SEPARATOR = ";"
"""Separator inside list-valued cells (a tutor's `subjects` and `availability`)."""
