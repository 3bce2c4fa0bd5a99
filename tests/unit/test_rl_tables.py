"""The tables of a grid's ``results.json``: every number of a results entry written by hand,
each a different value, lands in its own column, and the references are scored by random and
the oracle with Z95 x their episodes' error either side."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from aura.reports.tables import MISSING
from aura.rl.intervals import EPISODES, EPISODES_ONLY, SEEDS_AND_EPISODES
from aura.rl.tables import (
    env_words,
    results_report_table,
    results_table,
    saved_policies_table,
    saved_report_table,
)

Z95 = 1.959963984540054


def interval(mean: float, low: float, high: float, n: int, covers: str | None = None) -> dict:
    out = {"mean": mean, "low": low, "high": high, "n": n}
    return out if covers is None else {**out, "covers": covers}


def results() -> dict:
    """Random returns 2 and the oracle 6, so a reference returning R scores (R - 2) / 4."""
    return {
        "tutor_matching": {
            "references": {
                "random": 2.0,
                "oracle": 6.0,
                "hand_rule": 3.0,
                "hand_rule_name": "rule",
                "ceiling": 5.0,
                "ceiling_name": "filter",
                "experience": 4.0,
                "experience_name": "seen",
                "experience_steps": 1_200_000,
                "episode_se": {"hand_rule": 0.01, "ceiling": 0.02, "experience": 0.03},
            },
            "scored_model": "final",
            "algorithms": {
                "ppo": {
                    "normalised": interval(0.61, 0.55, 0.67, 3),
                    "mean_return": interval(4.44, 4.2, 4.6, 3),
                    "lead_over_hand_rule": interval(0.36, 0.31, 0.41, 3),
                    "other_model": {
                        "model": "best",
                        "normalised": interval(0.58, 0.50, 0.66, 3),
                        "scored_lead": interval(0.03, 0.01, 0.05, 3),
                    },
                },
                "a2c": {  # one seed: its intervals cover the episodes only
                    "normalised": interval(0.4, 0.35, 0.45, 1, EPISODES_ONLY),
                    "mean_return": interval(3.6, -math.inf, math.inf, 1),
                    "lead_over_hand_rule": interval(0.15, 0.1, 0.2, 1, EPISODES_ONLY),
                    "other_model": {
                        "model": "best",
                        "normalised": interval(0.42, 0.36, 0.48, 1, EPISODES_ONLY),
                        "scored_lead": interval(-0.02, -0.03, -0.01, 1, EPISODES_ONLY),
                    },
                },
            },
        }
    }


def test_every_reference_and_policy_row_holds_its_own_numbers() -> None:
    table = results_table(results())
    assert table["policy"].tolist() == [
        "random",
        "hand rule (rule)",
        "seen (1,200,000 steps)",
        "upper reference (filter)",
        "oracle",
        "PPO",
        "A2C",
    ]
    rows = table.set_index("policy")
    for policy, value, se in [
        ("hand rule (rule)", 3.0, 0.01),
        ("seen (1,200,000 steps)", 4.0, 0.03),
        ("upper reference (filter)", 5.0, 0.02),
    ]:
        row = rows.loc[policy]
        score = (value - 2.0) / 4.0
        assert (row["normalised"], row["mean_return"]) == pytest.approx((score, value))
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(
            (score - Z95 * se, score + Z95 * se), rel=1e-12
        )
        assert row["ci_covers"] == EPISODES and np.isnan(row["lead_over_rule"])
    for policy, score in (("random", 0.0), ("oracle", 1.0)):
        row = rows.loc[policy]
        assert row["normalised"] == score and pd.isna(row["ci_covers"])
        assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])
    columns = [
        "normalised",
        "ci_low",
        "ci_high",
        "mean_return",
        "n_seeds",
        "lead_over_rule",
        "lead_low",
        "lead_high",
        "ci_covers",
    ]
    assert rows.loc["PPO", columns].tolist() == [
        0.61,
        0.55,
        0.67,
        4.44,
        3,
        0.36,
        0.31,
        0.41,
        SEEDS_AND_EPISODES,
    ]
    assert rows.loc["A2C", ["normalised", "lead_over_rule", "ci_covers"]].tolist() == [
        0.4,
        0.15,
        EPISODES_ONLY,
    ]


def test_the_saved_policies_table_holds_the_other_policy_s_numbers() -> None:
    table = saved_policies_table(results()).set_index("algo")
    assert table.loc["PPO"].tolist() == [
        "tutor_matching",
        "final",
        0.61,
        "best",
        0.58,
        0.50,
        0.66,
        0.03,
        0.01,
        0.05,
        SEEDS_AND_EPISODES,
    ]
    assert table.loc["A2C", ["other_normalised", "lead", "lead_low", "ci_covers"]].tolist() == [
        0.42,
        -0.02,
        -0.03,
        EPISODES_ONLY,
    ]


def test_the_report_table_reads_each_row_in_words_with_its_interval_in_one_cell() -> None:
    """Notebooks 03 and 05 showed the results table's own columns (ci_low, ci_high,
    lead_over_rule, ...) to the reader; the report table has the same numbers under headers in
    words, each score and lead beside its 95% interval. Hand-worked from `results`: the hand
    rule returns 3, (3 - 2) / 4 = 0.25, its interval 0.25 -/+ 1.96 x 0.01 = [0.230, 0.270]."""
    shown = results_report_table(results_table(results()))
    assert list(shown.columns) == [
        "environment",
        "policy",
        "normalised score (95% CI)",
        "mean return",
        "lead over best hand rule (95% CI)",
        "interval over",
    ]
    assert shown.values.tolist() == [
        ["tutor matching", "random", "0.000", "2.000", MISSING, MISSING],
        [
            "tutor matching",
            "hand rule (rule)",
            "0.250 [0.230, 0.270]",
            "3.000",
            MISSING,
            "episodes",
        ],
        [
            "tutor matching",
            "seen (1,200,000 steps)",
            "0.500 [0.441, 0.559]",
            "4.000",
            MISSING,
            "episodes",
        ],
        [
            "tutor matching",
            "upper reference (filter)",
            "0.750 [0.711, 0.789]",
            "5.000",
            MISSING,
            "episodes",
        ],
        ["tutor matching", "oracle", "1.000", "6.000", MISSING, MISSING],
        [
            "tutor matching",
            "PPO",
            "0.610 [0.550, 0.670]",
            "4.440",
            "0.360 [0.310, 0.410]",
            "3 seeds and episodes",
        ],
        [
            "tutor matching",
            "A2C",
            "0.400 [0.350, 0.450]",
            "3.600",
            "0.150 [0.100, 0.200]",
            EPISODES_ONLY,
        ],
    ]


def test_the_report_table_writes_a_negative_or_tiny_lead_in_fixed_point() -> None:
    """A lead of -0.0094 printed as -9.4e-03; a score below random keeps its sign."""
    table = results_table(results())
    ppo = table.index[table["policy"] == "PPO"][0]
    table.loc[ppo, ["normalised", "ci_low", "ci_high"]] = [-2.376, -14.1234, 9.4567]
    table.loc[ppo, ["lead_over_rule", "lead_low", "lead_high"]] = [-0.0094, -0.0512, 0.00003]
    row = results_report_table(table).iloc[ppo]
    assert row["normalised score (95% CI)"] == "-2.376 [-14.123, 9.457]"
    assert row["lead over best hand rule (95% CI)"] == "-0.009 [-0.051, 0.000]"
    assert "e-" not in results_report_table(table).to_html()


def test_the_saved_policies_report_table_reads_in_words() -> None:
    shown = saved_report_table(saved_policies_table(results()))
    assert list(shown.columns) == [
        "environment",
        "algorithm",
        "scored policy",
        "other saved policy (95% CI)",
        "lead of the scored (95% CI)",
        "interval over",
    ]
    assert shown.values.tolist() == [
        [
            "tutor matching",
            "PPO",
            "final 0.610",
            "best 0.580 [0.500, 0.660]",
            "0.030 [0.010, 0.050]",
            SEEDS_AND_EPISODES,
        ],
        [
            "tutor matching",
            "A2C",
            "final 0.400",
            "best 0.420 [0.360, 0.480]",
            "-0.020 [-0.030, -0.010]",
            EPISODES_ONLY,
        ],
    ]


def test_the_report_table_leaves_the_results_table_as_it_was() -> None:
    """The metrics files and `aura train-rl` read the results table's own columns."""
    table = results_table(results())
    before = table.copy()
    results_report_table(table)
    pd.testing.assert_frame_equal(table, before)


