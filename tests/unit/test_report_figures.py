"""Figures in the HTML reports carry alt text and a caption, as the front page's do."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import nbformat
import pytest

from aura.reports import show_figure
from aura.reports.figure_elements import FIGCAPTION_KEY, FigureElements
from aura.reports.figures import (
    CAPTION_CLASS,
    MIN_TEXT_PX,
    PNG,
    REPORT_IMAGE_PX,
    SERIES_MARKERS,
    figure_outputs,
    shown_text_px,
)
from aura.reports.index import KEY_FIGURE_DPI, KEY_FIGURE_PX
from aura.reports.intervals import cut_intervals
from aura.reports.rendering import render_html

ALT = 'Scores of "A" & <B> against steps'
CAPTION = "Read the rise: B's line overtakes A's."


class _Page(HTMLParser):
    """The page's images' attributes and its captions' text, in the page's order."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[tuple[str, str | None]] = []
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "img":
            self.items.append(("img", attributes.get("alt")))
        elif tag == "p" and attributes.get("class") == CAPTION_CLASS:
            self._in_caption = True
            self.items.append(("caption", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._in_caption = False

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            kind, text = self.items[-1]
            self.items[-1] = (kind, (text or "") + data)


def _page(path: Path) -> list[tuple[str, str | None]]:
    parser = _Page()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.items


@pytest.fixture
def figure() -> Iterator[plt.Figure]:
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    yield fig
    plt.close(fig)


def test_both_reports_give_a_figure_its_alt_text_then_its_caption(
    tmp_path: Path, figure: plt.Figure
) -> None:
    """nbconvert's lab template drops an image's alt text and writes "No description has been
    provided for this image" instead; the reports' template keeps it."""
    cell = nbformat.v4.new_code_cell("show_figure(fig, alt=..., caption=...)")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data=data, metadata=metadata)
        for data, metadata in figure_outputs(figure, ALT, CAPTION)
    ]
    notebook = nbformat.v4.new_notebook(cells=[cell])
    path = tmp_path / "01_figure.ipynb"
    nbformat.write(notebook, path)
    for page in render_html(path):
        assert _page(page) == [("img", ALT), ("caption", CAPTION)], page.name


class _Figures(HTMLParser):
    """Each image of a page, whether a ``figure`` holds it, and each figure's alt text and
    ``figcaption`` text, as a screen reader reads them (character references read once)."""

    def __init__(self) -> None:
        super().__init__()
        self.images_outside: list[str | None] = []
        self.figures: list[dict[str, str | None]] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "figure":
            self.figures.append({"alt": None, "caption": None})
        elif tag == "img" and "figure" in self._open:
            self.figures[-1]["alt"] = dict(attrs).get("alt")
        elif tag == "img":
            self.images_outside.append(dict(attrs).get("alt"))
        elif tag == "figcaption" and "figure" in self._open:
            self.figures[-1]["caption"] = ""
        if tag != "img":
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        if "figcaption" in self._open and "figure" in self._open:
            self.figures[-1]["caption"] = (self.figures[-1]["caption"] or "") + data


def test_both_reports_show_a_figure_as_a_figure_element_with_its_caption(
    tmp_path: Path, figure: plt.Figure
) -> None:
    """The image and its caption were two outputs, which a screen reader read as an image and
    then an unrelated paragraph; in the report they are one ``figure``, its ``figcaption`` the
    caption, escaped once. The executed notebook keeps its two outputs, as JupyterLab shows
    them and nbval compares them."""
    caption = "Read the rise: B & <A> cross at 1."
    cell = nbformat.v4.new_code_cell("show_figure(fig, alt=..., caption=...)")
    cell.outputs = [
        nbformat.v4.new_output("display_data", data=data, metadata=metadata)
        for data, metadata in figure_outputs(figure, ALT, caption)
    ]
    path = tmp_path / "01_figure.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    executed = path.read_bytes()
    for page in render_html(path):
        text = page.read_text(encoding="utf-8")
        parsed = _Figures()
        parsed.feed(text)
        assert parsed.figures == [{"alt": ALT, "caption": caption}], page.name
        assert parsed.images_outside == [], page.name
        assert "B &amp; &lt;A&gt; cross" in text, page.name
    assert path.read_bytes() == executed
    assert len(nbformat.read(path, as_version=4).cells[0].outputs) == 2


