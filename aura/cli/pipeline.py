"""``aura run`` (the notebooks in order, into a run folder) and ``aura generate`` (the
simulator's tables)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.markup import escape

from aura.cli import app
from aura.cli.common import (
    FOLDER_METAVAR,
    ParamsOption,
    advancing,
    checked_params,
    console,
    err_console,
    fail,
    named_folder,
    steps_progress,
)
from aura.config import PARAMS_DIR, ParamsError, project_path
from aura.files import unwritable_folder

GENERATE_QUIET_SECONDS = 10.0
"""Without a terminal, `aura generate` logs how far it is only once it has drawn for this long:
the spec's scale takes half a second, one learner's 200,000 sessions minutes."""


@app.command()
def run(
    params: ParamsOption = PARAMS_DIR / "default.yaml",
    run_name: Annotated[
        str | None,
        typer.Option(
            help="Run directory name under reports/runs (default: the params file's name and "
            "the UTC time); a plain folder name, not 'latest'."
        ),
    ] = None,
    only: Annotated[
        str | None, typer.Option(help="Comma-separated notebook numbers to run, e.g. 01,02.")
    ] = None,
    cell_timeout: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Seconds one cell may run; a cell still running then stops the run as "
            "failed (default: no limit).",
        ),
    ] = None,
) -> None:
    """Execute notebooks/NN_*.ipynb in order into a folder of reports/runs/, with HTML reports."""
    from aura.reports.runner import PipelineError, run_pipeline

    selected = only.split(",") if only is not None else None
    try:
        run_pipeline(
            params, run_name=run_name, only=selected, console=console, cell_timeout=cell_timeout
        )
    except (ParamsError, FileExistsError, ValueError) as exc:
        raise fail(str(exc)) from exc
    except PipelineError as exc:
        if exc.interrupted:  # 130 and an `interrupted:` line, as every command a signal stops
            err_console.print(
                f"[bold red]interrupted:[/] aura run stopped {escape(exc.stopped)}; partial "
                f"output kept in {escape(str(exc.run_dir))}"
            )
            raise typer.Exit(code=130) from exc
        raise fail(str(exc)) from exc


@app.command()
def generate(
    params: ParamsOption = PARAMS_DIR / "default.yaml",
    out: Annotated[
        str | None,
        typer.Option(
            help="Output directory, from the current folder (default: the params file's "
            "shared.data_dir, from the project root).",
            callback=named_folder("the folder to write the tables to"),
            metavar=FOLDER_METAVAR,
        ),
    ] = None,
) -> None:
    """Write the learners, tutors and sessions CSVs (and the latent truth) with the simulator.

    A folder holding tables the simulator did not write (a platform's own export) is refused.
    """
    from aura.interrupts import interrupts_handled
    from aura.sim.io import RECORD_FILE, DataFolderError

    # The folder is checked before the draw (minutes at the default size), which refused it
    # only as it wrote: --out here, the params file's data_dir with the params.
    p = checked_params(params, "01_data_synthesis", writes=() if out else ("data_dir",))
    out_dir = Path(out) if out is not None else project_path(p["shared"]["data_dir"])
    problem = unwritable_folder(out_dir.expanduser()) if out else None
    if problem:
        raise fail(f"--out {out} {problem}; nothing was drawn")
    record = out_dir / RECORD_FILE

    def recorded() -> int | None:
        return record.stat().st_mtime_ns if record.is_file() else None

    before = recorded()

    def interrupted() -> NoReturn:
        """The tables replace the last ones all at once, so the folder holds one write whole:
        the new one if its record changed (a Ctrl-C in the instant of the renames), else the
        last."""
        where = escape(str(out_dir))
        what = (
            f"the tables were written to {where} just before"
            if recorded() != before
            else f"nothing was written to {where}"
        )
        err_console.print(f"[bold red]interrupted:[/] {what}")
        raise typer.Exit(code=130)

    try:
        sizes = p.get("01_data_synthesis")
        if sizes is None:
            raise ParamsError(f"params file {params} has no '01_data_synthesis:' section")
        from aura.sim import write_datasets

        with interrupts_handled(interrupted), steps_progress() as bar:
            written = write_datasets(
                out_dir,
                seed=p["shared"]["seed"],
                n_learners=sizes["n_learners"],
                n_tutors=sizes["n_tutors"],
                n_sessions=sizes["n_sessions"],
                on_progress=advancing(
                    bar, "generating", unit="sessions", quiet_seconds=GENERATE_QUIET_SECONDS
                ),
            )
    except ParamsError as exc:  # names the file already
        raise fail(str(exc)) from exc
    except KeyError as exc:
        raise fail(f"params file {params}: missing key {exc}") from exc
    except DataFolderError as exc:  # names the folder and its tables
        raise fail(str(exc)) from exc
    except ValueError as exc:  # a size or seed the simulator refuses
        raise fail(f"params file {params}: {exc}") from exc
    except OSError as exc:  # not a folder, not writable, a full disk
        raise fail(
            f"the tables cannot be written to {out_dir}: {exc.strerror or exc}; nothing was written"
        ) from exc
    for name, path in written.items():
        console.print(f"{name}: {path}")
