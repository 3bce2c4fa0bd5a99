"""Every figure the committed notebooks draw reaches their reports with alt text and a caption.

A figure left to the inline backend reaches the HTML report as an image without either (see
`aura.reports.figures`), and nbval would not notice: it compares summary cells only.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from aura.reports.notebook_outputs import committed_notebooks, read_notebook

NOTEBOOKS = committed_notebooks()
DRAWS = re.compile(r"\bplt\.(subplots|figure)\(")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_figure_is_shown_with_alt_text_and_a_caption(notebook: Path) -> None:
    cells = [
        (i, cell.source)
        for i, cell in enumerate(read_notebook(notebook).cells, start=1)
        if cell.cell_type == "code"
    ]
    unshown = [i for i, source in cells if DRAWS.search(source) and "show_figure(" not in source]
    bare = [i for i, source in cells if "plt.show()" in source]
    assert not unshown and not bare, (
        f"{notebook.name}: cells {sorted(set(unshown + bare))} draw a figure without "
        "aura.reports.show_figure(fig, alt=..., caption=...)"
    )


REPORT_LINE_CHARS = 140
"""What a code-free report shows of a printed line on a 1280-pixel-wide screen (about 157
characters of its 13-pixel monospace font, less the page with code's prompts): a printed
table's columns past it are cut off at the page's edge, reached only by scrolling that output
sideways, and lost on paper."""


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_recorded_summaries_fit_a_1280_pixel_page(notebook: Path) -> None:
    """Notebook 06's parity table printed its "passed" column 245 characters in, past the page's
    edge, and notebook 04's feature tables their features; a reader saw neither."""
    wide = [
        (i, len(line))
        for i, cell in enumerate(read_notebook(notebook).cells, start=1)
        for output in cell.get("outputs", [])
        for line in str(output.get("text", "")).splitlines()
        if len(line) > REPORT_LINE_CHARS
    ]
    assert not wide, (
        f"{notebook.name}: (cell, characters) {wide} print lines wider than {REPORT_LINE_CHARS} "
        "characters, cut off at a 1280-pixel page's edge"
    )


PYTHON_WORDS = re.compile(r"\b(True|False|None|nan|NaN)\b")
"""How Python and pandas print a flag, a missing value and a number that is not one; a report
says yes, no or a dash (`aura.reports.tables`)."""


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_recorded_summaries_speak_in_words_not_python_values(notebook: Path) -> None:
    """Notebook 06 printed its parity verdicts, size checks and version check as True, and
    notebook 04 its size and tolerance checks, where every other report table says yes or no."""
    raw = [
        (i, line.strip())
        for i, cell in enumerate(read_notebook(notebook).cells, start=1)
        for output in cell.get("outputs", [])
        for line in str(output.get("text", "")).splitlines()
        if PYTHON_WORDS.search(line)
    ]
    assert not raw, f"{notebook.name}: (cell, line) {raw} print Python's values, not words"


def _last_statement_writes_metrics(source: str) -> bool | None:
    """Whether a cell that calls write_metrics ends with that call (None: it calls none)."""
    body = ast.parse(source).body
    calls = [
        node
        for node in ast.walk(ast.Module(body=body, type_ignores=[]))
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "write_metrics"
    ]
    if not calls:
        return None
    last = body[-1]
    return isinstance(last, ast.Expr) and last.value in calls


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_cell_that_writes_metrics_ends_with_it(notebook: Path) -> None:
    """Notebooks 02 and 03 ended their metrics cells with the metrics as a table keyed by their
    JSON names ("tutor_matching/ppo/normalised", "train_wall_seconds"), numbers without their
    references that the tables above already gave beside them. What a notebook shows goes
    before its write_metrics call (notebook 05's headline rows), and the call returns nothing."""
    shown_after = [
        i
        for i, cell in enumerate(read_notebook(notebook).cells, start=1)
        if cell.cell_type == "code" and _last_statement_writes_metrics(cell.source) is False
    ]
    assert not shown_after, (
        f"{notebook.name}: cells {shown_after} show something after write_metrics(...)"
    )


PALETTE_CALL = "use_report_palette()"
RESETS_PALETTE = re.compile(r"\bsns\.(set_theme|set|set_palette)\(|\bprop_cycle\b")
"""What puts another palette in place of the report's: seaborn's theme, its palette, or
matplotlib's colour cycle set by hand."""


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_figures_draw_in_the_report_palette(notebook: Path) -> None:
    """Every figure draws its series in `REPORT_PALETTE`, set once before the first figure and
    not replaced after: in matplotlib's and seaborn's default colours, notebook 03's DQN and A2C
    curves, 04's calibration classes and 05's SNIPS and DR estimates were orange and green, one
    colour to a reader with protanopia (tests/unit/test_report_palette.py)."""
    code = "\n".join(
        cell.source for cell in read_notebook(notebook).cells if cell.cell_type == "code"
    )
    first_figure = DRAWS.search(code)
    if first_figure is None:
        return  # draws nothing
    palette_set = code.rfind(PALETTE_CALL, 0, first_figure.start())
    resets = [m.start() for m in RESETS_PALETTE.finditer(code)]
    assert palette_set >= 0, f"{notebook.name}: draws a figure before calling {PALETTE_CALL}"
    assert all(at < palette_set for at in resets), (
        f"{notebook.name}: replaces the report palette after {PALETTE_CALL} (sns.set_theme, "
        "sns.set_palette or a prop_cycle): call it after them"
    )


DESCRIBE = re.compile(r"\.describe\(\)")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_a_described_table_shows_its_count_as_a_whole_number(notebook: Path) -> None:
    """``describe()`` gives a column's count as a float beside its statistics: shown as it is,
    notebook 04's feature tables read 20000.0 rows. A cell that shows one gives its count
    column to `aura.reports.tables.readable` (``counts=["count"]``)."""
    raw = [
        i
        for i, cell in enumerate(read_notebook(notebook).cells, start=1)
        if cell.cell_type == "code"
        and DESCRIBE.search(cell.source)
        and 'counts=["count"]' not in cell.source
    ]
    assert not raw, f"{notebook.name}: cells {raw} show describe()'s count with decimals"
