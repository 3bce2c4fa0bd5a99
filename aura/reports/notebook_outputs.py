"""Record the outputs that committed notebooks keep, so nbval can compare results, not just run.

Committed notebooks keep outputs only on *summary cells*: code cells whose first line is
``# summary``. Those print small deterministic results (row counts, a table of scores beside
their references) that change only when behaviour changes. Everything else is stripped, because
plots, progress bars and timings differ from run to run and would bury real changes in diff noise.

Recording executes a notebook on its literal defaults (its ``parameters`` cell, no injection) from
its own directory, as nbval does, then keeps summary outputs, tags summary cells
``nbval-check-output`` (the tests run nbval in lax mode, so only those are compared; every cell is
still executed and any error fails), and clears the other cells' execution counts and volatile
metadata.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from aura.config import NOTEBOOKS_DIR
from aura.files import write_text_atomically
from aura.reports.cell_ids import give_cell_ids
from aura.reports.runner import KERNEL_NAME, NOTEBOOK_PATTERN, kernel_config
from aura.reports.streams import merge_adjacent_streams

SUMMARY_MARKER = re.compile(r"^#\s*summary\b", re.IGNORECASE)
CHECK_TAG = "nbval-check-output"
KEPT_CELL_METADATA = ("tags", "jupyter")
KEPT_NOTEBOOK_METADATA = ("kernelspec",)


class NotANotebookError(ValueError):
    """A file given as a notebook that is not one nbformat can read and validate."""


class NotebookFailedError(RuntimeError):
    """A cell raised while a notebook was recorded; the message names the cell and the error."""


def read_notebook(path: Path) -> NotebookNode:
    """Read and validate ``path`` as a notebook, or say in one line why it is not one.

    nbformat answers a JSON list with "'list' object has no attribute 'get'", a notebook
    missing a key with a schema dump and a version number that is not an integer with a bare
    AssertionError; the commands name the file and the reason instead. A cell without the id
    its format asks for is given one (`read_notebook_giving_ids`).
    """
    return read_notebook_giving_ids(path)[0]


def read_notebook_giving_ids(path: Path) -> tuple[NotebookNode, list[int]]:
    """`read_notebook`'s notebook, and the cells (numbered from 1) it gave the id they lacked.

    nbformat's own reading gives them ids too, but only after it has warned, over three lines,
    that a future version will refuse such a notebook (`aura.reports.cell_ids`)."""
    try:
        with open(path, encoding="utf-8") as file:  # as nbformat.read opens it
            nb = nbformat.convert(nbformat.reader.read(file), 4)
        given = give_cell_ids(nb)
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise NotANotebookError(f"{path} is not a valid notebook: {exc.message}") from exc
    except AssertionError as exc:
        # nbformat asserts, with no message, that both version numbers are integers
        raise NotANotebookError(
            f"{path} is not a valid notebook: nbformat and nbformat_minor must be whole numbers"
        ) from exc
    except (ValueError, AttributeError, TypeError) as exc:
        # ValueError: text that is not UTF-8 or not JSON (NotJSONError); the others: JSON that
        # is not an object with nbformat's keys.
        raise NotANotebookError(f"{path} is not a notebook: {exc}") from exc
    return nb, given


def is_summary_cell(cell: NotebookNode) -> bool:
    """A code cell whose first line is ``# summary``."""
    if cell.cell_type != "code":
        return False
    first = cell.source.lstrip().split("\n", 1)[0]
    return bool(SUMMARY_MARKER.match(first))


