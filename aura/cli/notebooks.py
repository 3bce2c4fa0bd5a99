"""``aura notebooks record``: the committed notebooks re-executed, their summary outputs kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.markup import escape

from aura.cli import notebooks_app
from aura.cli.common import console, err_console, fail
from aura.config import NOTEBOOKS_DIR

if TYPE_CHECKING:
    from nbformat import NotebookNode


@notebooks_app.command("record")
def notebooks_record(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="NOTEBOOK",
            help="Notebook files to record (default: every notebooks/NN_*.ipynb).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Re-execute notebooks on their literal defaults and keep only '# summary' cell outputs.

    A name is a path, or a file of notebooks/ (01_data_synthesis.ipynb). Ctrl-C or SIGTERM
    leaves the notebook being recorded as it was; those before it are recorded."""
    from aura.interrupts import interrupts_handled
    from aura.reports.notebook_outputs import (
        NotANotebookError,
        NotebookFailedError,
        committed_notebooks,
        read_notebook_giving_ids,
        record_notebook,
    )

    def found(name: str) -> Path:
        if Path(name).is_dir():  # it was "no notebook NAME", as if nothing were there
            raise fail(
                f"{name} is a folder; name notebook files, or none for every notebooks/NN_*.ipynb"
            )
        for path in (Path(name), NOTEBOOKS_DIR / name):
            if path.is_file():
                return path
        known = ", ".join(p.name for p in committed_notebooks())
        raise fail(f"no notebook {name}, here or in {NOTEBOOKS_DIR} (there: {known})")

    def read(path: Path) -> tuple[NotebookNode, list[int]]:
        try:
            return read_notebook_giving_ids(path)
        except NotANotebookError as exc:
            raise fail(str(exc)) from exc
        except OSError as exc:
            raise fail(f"{path} cannot be read: {exc.strerror or exc}") from exc

    paths = [found(n) for n in names] if names else committed_notebooks()
    # every notebook is read, and refused if it is none, before any runs (a run takes minutes)
    notebooks = [(path, *read(path)) for path in paths]
    if not paths:
        console.print("[yellow]no notebooks to record[/]")

    def interrupted(path: Path, before: int, recorded: int) -> Callable[[], NoReturn]:
        """The line said when Ctrl-C or SIGTERM stops the recording of ``path`` (whose file was
        ``before``; a save replaces it): the command exited 130 without a word."""

        def stop() -> NoReturn:
            what = "left unchanged" if path.stat().st_ino == before else "recorded just before"
            err_console.print(
                f"[bold red]interrupted:[/] {escape(path.name)} {what}; {recorded} of "
                f"{len(paths)} recorded before it"
            )
            raise typer.Exit(code=130)

        return stop

    for i, (path, notebook, given_ids) in enumerate(notebooks, start=1):
        # the cells reading gave an id (nbformat 4.5 asks each for one): said below
        given = len(given_ids)
        with (
            interrupts_handled(interrupted(path, path.stat().st_ino, i - 1)),
            console.status(f"[{i}/{len(paths)}] recording {path.name} ..."),
        ):
            try:
                record_notebook(path, notebook=notebook)
            except NotebookFailedError as exc:
                raise fail(f"{exc}; {path.name} left unchanged") from exc
            except OSError as exc:  # a full disk: the notebook is saved whole or not at all
                raise fail(f"{path.name} failed, left unchanged: {exc.strerror or exc}") from exc
            except Exception as exc:
                raise fail(f"{path.name} failed, left unchanged: {exc}") from exc
        cells = "1 cell had no id and was" if given == 1 else f"{given} cells had no id and were"
        ids = f" ({cells} given one)" if given else ""
        console.print(f"[green]✓[/] [{i}/{len(paths)}] {path}{ids}")
