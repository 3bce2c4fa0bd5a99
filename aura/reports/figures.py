"""Figures in the notebooks' HTML reports, each with alt text and a caption.

A figure left to matplotlib's inline backend reaches the report as a bare image: nbconvert gives it
the alt text "No description has been provided for this image", and nothing beside it says what
to read from it, so a stakeholder reading the report, or a screen reader, got nothing for it.
`show_figure` displays the image with its alt text in the output's metadata (`image/png` → `alt`,
the key nbconvert's classic template reads and the runner's template reads too), then its caption
as a paragraph of its own, and can keep the figure for the run's front page with both.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from aura.reports.index import save_figure

PNG = "image/png"
ALT_KEY = "alt"
CAPTION_CLASS = "aura-figure-caption"
"""The class of a caption's paragraph, which the report's style sets apart from the prose."""


def figure_outputs(fig: Any, alt: str, caption: str) -> list[tuple[dict[str, str], dict[str, Any]]]:
    """The figure's two display outputs as (data, metadata): the PNG, drawn as the inline
    backend draws it, with ``alt`` in its metadata and as its plain-text form (what a frontend
    without images shows), and the caption as HTML and plain text.

    A blank ``alt`` or ``caption`` is refused: a report figure without them is what this
    replaces."""
    from IPython.core.pylabtools import print_figure

    if not alt.strip() or not caption.strip():
        raise ValueError("a report figure needs both alt text and a caption")
    png = print_figure(fig, "png", base64=True)
    if png is None:  # print_figure draws nothing for a figure without axes
        raise ValueError(f"the figure has nothing drawn: {alt}")
    image = ({PNG: png, "text/plain": alt}, {PNG: {ALT_KEY: alt}})
    paragraph = f'<p class="{CAPTION_CLASS}">{html.escape(caption)}</p>'
    text = ({"text/html": paragraph, "text/plain": caption}, {})
    return [image, text]


def show_figure(
    fig: Any,
    *,
    alt: str,
    caption: str,
    run_dir: str | Path | None = None,
    key: str | None = None,
) -> None:
    """Display ``fig`` in the notebook with its alt text (what it shows) and its caption (what to
    read from it), then close it, so that the inline backend does not show it a second time
    without either. With ``key``, also save it as the key figure ``key`` of the run in
    ``run_dir`` (`save_figure`), for the front page to show with the same alt text and caption.
    Returns nothing, for a notebook cell to print nothing more into the report."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    outputs = figure_outputs(fig, alt, caption)
    if key is not None:
        save_figure(fig, run_dir, key, caption, alt=alt)
    for data, metadata in outputs:
        display(data, raw=True, metadata=metadata)
    plt.close(fig)
