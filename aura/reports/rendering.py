"""An executed notebook rendered to HTML pages that need nothing from the network.

Each notebook of a run becomes two pages, one with its code for engineers and one of outputs and
prose alone for stakeholders, each a single file that reads the same offline or behind a
firewall. The template (`SELF_CONTAINED_TEMPLATE`) drops nbconvert's scripts from a CDN, keeps
printed tables' columns, writes each figure with its alt text and caption, and sets colours and
prompts that read at WCAG 2.1 AA.
"""

from __future__ import annotations

from pathlib import Path

import nbformat

SELF_CONTAINED_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block extra_css -%}
<style>.jp-OutputArea .jp-OutputArea-output pre { white-space: pre; word-break: normal; }
.aura-figure { margin: 0; }
.aura-figure-caption { font-style: italic; color: #444; max-width: 60rem; margin: 0.2rem 0 1rem; }
</style>
{%- endblock extra_css -%}
{%- block html_head_css -%}
<style>:root { --jp-mirror-editor-number-color: #008000; --jp-mirror-editor-comment-color: #3c7777;
--jp-mirror-editor-operator-color: #a515ff; --jp-mirror-editor-error-color: #e00000;
--jp-cell-prompt-not-active-opacity: 1; }
</style>
{%- endblock html_head_css -%}
{%- block data_png scoped -%}
{%- set alt = output | get_metadata('alt', 'image/png') -%}
{%- set figcaption = output | get_metadata('figcaption', 'image/png') -%}
{%- if alt and figcaption -%}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<figure class="aura-figure">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
 alt="{{ alt | escape_html }}">
<figcaption class="jp-RenderedHTMLCommon">{{ figcaption }}</figcaption>
</figure>
</div>
{%- elif alt -%}
{{ super() | replace('<img ', '<img alt="' ~ (alt | escape_html) ~ '" ', 1) }}
{%- else -%}
{{ super() }}
{%- endif -%}
{%- endblock data_png -%}
"""
"""nbconvert's lab page without the scripts it loads from a CDN (RequireJS, MathJax, Mermaid).
The notebooks use none of them (figures are images, tables HTML, the one formula plain HTML), and
a report must read the same offline or behind a firewall, without asking a third party for code
each time it is opened. Printed tables keep their columns: a line wider than the page scrolls
within its output instead of wrapping onto the rows below. A figure's image takes its alt text
from its output's metadata (``image/png`` → ``alt``, set by `aura.reports.figures.show_figure`):
the classic template reads it there, the lab one ignores it, and nbconvert then writes "No
description has been provided for this image" in its place. A figure's image and its caption,
two outputs of the notebook, are one ``figure`` on the page, the caption its ``figcaption``
(`aura.reports.figure_elements`), which takes the look the caption had as an output of its own
(JupyterLab's rendered-HTML type and spacing); captions stand apart from the prose.
After JupyterLab's light theme, the page with code darkens the theme's colours of numbers,
comments, operators and errors in code, 4.2:1 to 4.4:1 on the code's grey (#f5f5f5), #f00 3.7:1,
to WCAG 2.1 AA's 4.5:1, and shows the "In [n]:" prompts at full opacity: the theme dims the
prompts of every cell but the one being edited to half, #616161 read as 2.1:1 on white, and a
page has no cell being edited."""


def render_html(notebook: Path, caption: str | None = None) -> list[Path]:
    """Write ``<name>.html`` (with code) and ``<name>.report.html`` (outputs and prose only),
    each one file that needs nothing from the network, headed by ``caption`` (Markdown) if given:
    a report is read on its own, and without its hidden parameters cell nothing in it said
    which params (the spec's scale or CI's) gave its numbers. Its tables' header cells say
    which cells they name (`scope_header_cells`), and each figure is a ``figure`` with its
    caption (`FigureElements`), for a screen reader. The notebook's file is left as it is."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    from aura.reports.figure_elements import FigureElements
    from aura.reports.tables import scope_header_cells

    def exporter(**options: bool) -> HTMLExporter:
        loader = DictLoader({"aura.html.j2": SELF_CONTAINED_TEMPLATE})
        return HTMLExporter(
            extra_loaders=[loader],
            template_file="aura.html.j2",
            preprocessors=[FigureElements],
            **options,
        )

    nb = nbformat.read(notebook, as_version=4)
    if caption:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(caption))
    # The page's title (a browser tab, a bookmark, a printout's header) names the notebook and
    # its run's folder; nbconvert's own, for a notebook given as a node, was "Notebook" on all.
    title = f"{notebook.stem} · {notebook.parent.name}"
    full, _ = exporter().from_notebook_node(nb, resources={"metadata": {"name": title}})
    report, _ = exporter(
        exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True
    ).from_notebook_node(nb, resources={"metadata": {"name": title}})
    paths = [notebook.with_suffix(".html"), notebook.with_suffix(".report.html")]
    for path, html in zip(paths, (full, report), strict=True):
        path.write_text(scope_header_cells(html), encoding="utf-8")
    return paths


def try_render(notebook: Path, caption: str) -> list[str]:
    """Render a partially executed notebook if possible; its traceback is worth reading as HTML."""
    try:
        return [p.name for p in render_html(notebook, caption)]
    except Exception:  # a failure to render must not hide the notebook's own error
        return []
