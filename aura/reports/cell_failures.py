"""Which cell of a notebook failed or ran past the per-cell limit, said once in the run's words.

papermill's error names a cell by its index in the executed notebook, which counts the parameters
cell it injects, and nbclient's timeout names none; a reader looks for the cell in the notebook
as JupyterLab numbers it. The run's one ``error:`` line names that cell and the error, so the
log lines nbclient, papermill and asyncio would add about the same cell (a timeout's report, a
stopped cell's traceback as the process exits) are kept out of the terminal here.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import nbformat

from aura.files import write_text_atomically
from aura.reports.cell_ids import quiet_missing_ids

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def source_cell(source_nb: Path, source: str) -> int | None:
    """The cell of the *source* notebook whose code is ``source``, numbered from 1 as JupyterLab
    shows them; papermill's own cell index counts the parameters cell it injects."""
    with quiet_missing_ids():  # said as the run began
        cells = nbformat.read(source_nb, as_version=4).cells
    return next((i + 1 for i, c in enumerate(cells) if c.source == source), None)


def describe_failure(exc: Exception, source_nb: Path) -> tuple[int | None, str]:
    """Say which cell of the *source* notebook failed and how, from a papermill error.

    The cell is found again in the source notebook by its code (`source_cell`).
    """
    source = getattr(exc, "source", None)
    ename, evalue = getattr(exc, "ename", type(exc).__name__), getattr(exc, "evalue", str(exc))
    cell = source_cell(source_nb, source) if source is not None else None
    # IPython marks the failing line of each frame with "---->"; the first one is in the cell.
    traceback = _ANSI.sub("", "\n".join(getattr(exc, "traceback", None) or []))
    frame_line = next(
        (line.strip() for line in traceback.splitlines() if line.lstrip().startswith("---->")), ""
    )
    where = f"cell {cell}" if cell is not None else "a cell"
    detail = f"{ename}: {evalue}"
    if frame_line:
        detail += f"\n    {frame_line}"
    return cell, f"{where}: {detail}"


CELL_LIMIT_REACHED = "Cell execution timed out"
"""What nbclient's `CellTimeoutError` says when a cell ran past ``execution_timeout``; the same
error for output that never arrived after the cell's reply says otherwise, and is not the limit."""


def _started_cells(notebook: nbformat.NotebookNode) -> list[int]:
    """The indices of the cells papermill started, in order (it stamps each as it starts)."""
    return [
        i
        for i, c in enumerate(notebook.cells)
        if c.get("metadata", {}).get("papermill", {}).get("start_time")
    ]


def mark_timed_out_cell(executed: Path, source_nb: Path, limit: int) -> int | None:
    """Say in the executed notebook, and so in its HTML reports, which cell ran past the limit,
    and return that cell of the *source* notebook, numbered from 1 (None where none is found).

    nbclient's timeout error names no cell, but papermill records in the executed notebook when
    each cell started, and the one stopped is the last that did; it is found again in the source
    notebook by its code (`source_cell`), as a failing one is.

    A failing cell gets papermill's red line at the top of the notebook and its anchor above the
    cell; a stopped one got nothing: papermill marks it completed, and its only output is the
    KeyboardInterrupt of the kernel's interruption, which reads as if someone had pressed
    Ctrl-C. The same two lines, in papermill's style and with its anchor, now say that the cell
    ran past the limit, and the cell's papermill status says failed."""
    from papermill.execute import ERROR_MARKER_TAG, ERROR_STYLE

    if not executed.is_file():
        return None
    notebook = nbformat.read(executed, as_version=4)
    started = _started_cells(notebook)
    if not started:
        return None
    cell = notebook.cells[started[-1]]
    source = source_cell(source_nb, cell.source)
    cell.metadata.papermill.update(status="failed", exception=True)
    count = cell.get("execution_count") or " "
    said = f"ran past the {limit} s per-cell limit (--cell-timeout) and was stopped"
    top = nbformat.v4.new_markdown_cell(
        f"<span {ERROR_STYLE}>The cell '<a href=\"#papermill-error-cell\">In [{count}]</a>' "
        f"{said}.</span>"
    )
    here = nbformat.v4.new_markdown_cell(
        f'<span id="papermill-error-cell" {ERROR_STYLE}>This cell {said} here; the '
        "KeyboardInterrupt below is that stop:</span>"
    )
    for marker in (top, here):
        marker.metadata["tags"] = [ERROR_MARKER_TAG]
    notebook.cells.insert(started[-1], here)
    notebook.cells.insert(0, top)
    write_text_atomically(executed, nbformat.writes(notebook))
    return source


class _StoppedCellErrors(logging.Filter):
    """Drop asyncio's report of a notebook cell's error that no one awaited.

    A run stopped in a cell (Ctrl-C, SIGTERM) leaves papermill's task for that cell behind; when
    the kernel answers the interrupt, the task ends with the cell's error and asyncio printed it,
    the kernel's whole KeyboardInterrupt traceback, as the process exited, below the run's own
    one-line account of where it stopped (the partial notebook and run.json keep the cell's
    error). Any other unretrieved task error is still reported."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is None or not str(record.msg).startswith("Task exception was never retrieved"):
            return True
        from nbclient.exceptions import CellExecutionError

        return not isinstance(error, CellExecutionError)


_STOPPED_CELL_ERRORS = _StoppedCellErrors()


class _CellLimitReports(logging.Filter):
    """Drop nbclient's "Timeout waiting for execute reply (30s)." as a cell runs past the
    per-cell limit: logged to papermill's logger, it reached the terminal above the run's own
    `error:` line, which names the notebook, the cell and the limit. Any other record passes."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Timeout waiting for execute reply")


_CELL_LIMIT_REPORTS = _CellLimitReports()


def quiet_stopped_cells() -> None:
    """Keep asyncio from printing a stopped cell's error again as the process exits, and
    papermill's logger from saying again that a cell ran past the limit."""
    for name, quiet in (("asyncio", _STOPPED_CELL_ERRORS), ("papermill", _CELL_LIMIT_REPORTS)):
        logger = logging.getLogger(name)
        if quiet not in logger.filters:
            logger.addFilter(quiet)
