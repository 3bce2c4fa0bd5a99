"""Supervised models: compatibility and engagement scores, difficulty level.

Three scikit-learn pipelines (documented-range clipping and scaling, then a random forest)
trained from the CSVs and measured against the simulator's Bayes reference: the best error any
model could reach from the same inputs.
"""

from aura.supervised.bayes import bayes_reference
from aura.supervised.features import (
    CLASS_LABELS,
    FEATURE_RANGES,
    FEATURES,
    MODEL_NAMES,
    TARGETS,
    build_feature_tables,
    load_feature_tables,
)
from aura.supervised.models import RangeScaler, make_pipeline
from aura.supervised.training import SupervisedConfig, load_models, train_all

__all__ = [
    "CLASS_LABELS",
    "FEATURES",
    "FEATURE_RANGES",
    "MODEL_NAMES",
    "TARGETS",
    "RangeScaler",
    "SupervisedConfig",
    "bayes_reference",
    "build_feature_tables",
    "load_feature_tables",
    "load_models",
    "make_pipeline",
    "train_all",
]
