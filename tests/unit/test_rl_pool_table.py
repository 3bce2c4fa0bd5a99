"""Notebook 05's tutor-pool table fits a report page: each pool's references, then each
algorithm's score and lead, each with its interval in one cell."""

from __future__ import annotations

import pandas as pd

from aura.rl.intervals import EPISODES_ONLY, SEEDS_AND_EPISODES
from aura.rl.pools import pool_report_table

REPORT_LINE_CHARS = 140
"""As tests/notebooks/test_figures.py: what a 1,280-pixel page shows of a line of 13-pixel
monospace, less the prompts. A table's HTML, in the page's proportional font, is narrower
than its printed form, so a table whose printed lines fit fits the page."""

POOLS = ["training pool", "new pool (seed 1)", "new pool (seed 2)", "new pool (seed 3)"]


def pool_scores_table(covers: str = SEEDS_AND_EPISODES) -> pd.DataFrame:
    """Rows as `aura.rl.pools.pool_scores` writes them, in its column order: the fixed
    strategies first (no interval, no lead), then the algorithms, every row with its pool's
    references."""
    rows = []
    for i, pool in enumerate([*POOLS, "served pool"]):
        refs = {
            "best_rule": "fixed:teaching_style_match" if i == 1 else "fixed:balanced",
            "best_rule_normalised": 0.776 - 0.01 * i,
            "random_return": 9.523 + 0.01 * i,
            "oracle_return": 9.891 - 0.01 * i,
        }
        rows.append({"pool": pool, "policy": "fixed:balanced", "normalised": 0.776, **refs})
        for algo, score in (("ppo", 0.845), ("dqn", -2.376), ("a2c", 0.776)):
            rows.append(
                {
                    "pool": pool,
                    "policy": algo,
                    "normalised": score - 0.01 * i,
                    "ci_low": score - 0.044,
                    "ci_high": score + 0.044,
                    "lead": -0.075 - 0.001 * i,
                    "lead_low": -0.145,
                    "lead_high": -0.004,
                    "n_seeds": 3.0,  # a float column: the fixed strategies' rows have none
                    "ci_covers": covers,
                    **refs,
                }
            )
    return pd.DataFrame(rows)


def widest_line(table: pd.DataFrame) -> int:
    """The longest line of ``table`` printed whole, every column on one line."""
    with pd.option_context("display.width", None, "display.max_columns", None):
        return max(len(line) for line in table.to_string(index=False).splitlines())


def test_the_pool_table_fits_a_report_page() -> None:
    """The table as pool_scores gives it printed 14 columns, wider than the page: its leads and
    what their intervals cover lay past the page's edge."""
    table = pool_scores_table()
    assert widest_line(table[table["lead"].notna()]) > REPORT_LINE_CHARS  # the fault it fixes
    shown = pool_report_table(table)
    assert widest_line(shown) <= REPORT_LINE_CHARS
    assert len(shown.columns) == 6


def test_the_pool_table_gives_each_number_beside_its_interval_and_references() -> None:
    shown = pool_report_table(pool_scores_table(EPISODES_ONLY))
    assert list(shown["algorithm"][:3]) == ["PPO", "DQN", "A2C"]  # the algorithms only
    assert len(shown) == 15
    first, new_pool = shown.iloc[0], shown.iloc[3]
    assert first["normalised (95% CI)"] == "0.845 [0.801, 0.889]"
    assert first["lead over best fixed (95% CI)"] == "-0.075 [-0.145, -0.004]"
    assert first["best fixed strategy"] == "balanced 0.776"
    assert set(shown["interval over"]) == {EPISODES_ONLY}
    assert new_pool["best fixed strategy"] == "teaching_style_match 0.766"
    assert new_pool["normalised (95% CI)"] == "0.835 [0.801, 0.889]"


def test_the_pool_table_says_how_many_seeds_its_intervals_cover() -> None:
    shown = pool_report_table(pool_scores_table(SEEDS_AND_EPISODES))
    assert set(shown["interval over"]) == {"3 seeds and episodes"}
