"""A report figure as one ``figure`` element in the notebook's HTML pages.

`aura.reports.figures.show_figure` displays a figure as two outputs, its image (alt text in the
output's metadata) and then its caption's paragraph, and nbconvert renders each output on its
own: a screen reader read an image, then a paragraph that nothing tied to it. `FigureElements`,
run by the runner's HTML exporter on its copy of the notebook, hands each such caption to the
image before it (`FIGCAPTION_KEY` in the image's metadata) and drops the caption's output; the
runner's template (`aura.reports.rendering.SELF_CONTAINED_TEMPLATE`) then writes the image and its
caption as ``<figure><img alt=...><figcaption>...</figcaption></figure>``. The executed
notebook on disk keeps its two outputs.
"""

from __future__ import annotations

from typing import Any

from nbconvert.preprocessors import Preprocessor

from aura.reports.figures import ALT_KEY, PNG, caption_paragraph

FIGCAPTION_KEY = "figcaption"
"""The key, in an image output's ``image/png`` metadata, of its caption's HTML paragraph: the
runner's template reads it by this name, as it reads ``alt``."""


def caption_html(output: Any) -> str | None:
    """The caption's HTML paragraph if ``output`` is a caption as `show_figure` displays it
    (its HTML exactly `caption_paragraph` of its plain text), else None: any other HTML output
    stays an output of its own."""
    if output.get("output_type") != "display_data":
        return None
    data = output.get("data", {})
    text, markup = data.get("text/plain"), data.get("text/html")
    if not isinstance(text, str) or markup != caption_paragraph(text):
        return None
    return markup


def is_figure_image(output: Any) -> bool:
    """Whether ``output`` is a figure's image with alt text and no caption yet, as `show_figure`
    displays it: an image a cell returns (its ``execute_result``, even with alt text) is none of
    its figures, and being the cell's last output, no caption output after it is its caption."""
    image = output.get("metadata", {}).get(PNG, {})
    return (
        output.get("output_type") == "display_data"
        and PNG in output.get("data", {})
        and bool(image.get(ALT_KEY))
        and FIGCAPTION_KEY not in image
    )


class FigureElements(Preprocessor):
    """Join each figure's image and the caption output right after it into one output."""

    def preprocess_cell(
        self, cell: Any, resources: dict[str, Any], index: int
    ) -> tuple[Any, dict[str, Any]]:
        """``cell`` with each caption that follows its figure's image moved into the image's
        metadata: nbconvert renders the notebook from a copy, so the file is left as it is."""
        if cell.get("cell_type") != "code":
            return cell, resources
        joined: list[Any] = []
        for output in cell.get("outputs", []):
            caption = caption_html(output)
            if caption is not None and joined and is_figure_image(joined[-1]):
                joined[-1]["metadata"][PNG][FIGCAPTION_KEY] = caption
            else:
                joined.append(output)
        cell["outputs"] = joined
        return cell, resources
