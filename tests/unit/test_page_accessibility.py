"""What stakeholders read, a notebook's report, the run's front page and the service's dashboard,
reads with a screen reader and in low vision: a language, a title, one h1 and headings in order,
every table header cell scoped to its column or row, every figure a ``figure`` with its alt
text and its caption, and
every text colour of the page's own style at WCAG 2.1 AA contrast against its background."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import pytest
from matplotlib.colors import to_hex, to_rgb

from aura.api import dashboard
from aura.api.observability import Metrics
from aura.reports import index, save_figure, write_index, write_metrics
from aura.reports.figures import figure_outputs
from aura.reports.metrics import collect_metrics
from aura.reports.rendering import SELF_CONTAINED_TEMPLATE, render_html
from aura.reports.tables import readable, table_outputs


class Outline(HTMLParser):
    """What a screen reader navigates a page by."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.title = ""
        self.headings: list[int] = []
        self.header_cells: list[tuple[str, str | None]] = []
        """(the table part a ``th`` is in, its scope)."""
        self.figures: list[dict[str, str]] = []
        self.images_outside_figures = 0
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "th":
            part = next((t for t in reversed(self._open) if t in ("thead", "tbody")), "")
            self.header_cells.append((part, attributes.get("scope")))
        elif tag == "figure":
            self.figures.append({})
        elif tag == "img" and "figure" in self._open:
            self.figures[-1]["alt"] = attributes.get("alt") or ""
        elif tag == "img":
            self.images_outside_figures += 1
        if tag not in ("img", "meta", "br", "link", "input", "hr"):
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1] == "title":
            self.title += data
        elif "figcaption" in self._open:
            self.figures[-1]["caption"] = self.figures[-1].get("caption", "") + data


def outline(page: str) -> Outline:
    parsed = Outline()
    parsed.feed(page)
    return parsed


def report_pages(folder: Path) -> dict[str, str]:
    """A notebook's two pages, as `aura run` renders them, with the tables a report holds: a
    Markdown table, a table with a named index as `show_table` shows it, and a Styler; and a
    figure as `show_figure` shows it."""
    scores = pd.DataFrame({"score": [0.93, 0.41]}, index=pd.Index(["PPO", "DQN"], name="policy"))
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    shown = figure_outputs(fig, "A line from 0 to 1", "Read the rise & its end.")
    plt.close(fig)
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(
                "# Evaluation\n\n## Scores\n\n| policy | score |\n|---|---|\n| PPO | 0.93 |"
            ),
            nbformat.v4.new_code_cell(
                "show_table(scores)",
                outputs=[
                    nbformat.v4.new_output("display_data", data=table_outputs(scores)),
                    nbformat.v4.new_output(
                        "display_data",
                        data={"text/html": readable(scores.reset_index()).to_html()},
                    ),
                ],
            ),
            nbformat.v4.new_code_cell(
                "show_figure(fig, alt=..., caption=...)",
                outputs=[
                    nbformat.v4.new_output("display_data", data=data, metadata=metadata)
                    for data, metadata in shown
                ],
            ),
        ]
    )
    path = folder / "05_evaluation.ipynb"
    nbformat.write(notebook, path)
    return {p.name: p.read_text(encoding="utf-8") for p in render_html(path, "Run *x*.")}


def front_page(folder: Path) -> str:
    """A run's index page with headline rows, a key figure and a report's links."""
    run = folder / "default-20261207T000000Z"
    run.mkdir()
    record = {
        "run_name": run.name,
        "status": "ok",
        "params_file": "params/default.yaml",
        "command": "aura run",
        "git": {"commit": "0123abc", "dirty": False},
        "started_at": "2026-12-07T00:00:00+00:00",
        "finished_at": "2026-12-07T00:10:00+00:00",
        "notebooks": [
            {
                "name": "05_evaluation.ipynb",
                "status": "ok",
                "seconds": 3.2,
                "outputs": ["05_evaluation.html", "05_evaluation.report.html"],
            }
        ],
    }
    (run / "run.json").write_text(json.dumps(record))
    row = {"area": "RL", "metric": "PPO score", "value": 0.93, "reference": "oracle 1"}
    write_metrics(run, "05_evaluation", {"headline": [row]})
    collect_metrics(run)
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    save_figure(fig, run, "rl_normalised_scores", "Read the rise.", alt="A line from 0 to 1")
    plt.close(fig)
    return write_index(run).read_text(encoding="utf-8")


