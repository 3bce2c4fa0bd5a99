"""Notebook 06's table of the served policies as a report shows it."""

from __future__ import annotations

import pandas as pd

from aura.export.report import served_policies_report_table
from aura.reports.tables import MISSING


def test_the_served_policies_report_table_puts_each_interval_in_its_cell() -> None:
    """Notebook 06 showed the served seed's interval as columns named low and high (and lead
    low, lead high) and an environment as the code names it; a value the export did not record
    read NaN."""
    table = pd.DataFrame.from_dict(
        {
            "tutor_matching": {
                "served policy": "PPO, seed 1",
                "normalised score": 0.83112,
                "low": 0.80407,
                "high": 0.85693,
                "lead over hand rule": 0.05413,
                "lead low": 0.02691,
                "lead high": 0.08154,
                "interval covers": "episodes only (one seed)",
                "hand rule": 0.77699,
                "upper reference": 1.0,
            },
            "difficulty_adaptation": {
                "served policy": "DQN, seed 0",
                "normalised score": 0.82,
                "low": None,
                "high": None,
                "lead over hand rule": None,
                "lead low": None,
                "lead high": None,
                "interval covers": None,
                "hand rule": None,
                "upper reference": None,
            },
        },
        orient="index",
    )
    before = table.copy()
    shown = served_policies_report_table(table)
    assert list(shown.columns) == [
        "environment",
        "served policy",
        "normalised score (95% CI)",
        "lead over hand rule (95% CI)",
        "the intervals cover",
        "hand rule",
        "upper reference",
    ]
    assert shown.values.tolist() == [
        [
            "tutor matching",
            "PPO, seed 1",
            "0.831 [0.804, 0.857]",
            "0.054 [0.027, 0.082]",
            "episodes only (one seed)",
            "0.777",
            "1.000",
        ],
        ["difficulty adaptation", "DQN, seed 0", "0.820", MISSING, MISSING, MISSING, MISSING],
    ]
    pd.testing.assert_frame_equal(table, before)