@pytest.mark.parametrize(("alt", "caption"), [("", CAPTION), (ALT, "  "), ("", "")])
def test_a_figure_without_alt_text_or_caption_is_refused(
    figure: plt.Figure, alt: str, caption: str
) -> None:
    with pytest.raises(ValueError, match="alt text and a caption"):
        figure_outputs(figure, alt, caption)


def test_a_key_figure_is_kept_for_the_front_page_with_both_and_closed(
    tmp_path: Path, figure: plt.Figure
) -> None:
    show_figure(figure, alt=ALT, caption=CAPTION, run_dir=tmp_path, key="scores")
    saved = tmp_path / "figures"
    assert (saved / "scores.png").is_file()
    assert (saved / "scores.txt").read_text(encoding="utf-8") == CAPTION
    assert (saved / "scores.alt.txt").read_text(encoding="utf-8") == ALT
    assert not plt.fignum_exists(figure.number)  # the inline backend will not show it again


def legend_figure(width: float, fontsize: float) -> plt.Figure:
    """A figure ``width`` inches wide whose smallest text is its legend, of ``fontsize``."""
    fig, axes = plt.subplots(1, 3, figsize=(width, 4))
    for ax in axes:
        ax.plot([0, 1], [0, 1], label="noise floor")
        ax.legend(fontsize=fontsize)
    fig.tight_layout()
    return fig


def test_the_smallest_text_is_measured_as_the_page_shows_it() -> None:
    """A figure that fits the page shows its text at its size (8 points at 100 dpi: 11.1
    pixels); one wider than the page is scaled down to it, its text with it."""
    narrow, wide = legend_figure(8, 8), legend_figure(15, 8)
    px, text = shown_text_px(narrow, REPORT_IMAGE_PX, 100)
    assert px == pytest.approx(8 * 100 / 72) and text == "noise floor"
    px, text = shown_text_px(wide, REPORT_IMAGE_PX, 100)
    # the saved image is about as wide as the figure: its tight box trims the margins, pads 0.1"
    assert px == pytest.approx(8 * 100 / 72 * REPORT_IMAGE_PX / (15 * 100), rel=0.03)
    assert px < MIN_TEXT_PX
    plt.close("all")


def test_a_figure_whose_text_the_report_shrinks_under_the_minimum_is_refused() -> None:
    """Notebook 04's importance chart, 15 inches wide, showed its legends of size 8 at about 9
    pixels; the same legends of size 9 in a 13-inch figure read at 11."""
    with pytest.raises(ValueError, match=r"'noise floor' is shown at 9\.\d px in the report"):
        figure_outputs(legend_figure(15, 8), ALT, CAPTION)
    assert len(figure_outputs(legend_figure(13, 9), ALT, CAPTION)) == 2
    plt.close("all")


def test_a_key_figure_is_checked_as_the_front_page_shows_it(tmp_path: Path) -> None:
    """The front page shows a key figure at most 960 pixels wide, from a file saved at 110 dpi:
    notebook 05's 11-inch RL figure, whose legends of size 8 the report shows whole, read there
    at under 10 pixels. It is refused with or without a run to save it in."""
    fig = legend_figure(11, 8)
    assert shown_text_px(fig, REPORT_IMAGE_PX, 100)[0] >= MIN_TEXT_PX
    assert shown_text_px(fig, KEY_FIGURE_PX, KEY_FIGURE_DPI)[0] < MIN_TEXT_PX
    show_figure(fig, alt=ALT, caption=CAPTION)  # not a key figure: the report alone
    for run_dir in (None, tmp_path):
        with pytest.raises(ValueError, match="in the front page, under 10 px"):
            show_figure(legend_figure(11, 8), alt=ALT, caption=CAPTION, run_dir=run_dir, key="k")
    assert not (tmp_path / "figures").exists()
    show_figure(legend_figure(11, 9), alt=ALT, caption=CAPTION, run_dir=tmp_path, key="k")
    assert (tmp_path / "figures" / "k.png").is_file()
    plt.close("all")