def dashboard_page() -> str:
    metrics = Metrics()
    metrics.requests.labels("/api/ml/predict/difficulty", "POST", "200").inc()
    metrics.requests.labels("/api/ml/predict/difficulty", "POST", "500").inc()
    metrics.latency.labels("/api/ml/predict/difficulty").observe(0.004)
    snapshot = dashboard.read_snapshot(metrics.registry)
    return dashboard.render(snapshot, "1.0.0", datetime(2026, 12, 7, tzinfo=UTC), 1.8e9)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("pages")
    return {
        **report_pages(folder),
        "index.html": front_page(folder),
        "dashboard": dashboard_page(),
    }


PAGES = ["05_evaluation.html", "05_evaluation.report.html", "index.html", "dashboard"]


@pytest.mark.parametrize("name", PAGES)
def test_a_page_has_a_language_a_title_and_one_h1_then_headings_in_order(
    pages: dict[str, str], name: str
) -> None:
    page = outline(pages[name])
    assert page.lang == "en" and page.title.strip(), (page.lang, page.title)
    assert page.headings.count(1) == 1 and page.headings[0] == 1, page.headings
    skips = [(a, b) for a, b in zip(page.headings, page.headings[1:], strict=False) if b > a + 1]
    assert not skips, f"{name}: headings skip a level at {skips}"


@pytest.mark.parametrize("name", PAGES)
def test_every_table_header_cell_says_what_it_heads(pages: dict[str, str], name: str) -> None:
    """pandas, Markdown and the pages' own tables wrote ``<th>`` without a scope: a screen reader
    then has to guess whether a header names a column or a row."""
    cells = outline(pages[name]).header_cells
    wrong = [
        (part, scope)
        for part, scope in cells
        if scope != {"thead": "col", "tbody": "row"}.get(part, "col")
    ]
    assert cells and not wrong, f"{name}: (table part, scope) {wrong} of {len(cells)} header cells"


def test_a_report_keeps_the_row_names_of_a_named_index(pages: dict[str, str]) -> None:
    """The named index's cells, "PPO" and "DQN", head their rows."""
    cells = outline(pages["05_evaluation.report.html"]).header_cells
    assert ("tbody", "row") in cells


def test_each_key_figure_on_the_front_page_has_alt_text_and_its_caption(
    pages: dict[str, str],
) -> None:
    figures = outline(pages["index.html"]).figures
    assert figures == [{"alt": "A line from 0 to 1", "caption": "Read the rise."}]


@pytest.mark.parametrize("name", ["05_evaluation.html", "05_evaluation.report.html"])
def test_each_figure_of_a_report_is_a_figure_with_alt_text_and_its_caption(
    pages: dict[str, str], name: str
) -> None:
    """An image beside a caption paragraph of its own is read as an image, then a paragraph
    that nothing ties to it; a ``figure`` whose ``figcaption`` is the caption is read as one."""
    page = outline(pages[name])
    expected = {"alt": "A line from 0 to 1", "caption": "Read the rise & its end."}
    assert page.figures == [expected] and page.images_outside_figures == 0, name


def test_no_image_on_the_front_page_is_outside_a_figure(pages: dict[str, str]) -> None:
    assert outline(pages["index.html"]).images_outside_figures == 0


AA_NORMAL_TEXT = 4.5
"""WCAG 2.1, success criterion 1.4.3: the least contrast of normal-size text (large: 3)."""
RULE = re.compile(r"([^{}]+)\{([^}]*)\}")
COLOUR = re.compile(r"(?<![-\w])(color|background(?:-color)?)\s*:\s*(#[0-9a-fA-F]{3,6})\b")
PAGE_BACKGROUND = "#ffffff"
"""A browser's, where the page sets none; the report's is JupyterLab's light theme's white."""


