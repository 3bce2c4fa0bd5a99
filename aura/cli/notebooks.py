"""``aura notebooks record``: the committed notebooks re-executed, their summary outputs kept."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aura.cli import notebooks_app
from aura.cli.common import console, fail
from aura.config import NOTEBOOKS_DIR


@notebooks_app.command("record")
def notebooks_record(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Notebook files to record (default: every notebooks/NN_*.ipynb)."),
    ] = None,
) -> None:
    """Re-execute notebooks on their literal defaults and keep only '# summary' cell outputs.

    A name is a path, or a file of notebooks/ (01_data_synthesis.ipynb)."""
    from aura.reports.notebook_outputs import (
        NotANotebookError,
        NotebookFailedError,
        committed_notebooks,
        read_notebook,
        record_notebook,
    )

    def found(name: str) -> Path:
        for path in (Path(name), NOTEBOOKS_DIR / name):
            if path.is_file():
                try:  # every name is read before any notebook runs (a run takes minutes)
                    read_notebook(path)
                except NotANotebookError as exc:
                    raise fail(str(exc)) from exc
                return path
        known = ", ".join(p.name for p in committed_notebooks())
        raise fail(f"no notebook {name}, here or in {NOTEBOOKS_DIR} (there: {known})")

    paths = [found(n) for n in names] if names else committed_notebooks()
    if not paths:
        console.print("[yellow]no notebooks to record[/]")
    for i, path in enumerate(paths, start=1):
        with console.status(f"[{i}/{len(paths)}] recording {path.name} ..."):
            try:
                record_notebook(path)
            except NotebookFailedError as exc:
                raise fail(f"{exc}; {path.name} left unchanged") from exc
            except Exception as exc:
                raise fail(f"{path.name} failed, left unchanged: {exc}") from exc
        console.print(f"[green]✓[/] [{i}/{len(paths)}] {path}")
