"""The Gymnasium ids of AURA's environments, in a module with no imports, so that a params file
can be checked without loading the environments. Importing `aura.envs` registers every id here."""

from __future__ import annotations

TUTOR_MATCHING_ID = "aura/TutorMatching-v0"
DIFFICULTY_ID = "aura/DifficultyAdaptation-v0"

WINDOW_ID = "aura/DifficultyAdaptationWindow-v0"
"""Difficulty adaptation observed through a window of its last blocks (``window=k``;
`aura.envs.ceilings.window_env`)."""

EXACT_REWARD_ID = "aura/TutorMatchingExactReward-v0"
"""Tutor matching that pays each session's exact expected reward (`aura.envs.expected_reward`)."""

RELATIVE_REWARD_ID = "aura/TutorMatchingRelativeReward-v0"
"""Tutor matching that pays the exact expected reward minus its mean over the strategies in the
same state (`aura.envs.expected_reward`)."""

AURA_ENV_IDS: dict[str, str] = {
    "tutor_matching": TUTOR_MATCHING_ID,
    "difficulty_adaptation": DIFFICULTY_ID,
}
"""Environment keys (used in paths and params) and the Gymnasium ids they stand for."""
