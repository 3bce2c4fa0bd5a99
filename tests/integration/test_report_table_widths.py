"""The report tables of notebooks 03 to 06 fit a 1,280-pixel page: the RL results, the saved
policies, the episode analysis and the action profiles, the off-policy estimates, the strategy
shares, the supervised models' metrics and targets, their sizes, out-of-sample ratios and
importances, and the served policies.

Each is rendered as the notebook's report renders it (`aura.reports.rendering.render_html`), with
the longest names and numbers a run gives them, and measured by Debian's Chromium in a window
1,280 pixels wide: a table wider than its output area is cut off at the page's edge, its last
columns reached only by scrolling that output sideways, and lost on paper.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
from chromium import dump_dom

from aura.evaluation.ope import off_policy_report_table, strategy_shares_report_table
from aura.export.report import served_policies_report_table
from aura.reports.figures import REPORT_IMAGE_PX
from aura.reports.rendering import render_html
from aura.reports.tables import table_outputs
from aura.rl.actions import action_profile_report_table
from aura.rl.episodes import episode_report_table
from aura.rl.intervals import EPISODES, EPISODES_ONLY, SEEDS_AND_EPISODES
from aura.rl.tables import results_report_table, saved_report_table
from aura.sim.vocab import STRATEGIES
from aura.supervised.report import (
    checks_report_table,
    importance_report_table,
    metrics_report_table,
    out_of_sample_report_table,
    size_report_table,
)

MEASURE = """<script>window.addEventListener("load", () => {
  const rows = [...document.querySelectorAll("table")].map((table) => {
    const area = table.closest(".jp-OutputArea-output");
    const width = Math.ceil(table.getBoundingClientRect().width);
    return `${width} ${area.clientWidth} ${area.scrollWidth}`;
  });
  const out = document.createElement("pre");
  out.id = "widths";
  out.textContent = rows.join("\\n");
  document.body.appendChild(out);
});</script>"""
"""Writes each table's width, its output area's, and how far that area scrolls, into the DOM."""


def widest_results() -> pd.DataFrame:
    """`results_table` rows with the longest names a run writes and a score far below random
    (DQN at smoke scale: -2.376 with a one-seed interval many times wider)."""
    nan = np.nan
    rows = []
    for env in ("tutor_matching", "difficulty_adaptation"):
        for policy, covers in (
            ("random", None),
            ("hand rule (fixed:teaching_style_match)", EPISODES),
            ("experience reference (100,000 steps)", EPISODES),
            ("upper reference (observation ceiling)", EPISODES),
            ("oracle", None),
        ):
            interval = (0.7512, 0.5853, 0.9161) if covers else (1.0, nan, nan)
            rows.append([env, policy, *interval, 26.6104, nan, nan, nan, nan, covers])
        rows.append(
            [env, "DQN", -2.3761, -14.1234, 9.4567, 11.3811, 1.0]
            + [-3.1224, -15.0051, -0.0004, EPISODES_ONLY]
        )
        rows.append(
            [env, "PPO", 0.8431, 0.8102, 0.8763, 9.7689, 3.0]
            + [0.0672, 0.0301, 0.1033, SEEDS_AND_EPISODES]
        )
    columns = ["env", "policy", "normalised", "ci_low", "ci_high", "mean_return", "n_seeds"]
    columns += ["lead_over_rule", "lead_low", "lead_high", "ci_covers"]
    return pd.DataFrame(rows, columns=columns)


def widest_saved() -> pd.DataFrame:
    row = ["difficulty_adaptation", "DQN", "final", -2.3761, "best", -2.1012, -14.1234, 9.4567]
    row += [-0.2761, -1.0051, 0.7902, EPISODES_ONLY]
    columns = ["env", "algo", "scored", "scored_normalised", "other", "other_normalised"]
    columns += ["other_ci_low", "other_ci_high", "lead", "lead_low", "lead_high", "ci_covers"]
    return pd.DataFrame([row], columns=columns)


def widest_off_policy() -> pd.DataFrame:
    rows = [
        [policy, estimator, 0.7953, -0.0123, 0.8001, 0.7975, -0.0094, True]
        for policy in ("PPO (greedy)", "logging policy", "always teaching_style_match")
        for estimator in ("IPS", "SNIPS", "DR")
    ]
    columns = ["policy", "estimator", "estimate", "ci_low", "ci_high", "true_value", "error"]
    return pd.DataFrame(rows, columns=[*columns, "covered"])


def widest_episodes() -> pd.DataFrame:
    """`episode_analysis` rows with the longest names and numbers a run gives them."""
    rows = [
        [env, policy, role, 1000, -1234.5678, 1234.5678, 1000.0, 0.9999, -0.9999, seeds]
        for env in ("tutor_matching", "difficulty_adaptation")
        for policy, role, seeds in (
            ("fixed:teaching_style_match", "best hand rule", None),
            ("ppo", "learned (final model)", 3),
        )
    ]
    columns = ["env", "policy", "role", "n_episodes", "mean_return", "std_return"]
    columns += ["mean_length", "success_rate", "consistency", "n_seeds"]
    return pd.DataFrame(rows, columns=columns)


def widest_profile() -> pd.DataFrame:
    """An `action_profile` of tutor matching, the environment with the most actions."""
    names = ["PPO (selected)", "hand rule (fixed:teaching_style_match)", "oracle"]
    shares = {name: [0.2] * len(names) for name in STRATEGIES}
    return pd.DataFrame(
        {**shares, "agrees_with_oracle": [0.3] * len(names)},
        index=pd.Index(names, name="policy"),
    )


def widest_shares() -> pd.DataFrame:
    """A `strategy_shares` table with the longest policy names notebook 05 gives it."""
    columns = ["PPO (greedy)", "logging policy", "always teaching_style_match"]
    columns.append("best per session (oracle)")
    index = [*STRATEGIES, "true value per session"]
    return pd.DataFrame(0.1234, index=index, columns=columns)


def widest_metrics() -> pd.DataFrame:
    index = pd.MultiIndex.from_product(
        [["compatibility", "engagement"], ["mse", "mae", "r2"]], names=["model", "metric"]
    )
    columns = ["forest", "constant", "linear", "bayes", "forest / bayes"]
    return pd.DataFrame(-1234.5678, index=index, columns=columns)


def widest_checks() -> pd.DataFrame:
    """The longest target `checks_table` writes, with an interval beside its number."""
    target = "expected accuracy above every baseline's, expected log loss below"
    index = pd.MultiIndex.from_tuples([("compatibility", target)], names=["model", "target"])
    row = {
        "forest": 1.0553,
        "low": 1.0461,
        "high": 1.0669,
        "bound": 0.0274,
        "bound stated": None,
        "met": True,
    }
    return pd.DataFrame([row], index=index)


def widest_sizes() -> pd.DataFrame:
    """`size_table` rows with a forest of many nodes and a parity difference in scientific
    notation under its long header."""
    row = {
        "n_estimators": 300,
        "min_samples_leaf": 80,
        "max_features": 0.8,
        "nodes": 1_234_567,
        "onnx_MiB": 19.9876,
        "onnx_max_abs_diff": -1.2345e-07,
    }
    return pd.DataFrame([row], index=["compatibility"])


def widest_out_of_sample() -> pd.DataFrame:
    """An `out_of_sample_table` row with the longest draw and model names."""
    index = pd.MultiIndex.from_tuples(
        [("younger_learners", "compatibility")], names=["dataset", "model"]
    )
    row = {
        "metric": "accuracy",
        "value": 0.12345,
        "bayes": 0.12345,
        "ratio": 10.1234,
        "ratio 95% CI": "[10.123, 10.456]",
        "constant ratio": 10.1234,
        "linear ratio": 10.1234,
        "ratio on test set": 10.1234,
        "rows": 100_000,
    }
    return pd.DataFrame([row], index=index)


def widest_importances() -> pd.DataFrame:
    index = pd.MultiIndex.from_tuples(
        [("compatibility", "learning_progress_score")], names=["model", "feature"]
    )
    row = {
        "importance": 12.345678,
        "std": 1.234567,
        "noise floor": -0.000778,
        "floor std": 0.000186,
        "above noise": True,
    }
    return pd.DataFrame([row], index=index)


def widest_served() -> pd.DataFrame:
    """A `served_policies_table` row with both intervals and the longest environment name."""
    row = {
        "served policy": "A2C, seed 10",
        "normalised score": -2.3761,
        "low": -12.3456,
        "high": 10.1234,
        "lead over hand rule": -2.3761,
        "lead low": -12.3456,
        "lead high": 10.1234,
        "interval covers": EPISODES_ONLY,
        "hand rule": -0.1234,
        "upper reference": 1.0,
    }
    return pd.DataFrame([row], index=["difficulty_adaptation"])


def test_the_report_tables_fit_a_1280_pixel_page(tmp_path: Path) -> None:
    tables = [
        results_report_table(widest_results()),
        saved_report_table(widest_saved()),
        off_policy_report_table(widest_off_policy()),
        episode_report_table(widest_episodes()),
        action_profile_report_table(widest_profile()),
        strategy_shares_report_table(widest_shares()),
        metrics_report_table(widest_metrics()),
        checks_report_table(widest_checks()),
        size_report_table(widest_sizes()),
        out_of_sample_report_table(widest_out_of_sample()),
        importance_report_table(widest_importances()),
        served_policies_report_table(widest_served()),
    ]
    nb = nbformat.v4.new_notebook()
    for table in tables:
        cell = nbformat.v4.new_code_cell("show_table(table)")
        with pd.option_context("display.max_colwidth", None):  # as notebook 05 sets it
            shown = table_outputs(table)
        cell.outputs = [nbformat.v4.new_output("display_data", data=shown)]
        nb.cells.append(cell)
    notebook = tmp_path / "03_tables.ipynb"
    nbformat.write(nb, notebook)
    _, report = render_html(notebook)
    report.write_text(report.read_text().replace("</body>", MEASURE + "</body>"))

    dom = dump_dom(report, tmp_path / "profile", "--window-size=1280,1000")
    found = re.search(r'<pre id="widths">([^<]*)</pre>', dom)
    assert found, "the page did not measure its tables"
    widths = [tuple(map(int, line.split())) for line in found.group(1).splitlines()]
    assert len(widths) == len(tables)
    for i, (table, area, scrolled) in enumerate(widths):
        assert table <= min(area, REPORT_IMAGE_PX) and scrolled <= area, (i, widths)