def test_the_verdict_reads_yes_no_and_a_dash_where_it_does_not_apply() -> None:
    """Notebook 03 showed its verdict as True and False, with the environments under their keys;
    the report table reads "yes" and "no", a dash where difficulty adaptation has no
    experience reference, and names the environments in words. The verdict is left as it
    was."""
    from aura.rl.tables import verdict_report_table

    verdict = pd.DataFrame(
        {
            "tutor_matching": {
                "PPO beats random": True,
                "experience reference reaches 0.90": False,
            },
            "difficulty_adaptation": {
                "PPO beats random": np.True_,
                "experience reference reaches 0.90": None,
            },
        }
    )
    before = verdict.copy()
    shown = verdict_report_table(verdict)
    assert list(shown.columns) == ["", "tutor matching", "difficulty adaptation"]
    assert shown.values.tolist() == [
        ["PPO beats random", "yes", "yes"],
        ["experience reference reaches 0.90", "no", MISSING],
    ]
    pd.testing.assert_frame_equal(verdict, before)


def test_an_environment_is_named_in_words_every_underscore_a_space() -> None:
    """Params keys name environments with underscores; a reader is told every word apart, a
    key of three words (an environment a fork adds) as well as the two of AURA's own."""
    assert env_words("tutor_matching") == "tutor matching"
    assert env_words("difficulty_adaptation") == "difficulty adaptation"
    assert env_words("difficulty_adaptation_bonus") == "difficulty adaptation bonus"
