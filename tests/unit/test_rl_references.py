"""Why tutor matching scores a run's final policy: ten evaluation episodes rank difficulty
policies but not tutor-matching ones."""

from __future__ import annotations

from aura.rl.config import EVAL_SEED_OFFSET, env_config
from aura.rl.results import evaluation_resolution


def test_ten_evaluation_episodes_rank_difficulty_policies_but_not_tutor_matching_ones() -> None:
    seed = 20240601 + EVAL_SEED_OFFSET
    tutor = evaluation_resolution(env_config("tutor_matching"), "fixed:balanced", 10, seed, 200)
    difficulty = evaluation_resolution(
        env_config("difficulty_adaptation"), "staircase", 10, seed, 200
    )
    assert tutor["oracle_lead"] > 0 and difficulty["oracle_lead"] > 0
    assert tutor["z"] < 2.5 and difficulty["z"] > 3.0, (tutor, difficulty)