def legends_below(ncol: int) -> plt.Figure:
    """Notebook 05's RL figure in small: two 5.5-inch panels, each with six reference lines
    named in a legend set below it, ``ncol`` entries a row."""
    labels = [
        "hand rule (0.76)",
        "observation ceiling (0.75)",
        "oracle (1)",
        "PPO's target (0.90)",
        "random (0)",
        "learned (95% CI)",
    ]
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
    for ax, title in zip(axes, ("Tutor matching", "Difficulty adaptation"), strict=True):
        for k, label in enumerate(labels):
            ax.axhline(k / 10, label=label)
        ax.set_title(title)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=ncol, fontsize=9)
    fig.tight_layout()
    return fig


def test_a_figure_whose_legends_overlap_is_refused() -> None:
    """Three entries a row made each legend wider than its panel, and the second panel's legend
    hid the end of the first's: "learned (95% CI)" read "learned (95% C". Two a row fit."""
    fig = legends_below(3)
    first, second = (ax.get_legend().get_window_extent() for ax in fig.axes)
    assert first.x1 > second.x0  # drawn, the first legend runs under the second
    with pytest.raises(
        ValueError, match="legend of 'Tutor matching' overlaps the legend of 'Difficulty adapt"
    ):
        figure_outputs(fig, ALT, CAPTION)
    fig = legends_below(2)
    first, second = (ax.get_legend().get_window_extent() for ax in fig.axes)
    assert first.x1 < second.x0
    assert len(figure_outputs(fig, ALT, CAPTION)) == 2
    plt.close("all")


def test_a_legend_over_another_panel_is_refused() -> None:
    """A legend pushed out of its panel onto the next hides that panel's data."""
    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    axes[0].plot([0, 1], [0, 1], label="noise floor")
    axes[1].set_title("engagement")
    axes[0].legend(loc="center left", bbox_to_anchor=(1.1, 0.5))
    with pytest.raises(ValueError, match="overlaps the panel 'engagement'"):
        figure_outputs(fig, ALT, CAPTION)
    plt.close("all")


def test_series_that_differ_by_colour_alone_are_refused() -> None:
    """Notebook 03 drew PPO, DQN and A2C as three plain lines: printed in grey, or to a reader who
    sees no colour, one line. The refusal names both series and the panel."""
    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    axes[1].set_title("Difficulty adaptation")
    for ax in axes:
        ax.plot([0, 1, 2], [0.1, 0.5, 0.8], marker="o", label="PPO")
        ax.plot([0, 1, 2], [0.1, 0.4, 0.7], marker="s", label="DQN")
    axes[1].plot([0, 1, 2], [0.2, 0.3, 0.6], marker="o", label="A2C")
    with pytest.raises(
        ValueError,
        match=r"series 'PPO' and 'A2C' of the panel 'Difficulty adaptation' differ by colour alone",
    ):
        figure_outputs(fig, ALT, CAPTION)
    axes[1].lines[-1].set_marker(SERIES_MARKERS[2])
    assert len(figure_outputs(fig, ALT, CAPTION)) == 2
    axes[1].lines[-1].set_marker("o")
    axes[1].lines[-1].set_linestyle("--")  # a line style of its own tells it apart too
    assert len(figure_outputs(fig, ALT, CAPTION)) == 2
    plt.close("all")


