"""The RL results and off-policy tables of notebooks 03 and 05 fit a 1,280-pixel page.

Each is rendered as the notebook's report renders it (`aura.reports.runner.render_html`), with
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

from aura.evaluation.ope import off_policy_report_table
from aura.reports.figures import REPORT_IMAGE_PX
from aura.reports.runner import render_html
from aura.reports.tables import table_outputs
from aura.rl.intervals import EPISODES, EPISODES_ONLY, SEEDS_AND_EPISODES
from aura.rl.tables import results_report_table, saved_report_table

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


def test_the_report_tables_fit_a_1280_pixel_page(tmp_path: Path) -> None:
    tables = [
        results_report_table(widest_results()),
        saved_report_table(widest_saved()),
        off_policy_report_table(widest_off_policy()),
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
