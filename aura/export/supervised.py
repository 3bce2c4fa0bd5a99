"""What the manifest says about the three supervised forests, gathered from `aura.supervised`.

Features carry the documented ranges (`FEATURE_RANGES`) the pipelines clip to, so the API
validates requests with the very bounds the models were built around. Parity is checked on the
learners the training held out (the same grouped split, by seed), so no row the forest was fitted
on flatters the comparison.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aura.export.exporter import ForestExport
from aura.export.manifest import Feature, PairSource

INTEGER_FEATURES = frozenset(
    {"age", "grade_level", "session_count", "years_experience", "style_match", "language_match"}
)
"""The features served as whole numbers (the manifest's dtype ``integer``)."""
DESCRIPTIONS = {
    "age": "Learner age in years.",
    "grade_level": "School grade, 1-12.",
    "comfort_level_online": "Learner's comfort with online learning, 0-1.",
    "attention_span_minutes": "Typical attention span in minutes.",
    "learning_progress_score": "Mean learning outcome of past sessions, 0-1.",
    "success_rate": "Share of exercises solved in past sessions, 0-1.",
    "session_count": "Sessions taken so far.",
    "style_match": "1 if the tutor teaches in the learner's learning style, else 0.",
    "language_match": "1 if tutor and learner share a language, else 0.",
    "rating": "Tutor's public rating, 1-5.",
    "years_experience": "Tutor's years of teaching experience.",
    "communication_rating": "Tutor's communication rating, 1-5.",
    "teaching_effectiveness": "Tutor's platform-measured teaching effectiveness, 0-1.",
    "adaptability_score": "Tutor's adaptability score, 0-1.",
    "subject_expertise": "Tutor's listed expertise in the session's subject, 0-1.",
    "duration_hours": "Planned session length in hours.",
    "exercise_success_rate": "Share of the session's exercises solved, 0-1, as measured during it.",
}
"""What each feature a model may use (`FEATURE_RANGES`) is, for the manifest and the API's request
schema: a feature without one was served with an empty description."""
PAIR_SOURCES: dict[str, PairSource] = {
    "age": "learner:age",
    "comfort_level_online": "learner:comfort_level_online",
    "rating": "tutor:rating",
    "years_experience": "tutor:years_experience",
    "communication_rating": "tutor:communication_rating",
    "style_match": "pair:style_match",
    "language_match": "pair:language_match",
    "subject_expertise": "pair:subject_expertise",
}
"""How the tutor-match endpoint fills each compatibility input for a (learner, tutor) pair."""


def forest_features(names: list[str]) -> list[Feature]:
    """Manifest features of a forest's inputs, with their documented ranges."""
    from aura.supervised import FEATURE_RANGES

    return [
        Feature(
            name=n,
            dtype="integer" if n in INTEGER_FEATURES else "float",
            low=FEATURE_RANGES[n][0],
            high=FEATURE_RANGES[n][1],
            description=DESCRIPTIONS.get(n, ""),
        )
        for n in names
    ]


def check_trained_on(
    report: dict[str, Any], metrics_path: Path, data_dir: Path, seed: int, test_size: float
) -> None:
    """Refuse to export models with data, a seed or a held-out share other than their
    training's, as metrics.json records them: the manifest would name the other data as what
    they learned from, the API would serve its tutors, and the parity check would run on rows
    the forests were trained on. (A metrics.json written before these were recorded is not
    checked.)"""
    from aura.supervised.training import data_sha256

    retrain = "retrain them on it (aura train-supervised or notebook 04)"
    recorded = report.get("data_sha256")
    if recorded is not None:
        changed = [
            name for name, digest in data_sha256(data_dir).items() if recorded.get(name) != digest
        ]
        if changed:
            raise ValueError(
                f"the tables {changed} in {data_dir} are not those the models of "
                f"{metrics_path.parent} learned from ({report.get('data_dir')}, as "
                f"{metrics_path.name} records them): {retrain}, or set data_dir to the data they "
                "learned from"
            )
    for key, value in (("seed", seed), ("test_size", test_size)):
        if key in report and report[key] != value:
            raise ValueError(
                f"the export's {key} is {value} but the models of {metrics_path.parent} were "
                f"trained with {report[key]} ({metrics_path.name}): the parity check needs the "
                f"learners their training held out; {retrain}, or export with their {key}"
            )


def supervised_exports(
    data_dir: Path, models_dir: Path, seed: int, test_size: float = 0.2
) -> list[ForestExport]:
    """One ForestExport per saved pipeline, with its metrics.json entry and held-out rows."""
    from aura.supervised import CLASS_LABELS, MODEL_NAMES, load_feature_tables, load_models
    from aura.supervised.evaluation import grouped_holdout

    models = load_models(models_dir)
    metrics_path = Path(models_dir) / "supervised" / "metrics.json"
    report = json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}
    check_trained_on(report, metrics_path, data_dir, seed, test_size)
    features = {name: list(models[name][0].feature_names_in_) for name in MODEL_NAMES}
    tables = load_feature_tables(data_dir, features)
    exports = []
    for name in MODEL_NAMES:
        X, _, groups = tables[name]
        _, test = grouped_holdout(groups, test_size, seed)
        exports.append(
            ForestExport(
                name=name,
                model=models[name],
                features=forest_features(features[name]),
                holdout=X.iloc[test],
                source=f"supervised/{name}.joblib",
                metrics=report.get("models", {}).get(name, {}),
                class_labels=list(CLASS_LABELS) if name == "difficulty" else None,
            )
        )
    return exports