def test_a_panel_without_a_title_is_named_by_its_number() -> None:
    fig, axes = plt.subplots(1, 2, figsize=(8, 3))
    axes[1].plot([0, 1, 2], [0, 1, 2], label="IPS")
    axes[1].plot([0, 1, 2], [1, 1, 2], label="DR")
    with pytest.raises(ValueError, match="'IPS' and 'DR' of the panel number 2 differ"):
        figure_outputs(fig, ALT, CAPTION)
    plt.close("all")


def test_points_with_error_bars_that_differ_by_colour_alone_are_refused() -> None:
    """Notebook 05's estimators are points with intervals, one colour each, labelled once: the
    label is the error bars' container's, which is what the check reads."""
    fig, ax = plt.subplots(figsize=(6, 3))
    for i in range(2):  # two policies, each with its two estimates, labelled at the first
        for j, name in enumerate(("IPS", "DR")):
            ax.errorbar(i + j / 4, 1.0, yerr=0.1, fmt="o", label=name if i == 0 else None)
    with pytest.raises(ValueError, match="'IPS' and 'DR' of the panel number 1"):
        figure_outputs(fig, ALT, CAPTION)
    plt.close("all")
    fig, ax = plt.subplots(figsize=(6, 3))
    for i in range(2):
        for j, name in enumerate(("IPS", "DR")):
            ax.errorbar(
                i + j / 4, 1.0, yerr=0.1, fmt=SERIES_MARKERS[j], label=name if i == 0 else None
            )
    assert len(figure_outputs(fig, ALT, CAPTION)) == 2
    plt.close("all")


def test_reference_lines_and_unlabelled_lines_are_not_series() -> None:
    """Random (0) and the oracle (1) are dashed lines across the panel, told apart by where they
    stand and their labels; a diagonal drawn without a label is a guide, not a series."""
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([0, 1, 2], [0.2, 0.5, 0.7], marker="o", label="PPO")
    ax.axhline(1.0, ls="--", color="black", label="oracle")
    ax.axhline(0.0, ls="--", color="red", label="random")
    ax.axvline(1.0, ls="--", label="budget")
    ax.plot([0, 2], [0, 1], color="black", lw=1)
    ax.plot([0, 2], [1, 0], color="grey", lw=1)
    assert len(figure_outputs(fig, ALT, CAPTION)) == 2
    plt.close("all")
    # where the x axis runs from 0 to 1, an axhline's blended transform compares equal to the
    # data's; it is still a reference line
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.axhline(0.76, ls="--", label="hand rule")
    ax.axhline(0.75, ls="--", label="observation ceiling")
    ax.set_xlim(0, 1)
    assert len(figure_outputs(fig, ALT, CAPTION)) == 2
    plt.close("all")


def test_cut_intervals_draws_the_marker_it_is_given() -> None:
    fig, ax = plt.subplots(figsize=(6, 3))
    for j, algo in enumerate(("PPO", "DQN")):
        kwargs = {"fmt": SERIES_MARKERS[j]} if j else {}
        cut_intervals(ax, [j], [0.5], [0.4], [0.6], bottom=0.0, top=1.0, label=algo, **kwargs)
    drawn = [c.lines[0].get_marker() for c in ax.containers]
    assert drawn == ["o", SERIES_MARKERS[1]]  # "o" when none is given, as before
    plt.close("all")