def relative_luminance(colour: str) -> float:
    """WCAG 2.1's relative luminance of a CSS colour (``#rgb``, ``#rrggbb``, a name)."""
    channels = to_rgb(colour)
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    """WCAG 2.1's contrast ratio, 1 to 21."""
    light, dark = sorted((relative_luminance(one), relative_luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def text_colours(css: str) -> list[tuple[str, str, str]]:
    """(selector, text colour, background) of each rule that sets a text colour: its own
    background, else the body's, else the browser's white."""
    rules = {
        selector.strip(): dict(m.group(1, 2) for m in COLOUR.finditer(body))
        for selector, body in RULE.findall(css)
    }
    page = rules.get("body", {})
    ground = page.get("background") or page.get("background-color") or PAGE_BACKGROUND
    return [
        (
            selector,
            found["color"],
            found.get("background") or found.get("background-color") or ground,
        )
        for selector, found in rules.items()
        if "color" in found
    ]


def test_text_colours_are_read_from_a_style() -> None:
    css = "body { color: #222; } th { color: #777; background: #f3f3f3; } td { border: 0 }"
    assert text_colours(css) == [("body", "#222", "#ffffff"), ("th", "#777", "#f3f3f3")]
    assert contrast("#777", "#fff") == pytest.approx(4.48, abs=0.01)  # just under AA
    assert contrast("#000", "#fff") == pytest.approx(21)


STYLES = {
    "index.html": index._STYLE,
    "dashboard": dashboard.STYLE,
    "report": SELF_CONTAINED_TEMPLATE.split("<style>")[1].split("</style>")[0],
}


@pytest.mark.parametrize("name", list(STYLES))
def test_every_text_colour_of_a_page_meets_aa_contrast(name: str) -> None:
    pairs = text_colours(STYLES[name])
    low = [
        (selector, text, ground, round(contrast(text, ground), 2))
        for selector, text, ground in pairs
        if contrast(text, ground) < AA_NORMAL_TEXT
    ]
    assert pairs and not low, f"{name}: (rule, colour, background, ratio) {low} under 4.5:1"


def page_css(page: str) -> str:
    """The page's style sheets in the order the browser applies them, without comments."""
    css = "\n".join(re.findall(r"<style[^>]*>(.*?)</style>", page, re.DOTALL))
    return re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)


def theme_values(css: str) -> dict[str, str]:
    """The custom properties the page's ``:root`` rules set, the last one of a name winning."""
    values: dict[str, str] = {}
    for block in re.findall(r":root\s*\{([^}]*)\}", css):
        for name, value in re.findall(r"(--[\w-]+)\s*:\s*([^;]+)", block):
            values[name] = value.strip()
    return values


def resolve(value: str, values: dict[str, str]) -> str:
    """``value`` with each ``var(--name)`` it is replaced by what the name is set to."""
    while found := re.fullmatch(r"var\((--[\w-]+)\)", value.strip()):
        value = values[found.group(1)]
    return value.strip()


def test_code_and_prompts_on_the_page_with_code_meet_aa_contrast(pages: dict[str, str]) -> None:
    """JupyterLab's light theme colours numbers (#080), comments (#408080) and operators (#a2f)
    in code at 4.2:1 to 4.4:1 on the code's grey, and dims the prompts of every cell not being
    edited, which is every cell of a page, to half of #616161: 2.1:1 on white."""
    css = page_css(pages["05_evaluation.html"])
    values = theme_values(css)
    rules = dict((selector.strip(), body) for selector, body in RULE.findall(css))
    ground = resolve(re.search(r"background:\s*([^;]+)", rules[".highlight"]).group(1), values)
    colours = {
        selector: resolve(found.group(1), values)
        for selector, body in rules.items()
        if selector.startswith(".highlight .")
        and (found := re.search(r"(?<![-\w])color:\s*([^;]+)", body))
    }
    opacity = float(resolve("var(--jp-cell-prompt-not-active-opacity)", values))
    prompt = resolve("var(--jp-cell-prompt-not-active-font-color)", values)
    page = to_rgb(resolve("var(--jp-layout-color0)", values))
    shown = to_hex(
        [opacity * c + (1 - opacity) * b for c, b in zip(to_rgb(prompt), page, strict=True)]
    )
    pairs = [(s, c, ground) for s, c in colours.items()] + [("prompt", shown, to_hex(page))]
    low = [
        (selector, colour, background, round(contrast(colour, background), 2))
        for selector, colour, background in pairs
        if contrast(colour, background) < AA_NORMAL_TEXT
    ]
    assert len(colours) > 10 and not low, f"(rule, colour, background, ratio) {low} under 4.5:1"
