"""Markdown tables, as the generated documents write them (docs/data.md's data dictionary, the
export's MODEL_CARD.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def cell(text: object) -> str:
    """``text`` as one table cell: a ``|`` would end the cell and a line break the row."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def table_lines(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """A Markdown table, a line a row: the header, its rule, then ``rows``, every cell escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
