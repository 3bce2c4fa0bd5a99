"""Figures in the notebooks' HTML reports, each with alt text and a caption.

A figure left to matplotlib's inline backend reaches the report as a bare image: nbconvert gives it
the alt text "No description has been provided for this image", and nothing beside it says what
to read from it, so a stakeholder reading the report, or a screen reader, got nothing for it.
`show_figure` displays the image with its alt text in the output's metadata (`image/png` → `alt`,
the key nbconvert's classic template reads and the runner's template reads too), then its caption
as a paragraph of its own, and can keep the figure for the run's front page with both. The two
outputs stay two in the executed notebook, as JupyterLab shows them and nbval compares them; the
HTML report joins them into one ``figure`` whose ``figcaption`` is the caption
(`aura.reports.figure_elements`), for a screen reader to read the caption as the image's.

A figure wider than the page is scaled down to it, and its text with it: a legend of size 8 in
notebook 04's 15-inch importance chart read at about 9 pixels on a 1,280-pixel screen, and notebook
05's legends at under 10 on the front page. `shown_text_px` says how large a figure's smallest
text is shown, and `show_figure` refuses one whose text would be shown under `MIN_TEXT_PX`, in
the report or, for a key figure, on the front page, naming the text and what to change; and one
whose legend overlaps another legend or another panel (`check_legends_apart`), where a legend set
below a panel runs under its neighbour's and hides entries.

`use_report_palette` sets the colours a figure's series take in turn to `REPORT_PALETTE`, which a
reader with a common colour-vision deficiency can tell apart: with matplotlib's and seaborn's
default colours, the second and third series (orange and green) were all but one colour under
protanopia, and they were all a reader had to tell apart notebook 03's DQN and A2C curves,
notebook 04's calibration classes and notebook 05's estimators and algorithms.

Colour alone still fails a reader who prints a report in grey or sees no colour at all, so
`show_figure` also refuses a panel in which two labelled series, lines or points with error bars
drawn in data coordinates, differ by colour alone (`check_series_apart`): each takes its own
marker from `SERIES_MARKERS` or its own line style. A reference line drawn across a panel
(``axhline``, ``axvline``) is not a series: it stands at the value its label gives.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from aura.reports.index import KEY_FIGURE_DPI, KEY_FIGURE_PX, save_figure

PNG = "image/png"
ALT_KEY = "alt"
CAPTION_CLASS = "aura-figure-caption"
"""The class of a caption's paragraph, which the report's style sets apart from the prose."""

REPORT_IMAGE_PX = 1219
"""The widest an image is shown in a notebook's report on a 1,280-pixel-wide window: its output
area, 1,234 pixels in Chromium, less a 15-pixel scroll bar. A wider image is scaled down to it."""
MIN_TEXT_PX = 10.0
"""The smallest text a figure may show, in screen pixels (the prose is 14)."""
TIGHT_PAD_INCHES = 0.1
"""Matplotlib's padding around a figure saved with ``bbox_inches="tight"``, on each side."""
REPORT_PALETTE = (
    "#0173b2",
    "#cc8305",
    "#029e73",
    "#d55e00",
    "#cc78bc",
    "#ca9161",
    "#fbafe4",
    "#949494",
    "#ece133",
    "#56b4e9",
)
"""Seaborn's "colorblind" palette of the Okabe-Ito colours, its orange darkened in the same hue.
Its first three, blue, orange and green, the most series a report figure draws in colour alone,
stay apart under simulated protanopia, deuteranopia and tritanopia, and each stands out from the
notebooks' white axes at WCAG 2.1's 3:1 for a graphical object (success criterion 1.4.11;
tests/unit/test_report_palette.py). Seaborn's orange, #de8f05, was 2.61:1 on white, its lines
and markers faint; #cc8305, its hue and saturation at HSV value 0.80 (seaborn's: 0.87), is
3.08:1, beside the blue's 5.13:1 and the green's 3.42:1. The three stay at least 12.1 CIEDE2000
units apart (blue and green under tritanopia, as before); orange and green, the closest pair
under protanopia, are 15.6 apart (16.2 before). Its fourth, vermilion, is close to its second,
orange, under deuteranopia (4.6 units), so a figure with more series tells them apart by line
style or marker too."""


