"""``aura runs compare``: two runs' metrics side by side, to see what one run gave again of
another (a fresh clone against a published run, a change against the run before it); ``aura
runs list``: the runs made, one line each."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.cells import cell_len
from rich.markup import escape

from aura.cli import runs_app
from aura.cli.common import FOLDER_METAVAR, console, fail, from_the_root, named_folder
from aura.config import LATEST_LINK, RUNS_DIR

RUN_HELP = (
    "A run folder, its metrics.json, a run's name under reports/runs/, or 'latest'; one "
    "notebook's file under a run's metrics/ compares that notebook alone."
)


@runs_app.command("compare")
def runs_compare(
    run_a: Annotated[str, typer.Argument(metavar="RUN_A", help=RUN_HELP, show_default=False)],
    run_b: Annotated[
        str | None,
        typer.Argument(
            metavar="RUN_B",
            help=RUN_HELP + " Left out: RUN_A is compared, as B, with the last complete run "
            "of its params before it, as its front page is.",
            show_default=False,
        ),
    ] = None,
    rtol: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Relative tolerance: numbers this close count as the same (default 0: exact).",
        ),
    ] = 0.0,
    ignore: Annotated[
        list[str] | None,
        typer.Option(
            "--ignore",
            "-i",
            metavar="PATTERN",
            help="Leave out the values whose path matches this shell-style pattern, such as "
            "'*wall_seconds' (repeat for more).",
        ),
    ] = None,
    most: Annotated[int, typer.Option(min=1, help="List at most this many differing values.")] = 30,
    check: Annotated[
        bool,
        typer.Option(
            "--check", help="Exit 1 when any value differs or is in one run only (for scripts)."
        ),
    ] = False,
) -> None:
    """Compare the metrics of two runs value by value; a run named alone is compared with the
    last complete run of its params before it.

    Says what each run was (commit, processor, params), what they were run with that differs
    (params, lock, versions, processor), how many values are the same, and lists those that
    differ by their path in metrics.json. With the same params, lock and processor every value
    is the same but the few that measure the machine (wall times, file sizes): --ignore leaves
    those out, and --check makes any other difference an exit code."""
    from aura.reports.run_compare import (
        RunNotReadable,
        compare_values,
        describe_run,
        previous_run,
        read_run,
        same_notebooks,
        setting_differences,
        shown_difference,
    )

    try:
        if run_b is None:
            b = read_run(run_a)
            a = previous_run(b)
        else:
            a, b = read_run(run_a), read_run(run_b)
        a, b, only = same_notebooks(a, b)
    except RunNotReadable as exc:
        raise fail(str(exc)) from exc
    except OSError as exc:  # a folder on the way that cannot be looked at
        raise fail(f"{exc.filename}: cannot be read ({exc.strerror})") from exc
    for side, run in (("A", a), ("B", b)):
        console.print(f"{side}  {escape(run.label)}: {escape(describe_run(run))}")
    if run_b is None:
        console.print("A is the last complete run of B's params before it")
    for line in setting_differences(a, b):
        console.print(f"[yellow]note:[/] {escape(line)}")
    if only:
        console.print(f"compared: {escape(only)}")
    result = compare_values(a.metrics, b.metrics, rtol=rtol, ignore=ignore or ())
    tolerance = f" (within a relative {rtol:g})" if rtol else ""
    counts = [
        f"{result.same:,} the same{tolerance}",
        f"{len(result.differ):,} differ",
        f"{len(result.only_a):,} in A only",
        f"{len(result.only_b):,} in B only",
    ]
    if result.left_out:
        counts.append(f"{result.left_out:,} left out by --ignore")
    total = result.compared + len(result.only_a) + len(result.only_b) + result.left_out
    console.print(f"{total:,} values: " + ", ".join(counts))
    if result.differ:
        rows = [(d.path, *shown_difference(d)) for d in result.differ[:most]]
        _print_columns(("value", "A", "B", "B - A"), rows)
        if len(result.differ) > most:
            console.print(f"... and {len(result.differ) - most:,} more (--most)")
    for side, paths in (("A", result.only_a), ("B", result.only_b)):
        if paths:
            shown = ", ".join(paths[:most]) + (" ..." if len(paths) > most else "")
            console.print(f"in {side} only: {escape(shown)}")
    if check and not result.identical:
        raise fail(
            f"the runs differ in {len(result.differ) + len(result.only_a) + len(result.only_b):,} "
            "value(s) (--check)"
        )


@runs_app.command("list")
def runs_list(
    folder: Annotated[
        str | None,
        typer.Option(
            "--runs-dir",
            help=f"The folder of runs (default: {from_the_root(RUNS_DIR)}).",
            show_default=False,
            callback=named_folder("a folder of runs"),
            metavar=FOLDER_METAVAR,
        ),
    ] = None,
) -> None:
    """List the runs `aura run` has made, oldest first: status, params, commit (+ for
    uncommitted changes), start (UTC), time taken, notebooks run through, and which run
    reports/latest shows; and how many of its metrics' values are the same as in the last
    complete run of its params before it, as its front page says. A run killed outright reads
    as stopped, as on its front page."""
    from aura.reports.run_list import list_runs

    runs_dir = Path(folder) if folder else RUNS_DIR
    if runs_dir.is_file():
        raise fail(f"{runs_dir}: a file, not a folder of runs")
    if not runs_dir.is_dir():
        raise fail(f"{runs_dir}: no such folder of runs (`aura run` makes one)")
    try:
        lines = list_runs(runs_dir, runs_dir.parent / LATEST_LINK.name)
    except OSError as exc:  # the folder, or one in it, that cannot be looked at
        raise fail(f"{exc.filename}: cannot be read ({exc.strerror})") from exc
    if not lines:
        console.print(f"no runs in {runs_dir} (`aura run` makes one)")
        return
    headers = (
        "run",
        "status",
        "params",
        "commit",
        "started (UTC)",
        "took",
        "notebooks",
        "same as before",
        "",
    )
    rows = [
        (
            line.name,
            line.status,
            line.params,
            line.commit,
            line.started,
            line.took,
            line.notebooks,
            line.same_as_before,
            "latest" if line.latest else "",
        )
        for line in lines
    ]
    _print_columns(headers, rows)


def _print_columns(headers: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Print a table as plain columns, each as wide as its longest cell: a rich table folds
    paths and dates, down to a letter a line, at a log's or a pipe's 80 columns. Widths are
    counted in terminal cells, where a CJK character takes two."""
    widths = [max(cell_len(row[k]) for row in (headers, *rows)) for k in range(len(headers))]
    for row in (headers, *rows):
        line = "  ".join(
            cell + " " * (width - cell_len(cell)) for cell, width in zip(row, widths, strict=True)
        )
        console.print(escape(line.rstrip()))
