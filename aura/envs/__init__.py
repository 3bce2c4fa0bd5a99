"""Gymnasium environments on the ground-truth simulator, with baselines, an oracle and evaluation.

Importing `aura.envs` registers `aura/TutorMatching-v0` and `aura/DifficultyAdaptation-v0`, and
the variants the probes train on (`aura.rl.probes`): difficulty adaptation observed through a
window of its last blocks, and tutor matching paid its exact or relative expected reward
(`aura.env_ids`). `gymnasium.make(id, **kwargs)` passes keyword options to the environment's
constructor. The variants are registered here rather than where they are used, so that a saved
run of any of them loads in a process that imported only `aura.envs`.
"""

from __future__ import annotations

import gymnasium as gym

from aura.env_ids import (
    DIFFICULTY_ID,
    EXACT_REWARD_ID,
    RELATIVE_REWARD_ID,
    TUTOR_MATCHING_ID,
    WINDOW_ID,
)
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

for _id, _entry in (
    (TUTOR_MATCHING_ID, "aura.envs.tutor_matching:TutorMatchingEnv"),
    (DIFFICULTY_ID, "aura.envs.difficulty:DifficultyAdaptationEnv"),
    (WINDOW_ID, "aura.envs.ceilings:window_env"),
    (EXACT_REWARD_ID, "aura.envs.expected_reward:exact_reward_env"),
    (RELATIVE_REWARD_ID, "aura.envs.expected_reward:relative_reward_env"),
):
    if _id not in gym.registry:
        gym.register(id=_id, entry_point=_entry)

__all__ = [
    "DIFFICULTY_ID",
    "EXACT_REWARD_ID",
    "RELATIVE_REWARD_ID",
    "WINDOW_ID",
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