SERIES_MARKERS = ("o", "s", "^", "D", "v", "P", "X")
"""The markers a figure's series take in turn, one per series, so that series drawn in the same
line style differ by more than colour (`check_series_apart`)."""


REFERENCE_LINES: dict[str, dict[str, Any]] = {
    "random": {"color": "grey", "ls": ":", "lw": 1},
    "oracle": {"color": "black", "ls": "--", "lw": 1},
    "hand_rule": {"color": "tab:brown", "ls": "-.", "lw": 1},
    "ceiling": {"color": "tab:purple", "ls": "--", "lw": 1},
    "experience": {"color": "teal", "ls": ":", "lw": 1},
    "target": {"color": "tab:red", "ls": "-", "lw": 1},
}
"""How each reference of the normalised scale is drawn across a panel (``ax.axhline(value,
**REFERENCE_LINES[key], label=...)``), the same in every notebook: notebook 03's learning
curves drew random red dashed and the hand rule grey dotted, where notebook 05 (and the front
page's key figure) drew random grey dotted and the hand rule orange dashed, so a reader going
from one to the other read one line as two references. Keys are those of a grid's
``references`` (``hand_rule``, ``ceiling``, ``experience``) and the scale's ends and PPO's
target. None of the colours is a series colour of `REPORT_PALETTE`'s first three, and each
stands out from the white axes at 3:1 or more (tests/unit/test_report_palette.py); lines of
one style differ in colour, and each is labelled with its value in the legend."""


def use_report_palette() -> None:
    """Make `REPORT_PALETTE` the colours a figure's lines, bars and points take in turn, and
    ``seaborn.color_palette()``'s colours. A notebook calls it once, after ``sns.set_theme``,
    which would put seaborn's default palette back."""
    import seaborn as sns

    sns.set_palette(REPORT_PALETTE)


def shown_text_px(fig: Any, width_px: float, dpi: float) -> tuple[float, str]:
    """The size in screen pixels at which the smallest text of ``fig``, saved at ``dpi`` with
    a tight bounding box, is shown in a space ``width_px`` wide (an image wider than that is
    scaled down to it), and that text. A figure without text gives infinity."""
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    width_in = fig.get_tightbbox(renderer).width + 2 * TIGHT_PAD_INCHES
    scale = min(1.0, width_px / (width_in * dpi))
    texts = [
        t
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_window_extent(renderer).width > 0
    ]
    if not texts:
        return float("inf"), ""
    smallest = min(texts, key=lambda t: t.get_fontsize())
    return float(smallest.get_fontsize() * dpi / 72 * scale), smallest.get_text()


def check_text_size(fig: Any, width_px: float, dpi: float, where: str) -> None:
    """Refuse ``fig`` where its smallest text would be shown under `MIN_TEXT_PX` in ``where``
    (a space ``width_px`` wide, the figure saved at ``dpi``), naming the text and its size."""
    px, text = shown_text_px(fig, width_px, dpi)
    if px < MIN_TEXT_PX:
        raise ValueError(
            f"the figure's text {text[:40]!r} is shown at {px:.1f} px in {where}, under "
            f"{MIN_TEXT_PX:.0f} px: enlarge its font or narrow the figure"
        )


def _legend_name(legend: Any) -> str:
    """A legend as a reader finds it: its axes' title, else its first entry."""
    title = legend.axes.get_title() if legend.axes is not None else ""
    entries = [t.get_text() for t in legend.get_texts()]
    return repr(title or (entries[0] if entries else "legend"))


def check_legends_apart(fig: Any) -> None:
    """Refuse ``fig`` where a legend overlaps another legend or the plotting area of another
    panel, naming both: the legends that notebook 05 set below its two RL panels ran into each
    other, and the second hid the first's last entry, "learned (95% CI)", the one that says what
    the points and their bars are. A legend inside its own panel is the reader's to judge."""
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None]
    legends += list(fig.legends)
    boxes = [(legend, legend.get_window_extent(renderer)) for legend in legends]
    for i, (legend, box) in enumerate(boxes):
        for other, other_box in boxes[i + 1 :]:
            if box.overlaps(other_box):
                raise ValueError(
                    f"the legend of {_legend_name(legend)} overlaps the legend of "
                    f"{_legend_name(other)}: give the legends fewer columns or widen the figure"
                )
        for ax in fig.axes:
            if ax is not legend.axes and ax.get_visible() and box.overlaps(ax.bbox):
                name = repr(ax.get_title() or ax.get_label())
                raise ValueError(
                    f"the legend of {_legend_name(legend)} overlaps the panel {name}: give the "
                    "legend fewer columns or widen the figure"
                )


