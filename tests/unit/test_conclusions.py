"""Notebooks 04 and 05 close on a conclusion written from their own numbers: each number beside
its reference, each verdict from the intervals, and what it means for the served models. The
prose conclusions they would otherwise carry quote one run's numbers and go stale on any other."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from aura.evaluation.conclusions import (
    evaluation_conclusion,
    relation,
    side,
    supervised_conclusion,
)

ENGAGEMENT_INPUTS = ["duration_hours", "style_match", "exercise_success_rate"]


def ratio(mean: float, half: float = 0.01) -> dict[str, float]:
    return {"ratio": mean, "ratio_low": mean - half, "ratio_high": mean + half}


def regressor(mse: float, truth_ratio: float, met: bool = True) -> dict[str, Any]:
    return {
        "features": ["age", "rating"],
        "test": {"mse": mse},
        "baselines": {"mean": {"mse": 0.044}, "linear": {"mse": 0.029}},
        "bayes": {"bayes_mse": 0.026},
        "against_truth": {
            **ratio(truth_ratio),
            "expected_mse": 0.0273,
            "baselines": {"mean": {"expected_mse": 0.042}, "linear": {"expected_mse": 0.0274}},
        },
        "size": {"onnx_bytes": 2**20},
        "checks": {
            "mse_below_0.1": True,
            "ratio_at_most_1.10": met,
            "beats_baselines": True,
            "onnx_at_most_20MB": True,
        },
    }


def classifier(accuracy: float) -> dict[str, Any]:
    return {
        "features": ["age", "success_rate"],
        "test": {"accuracy": accuracy},
        "baselines": {"majority": {"accuracy": 0.41}, "logistic": {"accuracy": 0.85}},
        "bayes": {"bayes_accuracy": 0.923},
        "against_truth": {
            **ratio(0.9915),
            "expected_accuracy": 0.915,
            "baselines": {
                "majority": {"expected_accuracy": 0.41},
                "logistic": {"expected_accuracy": 0.86},
            },
        },
        "size": {"onnx_bytes": 2**20},
        "checks": {
            "accuracy_at_least_0.85": True,
            "share_at_least_0.97": True,
            "beats_baselines": True,
            "onnx_at_most_20MB": True,
        },
    }


def new_draw(forest: float, linear: float) -> dict[str, Any]:
    return {
        "against_truth": ratio(forest),
        "baselines": {"mean": {"ratio": 1.9}, "linear": {"ratio": linear}},
    }


def supervised_metrics(*, compatibility_on_new: float, met: bool = True) -> dict[str, Any]:
    engagement = {**regressor(0.0201, 1.0698), "features": ENGAGEMENT_INPUTS}
    return {
        "models": {
            "compatibility": regressor(0.0287, 1.1553 if not met else 1.0553, met=met),
            "difficulty": classifier(0.935),
            "engagement": engagement,
        },
        "out_of_sample": {
            "new_seed": {
                "compatibility": new_draw(compatibility_on_new, 1.075),
                "engagement": new_draw(1.068, 1.349),
                "difficulty": {
                    "against_truth": ratio(0.986, 0.004),
                    "baselines": {"majority": {"ratio": 0.454}, "logistic": {"ratio": 0.943}},
                },
            }
        },
    }


@pytest.mark.parametrize(
    ("low", "high", "where"), [(0.01, 0.2, "ahead"), (-0.2, -0.01, "behind"), (-0.1, 0.1, "level")]
)
def test_an_interval_of_a_lead_puts_it_on_one_side_or_level(low, high, where) -> None:
    assert side(low, high) == where
    assert relation(where, "the rule").count("the rule") == 1


def test_the_supervised_conclusion_gives_the_run_s_numbers_beside_their_references() -> None:
    text = supervised_conclusion(supervised_metrics(compatibility_on_new=1.192))
    assert text.startswith("12 of the 12 targets are met.")
    assert "test MSE 0.0287 against the baselines' mean 0.0440, linear 0.0290" in text
    assert "ratio to the Bayes MSE (1: the best any model can do) is 1.055 [1.045, 1.065]" in text
    assert "test accuracy 0.9350 against the baselines' majority 0.4100, logistic 0.8500" in text
    # on a new pool of tutors the compatibility forest trails the linear model
    assert (
        "1.192 [1.182, 1.202] against the linear baseline's 1.075: behind it by its whole" in text
    )
    assert "must be trained again when the tutor pool changes" in text
    assert (
        "On the same draw the engagement model scores 1.068 [1.058, 1.078] against the linear"
        in text
    )
    assert "exercise success rate, which is measured during the session" in text


def test_the_supervised_conclusion_names_the_new_draw_in_words() -> None:
    """The report is read by people who do not read the code: it named the draw by its key in
    metrics.json, `new_seed`, where notebook 04's table beside it says "new seed"."""
    text = supervised_conclusion(supervised_metrics(compatibility_on_new=1.192))
    assert "a new pool of tutors (the new seed draw) the compatibility forest" in text
    assert "new_seed" not in text


