"""Every figure the committed notebooks draw reaches their reports with alt text and a caption.

A figure left to the inline backend reaches the HTML report as an image without either (see
`aura.reports.figures`), and nbval would not notice: it compares summary cells only.
"""

from __future__ import annotations

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
