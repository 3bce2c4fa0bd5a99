"""Gymnasium environments on the ground-truth simulator, with baselines, an oracle and evaluation.

Importing `aura.envs` registers `aura/TutorMatching-v0` and `aura/DifficultyAdaptation-v0`;
`gymnasium.make(id, **kwargs)` passes keyword options to the environment's constructor.
"""

from __future__ import annotations

import gymnasium as gym

from aura.envs.baselines import (
    DifficultyOracle,
    FixedPolicy,
    RandomPolicy,
    TutorMatchingOracle,
    WeightedStaircase,
    difficulty_baselines,
    tutor_matching_baselines,
)
from aura.envs.difficulty import DifficultyAdaptationEnv
from aura.envs.evaluation import EvalResult, baseline_table, evaluate_policy, normalised_score
from aura.envs.tutor_matching import TutorMatchingEnv
from aura.sim.tables import tutors_from_table

TUTOR_MATCHING_ID = "aura/TutorMatching-v0"
DIFFICULTY_ID = "aura/DifficultyAdaptation-v0"

for _id, _entry in (
    (TUTOR_MATCHING_ID, "aura.envs.tutor_matching:TutorMatchingEnv"),
    (DIFFICULTY_ID, "aura.envs.difficulty:DifficultyAdaptationEnv"),
):
    if _id not in gym.registry:
        gym.register(id=_id, entry_point=_entry)

__all__ = [
    "DIFFICULTY_ID",
    "TUTOR_MATCHING_ID",
    "DifficultyAdaptationEnv",
    "DifficultyOracle",
    "EvalResult",
    "FixedPolicy",
    "RandomPolicy",
    "TutorMatchingEnv",
    "TutorMatchingOracle",
    "WeightedStaircase",
    "baseline_table",
    "difficulty_baselines",
    "evaluate_policy",
    "normalised_score",
    "tutor_matching_baselines",
    "tutors_from_table",
]
