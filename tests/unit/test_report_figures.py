"""Figures in the HTML reports carry alt text and a caption, as the front page's do."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pytest

from aura.reports import show_figure
from aura.reports.figures import CAPTION_CLASS, figure_outputs
from aura.reports.runner import render_html

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
