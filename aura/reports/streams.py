"""A cell's printed text kept as one output where it was printed in one run of prints.

A kernel sends what a cell prints in pieces as it flushes, and each piece became an output of
its own: one ``print`` could reach the notebook as two, its line and then its newline, which a
report showed as two blocks with a gap and a test of the first output read as half the line.
nbclient's own ``coalesce_streams`` merges *every* output of a stream in a cell into its first,
which moves text away from the figures and tables it was printed between: notebook 04's
"compatibility", "difficulty", "engagement" went above all three of its tables instead of above
each. `merge_adjacent_streams` merges only outputs of one stream that follow each other.
"""

from __future__ import annotations

from typing import Any

from nbformat import NotebookNode


def merge_adjacent_streams(cell: NotebookNode, **_: Any) -> None:
    """Merge each run of consecutive outputs of one stream (stdout, or stderr) of ``cell`` into
    one, in place, leaving every other output where it was. nbclient calls it as each cell
    ends (its ``on_cell_executed`` hook), before the notebook is saved."""
    merged: list[NotebookNode] = []
    for output in cell.get("outputs", []):
        last = merged[-1] if merged else None
        if (
            last is not None
            and output.get("output_type") == "stream"
            and last.get("output_type") == "stream"
            and output.get("name") == last.get("name")
        ):
            last["text"] = last["text"] + output["text"]
        else:
            merged.append(output)
    if "outputs" in cell:
        cell.outputs = merged