def _series_looks(ax: Any) -> list[tuple[str, tuple[str, str]]]:
    """The labelled series of ``ax`` as (label, (line style, marker)): its lines in data
    coordinates and its points with error bars (whose label is their container's). A reference
    line across the panel is drawn in axes coordinates along one axis and is left out, and so is
    an unlabelled line such as a diagonal."""
    from matplotlib.container import ErrorbarContainer

    def look(line: Any) -> tuple[str, str]:
        marker = line.get_marker()
        return str(line.get_linestyle()), "" if marker in (None, "None", "", " ") else str(marker)

    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    in_bars = {id(c.lines[0]) for c in bars if c.lines[0] is not None}
    series = [
        (line.get_label(), look(line))
        for line in ax.get_lines()
        if not line.get_label().startswith("_")
        and line.get_transform() is ax.transData
        and id(line) not in in_bars
    ]
    series += [
        (c.get_label(), look(c.lines[0]))
        for c in bars
        if c.lines[0] is not None and not str(c.get_label()).startswith("_")
    ]
    return series


def check_series_apart(fig: Any) -> None:
    """Refuse ``fig`` where two labelled series of one panel share their line style and marker,
    naming both and the panel: in grey, or to a reader who sees no colour, they are one series.
    Notebook 03's learning curves drew PPO, DQN and A2C as three plain lines, and notebook 04's
    calibration curves its three classes with the same marker."""
    for number, ax in enumerate(fig.axes, start=1):
        seen: dict[tuple[str, str], str] = {}
        for label, looks in _series_looks(ax):
            if looks in seen:
                panel = repr(ax.get_title()) if ax.get_title() else f"number {number}"
                raise ValueError(
                    f"the series {seen[looks]!r} and {label!r} of the panel {panel} differ by "
                    "colour alone: give each its own marker (aura.reports.figures.SERIES_MARKERS) "
                    "or line style"
                )
            seen[looks] = label


def caption_paragraph(caption: str) -> str:
    """``caption`` as the HTML paragraph a figure's caption output shows, escaped once."""
    return f'<p class="{CAPTION_CLASS}">{html.escape(caption)}</p>'


def figure_outputs(fig: Any, alt: str, caption: str) -> list[tuple[dict[str, str], dict[str, Any]]]:
    """The figure's two display outputs as (data, metadata): the PNG, drawn as the inline
    backend draws it, with ``alt`` in its metadata and as its plain-text form (what a frontend
    without images shows), and the caption as HTML and plain text.

    A blank ``alt`` or ``caption`` is refused: a report figure without them is what this
    replaces. So is a figure whose smallest text the report would show under `MIN_TEXT_PX`
    (`check_text_size`), and one whose legends overlap each other or another panel
    (`check_legends_apart`), and one whose series differ by colour alone
    (`check_series_apart`)."""
    from IPython.core.pylabtools import print_figure

    if not alt.strip() or not caption.strip():
        raise ValueError("a report figure needs both alt text and a caption")
    check_text_size(fig, REPORT_IMAGE_PX, fig.dpi, "the report")
    check_legends_apart(fig)
    check_series_apart(fig)
    png = print_figure(fig, "png", base64=True)
    if png is None:  # print_figure draws nothing for a figure without axes
        raise ValueError(f"the figure has nothing drawn: {alt}")
    image = ({PNG: png, "text/plain": alt}, {PNG: {ALT_KEY: alt}})
    text = ({"text/html": caption_paragraph(caption), "text/plain": caption}, {})
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
    if key is not None:  # checked without a run too, so that a notebook's own run finds it
        check_text_size(fig, KEY_FIGURE_PX, KEY_FIGURE_DPI, "the front page")
        save_figure(fig, run_dir, key, caption, alt=alt)
    for data, metadata in outputs:
        display(data, raw=True, metadata=metadata)
    plt.close(fig)
