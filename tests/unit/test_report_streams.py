"""A cell's printed text as one output per run of prints (`aura.reports.streams`)."""

from __future__ import annotations

import nbformat

from aura.reports.streams import merge_adjacent_streams


def _stream(name: str, text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name=name, text=text)


def test_only_outputs_of_one_stream_that_follow_each_other_are_merged() -> None:
    table = nbformat.v4.new_output("display_data", data={"text/plain": "a table"})
    cell = nbformat.v4.new_code_cell(
        "...",
        outputs=[
            _stream("stdout", "compatibility"),
            _stream("stdout", "\n"),
            table,
            _stream("stdout", "difficulty\n"),
            _stream("stderr", "a warning\n"),
            _stream("stderr", "another\n"),
            _stream("stdout", "engagement\n"),
        ],
    )
    merge_adjacent_streams(cell, cell_index=0, execute_reply={})
    assert [(o.output_type, o.get("name"), o.get("text")) for o in cell.outputs] == [
        ("stream", "stdout", "compatibility\n"),
        ("display_data", None, None),
        ("stream", "stdout", "difficulty\n"),
        ("stream", "stderr", "a warning\nanother\n"),
        ("stream", "stdout", "engagement\n"),
    ]


def test_a_cell_without_outputs_is_left_as_it_is() -> None:
    markdown = nbformat.v4.new_markdown_cell("text")
    merge_adjacent_streams(markdown)
    assert "outputs" not in markdown
    empty = nbformat.v4.new_code_cell("x = 1")
    merge_adjacent_streams(empty)
    assert empty.outputs == []