def test_only_a_caption_right_after_its_image_joins_it(figure: plt.Figure) -> None:
    """Two figures in one cell each take their own caption; an HTML output that is not a
    caption as `show_figure` writes it, or a caption after anything but an image with alt text,
    stays an output of its own."""
    (image, image_meta), (caption, _) = figure_outputs(figure, ALT, CAPTION)
    table = {"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "1"}
    forged = {"text/html": f'<p class="{CAPTION_CLASS}">{CAPTION}</p>', "text/plain": "other"}

    def cell(*outputs: tuple[dict[str, str], dict[str, Any]]) -> Any:
        return nbformat.v4.new_code_cell(
            "",
            outputs=[
                nbformat.v4.new_output("display_data", data=d, metadata=copy.deepcopy(m))
                for d, m in outputs
            ],
        )

    two = cell((image, image_meta), (caption, {}), (image, image_meta), (caption, {}))
    joined, _ = FigureElements().preprocess_cell(two, {}, 0)
    assert [o.metadata[PNG][FIGCAPTION_KEY] for o in joined.outputs] == [caption["text/html"]] * 2
    apart = cell((image, image_meta), (table, {}), (caption, {}), (image, image_meta), (forged, {}))
    kept, _ = FigureElements().preprocess_cell(apart, {}, 0)
    assert len(kept.outputs) == 5
    assert not any(FIGCAPTION_KEY in o.metadata.get(PNG, {}) for o in kept.outputs)


def test_a_caption_joins_only_an_image_with_alt_text_and_no_caption_yet(
    figure: plt.Figure,
) -> None:
    """The page draws a ``figcaption`` only for an image with alt text, so a caption handed to
    anything else would be lost: after an image without alt text, after output that carries
    the image's metadata but no image, or after an image that already holds a caption, the
    caption stays an output of its own; so does an HTML result that reads like a caption."""
    (image, image_meta), (caption, _) = figure_outputs(figure, ALT, CAPTION)
    second = {
        "text/html": f'<p class="{CAPTION_CLASS}">Then A again.</p>',
        "text/plain": "Then A again.",
    }

    def run(*outputs: Any) -> list[Any]:
        cell = nbformat.v4.new_code_cell("", outputs=list(outputs))
        return FigureElements().preprocess_cell(cell, {}, 0)[0].outputs

    def shown(data: dict[str, str], metadata: dict[str, Any] | None = None) -> Any:
        return nbformat.v4.new_output("display_data", data=data, metadata=metadata or {})

    no_alt = shown(image, {PNG: {"width": 10}})
    assert len(run(no_alt, shown(caption))) == 2
    no_image = shown({"text/plain": ALT}, copy.deepcopy(image_meta))
    assert len(run(no_image, shown(caption))) == 2
    outputs = run(shown(image, copy.deepcopy(image_meta)), shown(caption), shown(second))
    assert [o.metadata.get(PNG, {}).get(FIGCAPTION_KEY) for o in outputs] == [
        f'<p class="{CAPTION_CLASS}">Read the rise: B&#x27;s line overtakes A&#x27;s.</p>',
        None,
    ]
    assert outputs[1].data["text/plain"] == "Then A again."
    result = nbformat.v4.new_output("execute_result", data=caption, execution_count=1)
    assert len(run(shown(image, copy.deepcopy(image_meta)), result)) == 2


def test_a_caption_joins_only_an_image_show_figure_displayed(figure: plt.Figure) -> None:
    """`show_figure` displays a figure's image and then its caption, both ``display_data``. An
    image a cell returns, its ``execute_result``, was not displayed by it, even with alt text in
    its metadata: it is a cell's last output, so a caption output after it is not its caption
    (the page shows that result under its "Out[n]:" prompt, apart from the caption)."""
    (image, image_meta), (caption, _) = figure_outputs(figure, ALT, CAPTION)
    returned = nbformat.v4.new_output(
        "execute_result", data=image, metadata=copy.deepcopy(image_meta), execution_count=1
    )
    shown = nbformat.v4.new_output("display_data", data=caption)
    cell = nbformat.v4.new_code_cell("", outputs=[returned, shown])
    outputs = FigureElements().preprocess_cell(cell, {}, 0)[0].outputs
    assert [o.output_type for o in outputs] == ["execute_result", "display_data"]
    assert FIGCAPTION_KEY not in outputs[0].metadata[PNG]
    assert outputs[1].data == caption