def test_the_supervised_conclusion_follows_the_numbers_not_a_sentence_written_for_one_run() -> None:
    metrics = supervised_metrics(compatibility_on_new=1.03, met=False)
    metrics["models"]["engagement"]["features"] = ["duration_hours", "style_match"]
    text = supervised_conclusion(metrics)
    assert (
        "11 of the 12 targets are met; missed: compatibility: expected MSE / Bayes MSE at" in text
    )
    assert "(1.1553 against 1.10)" in text  # the bound as its target words it
    assert "ahead of it by its whole interval" in text
    assert "carry over to a new pool of tutors" in text
    assert "must be trained again" not in text
    assert "exercise success" not in text  # an engagement model without it forecasts


def rl_env(ppo: float, lead: tuple[float, float, float], rule: str) -> dict[str, Any]:
    return {
        "references": {
            "hand_rule_name": rule,
            "hand_rule_normalised": 0.776,
            "ceiling_name": "observation ceiling",
            "ceiling_normalised": 0.923,
        },
        "algorithms": {
            "ppo": {
                "normalised": {"mean": ppo, "low": ppo - 0.03, "high": ppo + 0.03},
                "lead_over_hand_rule": dict(zip(("mean", "low", "high"), lead, strict=True)),
            }
        },
    }


def ope_table(covered: list[bool]) -> pd.DataFrame:
    policies = ["PPO (greedy)"] * 2 + ["always balanced"] * 2
    return pd.DataFrame(
        {
            "policy": policies,
            "estimator": ["IPS", "DR"] * 2,
            "true_value": [0.7975, 0.7975, 0.7980, 0.7980],
            "covered": covered,
        }
    )


def pool_table(served: tuple[float, float, float]) -> pd.DataFrame:
    rows = [
        ("training pool", (0.067, 0.030, 0.103)),
        ("new pool (seed 1)", (-0.092, -0.168, -0.016)),
        ("served pool", served),
    ]
    return pd.DataFrame(
        [
            {
                "pool": pool,
                "policy": "ppo",
                "best_rule": "fixed:balanced",
                **dict(zip(("lead", "lead_low", "lead_high"), lead, strict=True)),
            }
            for pool, lead in rows
        ]
    )


def test_the_evaluation_conclusion_says_the_lead_is_the_training_pool_s() -> None:
    rl = {
        "tutor_matching": rl_env(0.843, (0.067, 0.030, 0.103), "fixed:balanced"),
        "difficulty_adaptation": rl_env(0.816, (0.057, 0.042, 0.072), "staircase"),
    }
    text = evaluation_conclusion(
        rl,
        supervised_metrics(compatibility_on_new=1.192),
        ope_table([True, True, True, False]),
        pool_table((0.002, -0.071, 0.075)),
    )
    assert (
        "**tutor matching**: PPO scores 0.843 [0.813, 0.873] and misses its target of 0.90; "
        'the best hand rule, always "balanced", scores 0.776'
    ) in text
    assert "0.067 [0.030, 0.103], puts it ahead of the rule by its whole interval" in text
    assert "3 of the 4 estimates' 95% intervals cover" in text
    assert "PPO (greedy) is worth 0.7975 a session, beside always balanced at 0.7980" in text
    assert 'served pool: 0.002 [-0.071, 0.075] over always "balanced" (level)' in text
    assert 'new pool (seed 1): -0.092 [-0.168, -0.016] over always "balanced" (behind)' in text
    assert "gains nothing measurable over that rule, and its lead on the training pool" in text
    assert (
        "The difficulty policy is ahead of the staircase by its whole interval: it is worth "
        "serving over the rule; it is short of its 0.90 target." in text
    )


def test_the_evaluation_conclusion_follows_the_numbers_of_another_run() -> None:
    rl = {
        "tutor_matching": rl_env(0.91, (0.1, 0.05, 0.15), "fixed:balanced"),
        "difficulty_adaptation": rl_env(0.92, (-0.01, -0.05, 0.03), "staircase"),
    }
    text = evaluation_conclusion(
        rl,
        supervised_metrics(compatibility_on_new=1.192),
        ope_table([True] * 4),
        pool_table((0.179, 0.108, 0.251)),
    )
    assert "PPO scores 0.910 [0.880, 0.940] and meets its target of 0.90" in text
    assert "serving it is expected to match learners better than the rule" in text
    assert "gains nothing measurable over that rule" not in text
    assert (
        "The difficulty policy is level with the staircase (the interval holds no lead either "
        "way): serving it gains nothing measurable over the rule." in text
    )