def strip_notebook(nb: NotebookNode) -> NotebookNode:
    """Keep only summary outputs, set the nbval tag, drop other counts and volatile metadata."""
    for cell in nb.cells:
        cell.metadata = {k: v for k, v in cell.metadata.items() if k in KEPT_CELL_METADATA}
        if cell.cell_type != "code":
            continue
        tags = [t for t in cell.metadata.get("tags", []) if t != CHECK_TAG]
        if is_summary_cell(cell):
            # nbval only compares cells that look run, so summary cells keep their count (the
            # same on every recording: a fresh kernel runs all cells in order).
            tags.append(CHECK_TAG)
            for output in cell.outputs:
                if "metadata" in output:
                    output["metadata"] = {}
        else:
            cell.execution_count = None
            cell.outputs = []
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
    nb.metadata = {k: v for k, v in nb.metadata.items() if k in KEPT_NOTEBOOK_METADATA}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def record_notebook(
    path: Path, *, timeout: int = 1800, notebook: NotebookNode | None = None
) -> Path:
    """Execute ``path`` on its literal defaults and save it in place with only summary outputs.
    ``notebook`` is ``path`` as `read_notebook` read it, where the caller has read it already
    (`aura notebooks record` reads every notebook before it runs any).

    A cell still running after ``timeout`` seconds fails the recording, named like a cell that
    raised (a notebook's literal defaults run in seconds). Saved whole or not at all: nbformat's
    own writer truncated the committed notebook first, so a full disk, or Ctrl-C during the
    write, left a notebook cut short that the command called "left unchanged"."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    path = Path(path)
    nb = read_notebook(path) if notebook is None else notebook
    handle, name = tempfile.mkstemp(prefix=f"{path.stem}.", suffix=".kernel.log")
    os.close(handle)  # the kernel opens the file itself
    log = Path(name)
    started: list[int] = []  # indices of the cells run, the last one the cell under way
    client = NotebookClient(
        nb,
        kernel_name=KERNEL_NAME,
        config=kernel_config(stderr_log=log),
        on_cell_executed=merge_adjacent_streams,
        timeout=timeout,
        resources={"metadata": {"path": str(path.parent.resolve())}},
        on_cell_execute=lambda cell, cell_index: started.append(cell_index),
    )
    try:
        client.execute()
    except Exception as exc:
        if _stopped(client):
            log.unlink(missing_ok=True)  # what a stopped kernel says is only that it stopped
            raise KeyboardInterrupt from None
        if isinstance(exc, CellTimeoutError):
            # nbclient's message is the cell's source over several lines, and the kernel, shut
            # down mid-cell, logs only the traceback of that shutdown
            log.unlink(missing_ok=True)
            raise NotebookFailedError(
                f"{path.name} failed in cell {started[-1] + 1}: still running after {timeout} s, "
                "the time a cell may take"
            ) from exc
        kept = f" (the kernel's own log: {log})" if log.stat().st_size else ""
        if not kept:
            log.unlink()
        if isinstance(exc, CellExecutionError):
            raise NotebookFailedError(
                f"{path.name} failed in {_failed_cell(nb, exc.ename, exc.evalue)}: "
                f"{exc.ename}: {exc.evalue}{kept}"
            ) from exc
        if kept:  # a kernel that died says why in its log alone
            raise RuntimeError(f"{exc}{kept}") from exc
        raise
    log.unlink(missing_ok=True)
    text = nbformat.writes(strip_notebook(nb))
    write_text_atomically(path, text if text.endswith("\n") else text + "\n")  # as nbformat.write
    return path


def _stopped(client: Any) -> bool:
    """Whether Ctrl-C or SIGTERM stopped ``client``'s execution. While its kernel runs, nbclient
    takes both signals itself (no KeyboardInterrupt reaches the caller's handler) and shuts the
    kernel down, the execution then ending in "Kernel died" or an error of its cleanup; the
    future of that shutdown is the one trace of the signal it keeps."""
    return getattr(client, "_async_cleanup_kernel_future", None) is not None


def _failed_cell(nb: NotebookNode, ename: str, evalue: str) -> str:
    """Which cell raised ``ename: evalue``, numbered from 1 as JupyterLab shows them (as `aura
    run` names a failed cell): nbclient's error is the cell's source and its whole coloured
    traceback, which the command printed as it was."""
    for i, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            if output.output_type == "error" and (output.ename, output.evalue) == (ename, evalue):
                return f"cell {i}"
    return "a cell"


def committed_notebooks(notebooks_dir: Path = NOTEBOOKS_DIR) -> list[Path]:
    """The pipeline notebooks (``NN_*.ipynb``) in run order."""
    return sorted(p for p in Path(notebooks_dir).glob("*.ipynb") if NOTEBOOK_PATTERN.match(p.name))


def notebook_problems(path: Path) -> list[str]:
    """Why a committed notebook is not in recorded form (empty when it is).

    Lets a fast test say "run make notebooks" instead of an nbval diff about stray outputs.
    """
    nb, given = read_notebook_giving_ids(path)
    problems = [f"cell {i} has no id" for i in given]  # recording gives it one
    for i, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        tagged = CHECK_TAG in cell.metadata.get("tags", [])
        if is_summary_cell(cell):
            if not tagged:
                problems.append(f"summary cell {i} is not tagged {CHECK_TAG}")
            if cell.outputs and cell.execution_count is None:
                problems.append(f"summary cell {i} has outputs but no execution count")
        else:
            if cell.execution_count is not None:
                problems.append(f"cell {i} has an execution count")
            if cell.outputs:
                problems.append(f"cell {i} is not a summary cell but has outputs")
            if tagged:
                problems.append(f"cell {i} is tagged {CHECK_TAG} but is not a summary cell")
    return problems