def test_a_forest_level_with_the_linear_model_on_new_tutors_is_not_said_to_need_training() -> None:
    """On the new draw the forest's ratio 1.070 [1.060, 1.080] holds the linear model's 1.075:
    level with it, so its scores carry over; only a forest behind by its whole interval has to
    be trained again when the pool changes."""
    text = supervised_conclusion(supervised_metrics(compatibility_on_new=1.07))
    assert "1.070 [1.060, 1.080] against the linear baseline's 1.075: level with it" in text
    assert "carry over to a new pool of tutors" in text
    assert "must be trained again" not in text


def test_every_model_on_the_new_draw_is_set_beside_its_best_baseline() -> None:
    """The difficulty model's share 0.986 [0.982, 0.990] is above the logistic model's 0.943
    (higher is better) and the engagement model's ratio 1.068 [1.058, 1.078] is below the
    linear model's 1.349 (lower is better): both ahead by their whole interval."""
    text = supervised_conclusion(supervised_metrics(compatibility_on_new=1.192))
    assert (
        "On the same draw the difficulty model scores 0.986 [0.982, 0.990] against the logistic "
        "baseline's 0.943, ahead of it by its whole interval." in text
    )
    assert (
        "On the same draw the engagement model scores 1.068 [1.058, 1.078] against the linear "
        "baseline's 1.349, ahead of it by its whole interval." in text
    )


def rl_results() -> dict[str, Any]:
    return {
        "tutor_matching": rl_env(0.843, (0.067, 0.030, 0.103), "fixed:balanced"),
        "difficulty_adaptation": rl_env(0.816, (0.057, 0.042, 0.072), "staircase"),
    }


def test_only_ppo_s_leads_on_the_pools_are_read() -> None:
    """A pools table also holds the other algorithms' rows; the conclusion reads PPO's."""
    pools = pool_table((0.002, -0.071, 0.075))
    a2c = pools.assign(policy="a2c", lead=0.3, lead_low=0.2, lead_high=0.4)
    text = evaluation_conclusion(
        rl_results(),
        supervised_metrics(compatibility_on_new=1.192),
        ope_table([True] * 4),
        pd.concat([pools, a2c], ignore_index=True),
    )
    assert 'served pool: 0.002 [-0.071, 0.075] over always "balanced" (level)' in text
    assert "0.300 [0.200, 0.400]" not in text
    assert "gains nothing measurable over that rule" in text


def test_without_a_training_pool_row_the_grid_s_lead_says_where_the_policy_was_trained() -> None:
    """The served pool level and no training-pool row: the tutor-matching grid's lead over the
    rule, ahead by its whole interval, is the lead on the training pool."""
    pools = pool_table((0.002, -0.071, 0.075))
    text = evaluation_conclusion(
        rl_results(),
        supervised_metrics(compatibility_on_new=1.192),
        ope_table([True] * 4),
        pools[pools["pool"] != "training pool"],
    )
    assert (
        "gains nothing measurable over that rule, and its lead on the training pool is "
        "knowledge of that pool's tutors." in text
    )


def test_a_policy_level_on_its_training_pool_has_no_lead_there_to_explain() -> None:
    """Level on the served pool and on the training pool: no lead is put down to knowing the
    training pool's tutors."""
    pools = pool_table((0.002, -0.071, 0.075))
    pools.loc[pools["pool"] == "training pool", ["lead_low", "lead_high"]] = (-0.01, 0.12)
    text = evaluation_conclusion(
        rl_results(),
        supervised_metrics(compatibility_on_new=1.192),
        ope_table([True] * 4),
        pools,
    )
    assert "gains nothing measurable over that rule." in text
    assert "knowledge of that pool's tutors" not in text


def test_a_score_of_exactly_the_target_meets_it() -> None:
    """The target is "at least 0.90": PPO at 0.90 meets it, and the difficulty policy is not
    said to be short of it."""
    rl = {
        "tutor_matching": rl_env(0.90, (0.067, 0.030, 0.103), "fixed:balanced"),
        "difficulty_adaptation": rl_env(0.90, (0.057, 0.042, 0.072), "staircase"),
    }
    text = evaluation_conclusion(
        rl,
        supervised_metrics(compatibility_on_new=1.192),
        ope_table([True] * 4),
        pool_table((0.002, -0.071, 0.075)),
    )
    assert "PPO scores 0.900 [0.870, 0.930] and meets its target of 0.90" in text
    assert "misses its target" not in text
    assert text.endswith(
        "ahead of the staircase by its whole interval: it is worth serving over the rule."
    )
