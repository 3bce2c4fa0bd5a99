"""Run the numbered notebooks with one params file and keep everything needed to reproduce them.

A run executes ``notebooks/NN_*.ipynb`` in order with papermill into ``reports/runs/<run-name>/``,
renders each executed notebook to HTML twice (with code for engineers, ``*.report.html`` without
code for stakeholders), merges the metrics notebooks wrote, and records in ``run.json`` the exact
params, command line, git commit and library versions. ``reports/latest`` points at the newest
complete run that succeeded: stakeholders open it and nothing else, so it moves only once every
notebook has run. A run of some notebooks (``--only``) keeps its own folder and leaves it where it
was: its index would show those notebooks' results alone. A failing notebook stops the run,
because later notebooks consume its outputs; what was written up to then, including the partially
executed notebook, is kept for diagnosis in its own folder, and ``reports/latest`` stays where it
was.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

from nbclient.exceptions import CellTimeoutError
from rich.console import Console

from aura.config import (
    LATEST_LINK,
    NOTEBOOKS_DIR,
    RUNS_DIR,
    ParamsError,
    load_params,
    notebook_params,
    project_relative,
)
from aura.dependency_lock import lock_record
from aura.files import write_text_atomically
from aura.interrupts import interrupts_handled
from aura.params_check import (
    DRAWING_NOTEBOOK,
    EVALUATING_NOTEBOOKS,
    FOLDERS_WRITTEN,
    RUN_DIR_PARAM,
    SCORING_NOTEBOOK,
    TRAINING_NOTEBOOK,
    check_declared,
    check_drawn_tables,
    check_sections,
    check_served_pool,
    whole_run_problem,
    writable_folders,
)
from aura.reports.cell_failures import (
    CELL_LIMIT_REACHED,
    describe_failure,
    mark_timed_out_cell,
    quiet_stopped_cells,
)
from aura.reports.cell_ids import cells_without_id, quiet_missing_ids
from aura.reports.host import host_speed
from aura.reports.index import rewrite_stopped_pages, utc_time, write_index
from aura.reports.memory import PeakMemory
from aura.reports.metrics import collect_metrics
from aura.reports.provenance import git_state, library_versions, processor_name
from aura.reports.rendering import render_html, try_render
from aura.reports.run_compare import (
    AGAINST_KEY,
    PREVIOUS_LINK,
    RunNotReadable,
    against_previous,
    last_complete_run,
)
from aura.reports.run_status import RUN_RECORD, RUNNING, this_process
from aura.reports.streams import merge_adjacent_streams

KERNEL_NAME = "python3"
NOTEBOOK_PATTERN = re.compile(r"^(\d{2})_\w+\.ipynb$")


def kernel_config(stderr_log: Path | None = None) -> Any:
    """Configuration for the kernels that execute notebooks: their loopback sockets are
    encrypted (CurveZMQ) where pyzmq supports it, which is also what keeps ipykernel from
    warning about plain-text transport at every notebook's start; with ``stderr_log``, the
    kernel's own log goes to that file, not the terminal (`aura.reports.kernels`)."""
    import zmq
    from traitlets.config import Config

    encryption = "auto" if zmq.has("curve") else "disabled"
    config = {"KernelManager": {"transport_encryption": encryption}}
    if stderr_log is not None:
        from aura.reports.kernels import LoggedKernelManager

        config["NotebookClient"] = {"kernel_manager_class": LoggedKernelManager}
        config["LoggedKernelManager"] = {"stderr_log": str(stderr_log)}
    return Config(config)


def kernel_log(executed: Path) -> Path:
    """Where the kernel that executes a notebook into ``executed`` writes its own log."""
    return executed.with_suffix(".kernel.log")


class PipelineError(RuntimeError):
    """A notebook failed, or the run was stopped (``interrupted``: Ctrl-C or SIGTERM, and
    ``stopped`` says where and when: "in notebook 02_x.ipynb after 40s"); the message names the
    notebook, and for a failure the cell and the error."""

    def __init__(
        self,
        message: str,
        *,
        notebook: str,
        cell: int | None,
        run_dir: Path,
        interrupted: bool = False,
        stopped: str = "",
    ) -> None:
        super().__init__(message)
        self.notebook = notebook
        self.cell = cell
        self.run_dir = run_dir
        self.interrupted = interrupted
        self.stopped = stopped


@dataclass
class NotebookResult:
    """What happened to one notebook of the run (kept in run.json)."""

    name: str
    status: str = "pending"
    seconds: float | None = None
    # its kernel's and the kernel's own processes' peak PSS (`aura.reports.memory`)
    peak_memory_mib: float | None = None
    outputs: list[str] = field(default_factory=list)


PARAMS_COPY = "params.yaml"
"""The run directory's copy of the params file the run was given, as text."""


def unnamed_notebooks(notebooks_dir: Path) -> list[str]:
    """The notebooks in ``notebooks_dir`` that no run executes, their names outside the
    ``NN_name.ipynb`` pattern (JupyterLab's ``01_data_synthesis-Copy1.ipynb``, a
    ``07-example.ipynb``): named by `run_pipeline`, since a notebook left out without a word
    reads as one that ran and reported nothing."""
    return sorted(
        p.name for p in notebooks_dir.glob("*.ipynb") if not NOTEBOOK_PATTERN.match(p.name)
    )


def notebooks_without_ids(notebooks: Sequence[Path]) -> list[str]:
    """Each of ``notebooks`` whose cells lack the id their format (4.5) asks for, with how many
    do, as "01_x.ipynb (2 cells)": a run leaves its notebooks as they are, and says this once
    where nbformat warned over three lines at each reading (`aura.reports.cell_ids`)."""
    named = []
    for notebook in notebooks:
        count = len(cells_without_id(json.loads(notebook.read_text(encoding="utf-8"))))
        if count:
            named.append(f"{notebook.name} ({count} cell{'s' if count > 1 else ''})")
    return named


def discover_notebooks(notebooks_dir: Path, only: Sequence[str] | None = None) -> list[Path]:
    """The ``NN_*.ipynb`` notebooks in order, optionally restricted to some numbers.

    Whatever notebooks exist are run, so the pipeline grows as notebooks are added. ``only``
    holds number prefixes (``"01"``, ``"2"``) or full stems; an unknown one is an error so a typo
    does not silently run nothing.
    """
    found = sorted(p for p in notebooks_dir.glob("*.ipynb") if NOTEBOOK_PATTERN.match(p.name))
    if only is None:
        return found
    wanted = {s.strip() for s in only if s.strip()}
    if not wanted:  # e.g. --only "$EMPTY": running every notebook is not what was asked
        names = ", ".join(p.stem for p in found) or "none"
        raise ValueError(f"--only names no notebook (available: {names})")
    chosen = [p for p in found if p.stem in wanted or any(w.zfill(2) == p.name[:2] for w in wanted)]
    matched = {w for w in wanted for p in chosen if p.stem == w or w.zfill(2) == p.name[:2]}
    unknown = sorted(wanted - matched)
    if unknown:
        names = ", ".join(p.stem for p in found) or "none"
        unnamed = unnamed_notebooks(notebooks_dir)
        if unnamed:  # a fork's `7_example.ipynb` is the likely one asked for: say why it is not
            names += f"; not pipeline notebooks, named outside NN_name.ipynb: {', '.join(unnamed)}"
        raise ValueError(f"--only {', '.join(unknown)}: no such notebook (available: {names})")
    return chosen


def link_folder(run_dir: Path, link: Path) -> None:
    """Point ``link`` at ``run_dir`` with a relative symlink, replaced atomically."""
    target = os.path.relpath(run_dir, link.parent)
    tmp = link.with_name(f".{link.name}.tmp-{os.getpid()}")
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    tmp.symlink_to(target, target_is_directory=True)
    os.replace(tmp, link)


def default_run_name(params_path: Path) -> str:
    """``<params stem>-<UTC timestamp>``, sortable by time."""
    return f"{params_path.stem}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"


def _new_run_dir(runs_dir: Path, name: str, explicit: bool) -> Path:
    """Create the run directory; never reuse one, so a run's files are all from that run."""
    if name in {"", ".", ".."} or Path(name).name != name or name.startswith("."):
        raise ValueError(
            f"run name {name!r} is not a plain folder name (no '/', and not starting with '.'): "
            f"a run lands in {runs_dir}/<name>"
        )
    if name == LATEST_LINK.name:
        raise ValueError(
            f"run name {name!r} is what `aura runs compare` calls the run reports/{name} shows, "
            "so a run of that name could be compared only by its path: choose another"
        )
    run_dir = runs_dir / name
    if explicit and run_dir.exists():
        raise FileExistsError(f"run directory already exists: {run_dir} (choose another name)")
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = runs_dir / f"{name}-{suffix}"
    run_dir.mkdir(parents=True)
    return run_dir


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_text_atomically(path, json.dumps(data, indent=2, default=str) + "\n")


def _last_complete_run(run_dir: Path, latest_link: Path) -> dict[str, str | None]:
    """Where a run of some notebooks sends its reader for the others: the latest link, relative
    to the run's folder, and the run it points at as this one starts (None before any complete
    run succeeded)."""
    return {
        "link": os.path.relpath(latest_link, run_dir),
        "run": latest_link.resolve().name if latest_link.exists() else None,
    }


def _against_last_complete_run(run_dir: Path) -> dict[str, Any] | None:
    """This complete run against the last complete run of the same params (`against_previous`),
    for its front page, or None where there is none; one whose metrics cannot be read (deleted,
    damaged) is named with why.

    The page links that run through a link in its own folder, ``previous -> ../<run>``
    (``link``): the page is read at ``reports/latest/index.html`` as well as in ``runs/``, and
    ``../<run>/`` from ``latest/`` is ``reports/<run>/``, which is no folder. Where the file
    system makes no links, the page links ``../<run>/``, right from ``runs/`` alone."""
    previous = last_complete_run(run_dir)
    if previous is None:
        return None
    try:
        against = against_previous(run_dir, previous)
    except RunNotReadable as exc:
        against = {"run": previous.name, "unreadable": str(exc)}
    try:
        link_folder(previous, run_dir / PREVIOUS_LINK)
    except OSError:
        return against
    return {**against, "link": PREVIOUS_LINK}


def _run_record(
    run_dir: Path,
    params_path: Path,
    params: dict[str, Any],
    only: Sequence[str] | None,
    left_out: Sequence[str],
    latest_link: Path,
    lock: dict[str, Any] | None,
    cell_timeout: int | None = None,
) -> dict[str, Any]:
    """run.json as a run starts: what ran (params, command, commit) and where (Python, platform,
    processor, the host's speed, library versions), so that a result can be traced and a slow
    run told from a slow host. ``complete`` says whether it runs every notebook, with those it
    leaves out and where the last complete run is: only the ``reproduce`` line told a run of
    some (``--only``) from a whole one, and its index page did not say so. ``process`` is the
    process and host that run it: a run killed outright cannot write that it stopped, and a
    reader tells it from one under way by that process being gone (`run_status`).
    ``cell_timeout_s`` is the per-cell limit the run had (``--cell-timeout``; None: none)."""
    return {
        "run_name": run_dir.name,
        "status": "running",
        "process": this_process(),
        "complete": not left_out,
        "left_out": list(left_out),
        "last_complete_run": _last_complete_run(run_dir, latest_link) if left_out else None,
        "params_file": str(params_path),
        "params": params,
        "command": shlex.join(sys.argv),
        # The command that makes the same run, however this one was started (`python -m
        # aura.cli`, a test, a notebook): the index's "Reproduce" line.
        "reproduce": shlex.join(
            ["aura", "run", "--params", str(params_path)]
            + (["--only", ",".join(only)] if only is not None else [])
            + (["--cell-timeout", str(cell_timeout)] if cell_timeout is not None else [])
        ),
        "cell_timeout_s": cell_timeout,
        "git": git_state(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": processor_name(),
        "host_speed_s": host_speed(),
        "libraries": library_versions(),
        # constraints.txt's digest and the packages held at another version than it locks
        "lock": lock,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "finished_at": None,
        "notebooks": [],
    }


def _execute(
    notebook: Path,
    out: Path,
    parameters: dict[str, Any],
    cwd: Path,
    cell_timeout: int | None = None,
) -> None:
    """Run one notebook with papermill into ``out``, in the venv's own kernel, from ``cwd``.
    The kernel's own log is kept beside ``out`` (`kernel_log`) where it wrote any. A cell still
    running after ``cell_timeout`` seconds raises nbclient's `CellTimeoutError`, and the kernel
    is shut down on the way out as for any error: its process group interrupted, the kernel asked
    to stop (ipykernel then ends the processes it started in that group), and the group killed
    if it has not stopped within seconds."""
    import papermill as pm

    log = kernel_log(out)
    try:
        with quiet_missing_ids():  # said once, as the run began (`notebooks_without_ids`)
            pm.execute_notebook(
                str(notebook),
                str(out),
                parameters=parameters,
                kernel_name=KERNEL_NAME,
                config=kernel_config(stderr_log=log),
                language="python",
                cwd=str(cwd),
                progress_bar=False,
                execution_timeout=cell_timeout,
                on_cell_executed=merge_adjacent_streams,
            )
    finally:
        if log.exists() and log.stat().st_size == 0:
            log.unlink()


class _RunState:
    """One run's record as it goes: each change of state lands in run.json and the run's index
    at once, so a run stopped at any point leaves files that say how far it got and why."""

    def __init__(self, run_dir: Path, record: dict[str, Any], notebooks: list[Path]) -> None:
        self.run_dir = run_dir
        self.record = record
        self.results = [NotebookResult(nb.name) for nb in notebooks]
        self.started = time.perf_counter()
        self.notebook_started: float | None = None  # when the running notebook started

    def caption(self) -> str:
        """The line that heads each of the run's HTML reports: run, params file, commit."""
        git = self.record["git"]
        commit = f"commit `{git['commit'][:12]}`" if git.get("commit") else "no git commit"
        changed = " with uncommitted changes" if git.get("dirty") else ""
        return (
            f"*Run `{self.record['run_name']}` of `aura run` with params "
            f"`{self.record['params_file']}`, {commit}{changed}, started "
            f"{utc_time(self.record['started_at'])}. Its numbers are that params file's.*"
        )

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self.started

    def save(self, status: str, error: str | None = None) -> None:
        """Write run.json and the run's index as the run stands, with ``status``."""
        self.record["status"] = status
        self.record["error"] = error
        # A run under way has not finished: its page said "to 20:22:43 UTC (6 min 13 s)" as if
        # it had, the time of its last save, and so did a run killed outright ever after.
        ended = status != RUNNING
        self.record["finished_at"] = (
            datetime.now(UTC).isoformat(timespec="seconds") if ended else None
        )
        self.record["notebooks"] = [vars(r) for r in self.results]
        _write_json(self.run_dir / RUN_RECORD, self.record)
        write_index(self.run_dir)

    def stop(self, status: str, result: NotebookResult | None, message: str) -> None:
        """A failed or interrupted run: the notebook's status, its partial output rendered, the
        metrics written so far merged, and run.json saying why."""
        if result is not None:
            result.status = status
            if result.seconds is None and self.notebook_started is not None:
                # a stopped notebook's time too: it ran that long before it was stopped
                result.seconds = round(time.perf_counter() - self.notebook_started, 3)
            out = self.run_dir / result.name
            if out.exists():
                result.outputs = [out.name, *try_render(out, self.caption())]
        collect_metrics(self.run_dir)
        self.save(status, message)

    def running(self) -> NotebookResult | None:
        """The notebook being executed, if any."""
        return next((r for r in self.results if r.status == "running"), None)


def _check_params(
    params: dict[str, Any], params_path: Path, notebooks: list[Path], notebooks_dir: Path
) -> dict[str, dict[str, Any]]:
    """Each notebook's parameters, every section checked up front: a missing one should not
    surface an hour into the run."""
    per_notebook = {
        nb.stem: notebook_params(params, nb.stem, source=params_path) for nb in notebooks
    }
    check_declared(params, discover_notebooks(notebooks_dir), params_path)
    check_sections(params, params_path, per_notebook)
    if DRAWING_NOTEBOOK in per_notebook and TRAINING_NOTEBOOK in per_notebook:
        check_drawn_tables(params, params_path)
    if DRAWING_NOTEBOOK in per_notebook and SCORING_NOTEBOOK in per_notebook:
        check_served_pool(params, params_path)
    # `--only 04`, `--only 05` or `--only 06` on folders the notebooks before them never filled
    from aura.notebook_inputs import missing_inputs

    problem = missing_inputs(per_notebook)
    if problem:
        raise ParamsError(f"{params_path}: {problem}")
    written = dict.fromkeys(k for stem in per_notebook for k in FOLDERS_WRITTEN.get(stem, ()))
    if written:
        writable_folders(params, params_path, *written)
    problem = whole_run_problem(params)
    if problem and any(stem in per_notebook for stem in EVALUATING_NOTEBOOKS):
        raise ParamsError(f"{params_path}: {problem}")
    from aura.rl.config import SECTION as RL_SECTION
    from aura.rl.config.experiment import load_experiment

    if (per_notebook.get(RL_SECTION) or {}).get("load") is True:
        # notebook 03 reads the saved grid: its absence surfaced after notebooks 01 and 02
        from aura.rl.saved import saved_grid  # pandas and the training code: only if needed

        try:
            saved_grid(load_experiment(params_path))
        except ParamsError as exc:
            raise ParamsError(f"{params_path}: {RL_SECTION}.load is true, but {exc}") from None
    return per_notebook


def run_pipeline(
    params_path: str | Path,
    *,
    notebooks_dir: Path = NOTEBOOKS_DIR,
    runs_dir: Path = RUNS_DIR,
    latest_link: Path | None = None,
    run_name: str | None = None,
    only: Sequence[str] | None = None,
    console: Console | None = None,
    cell_timeout: int | None = None,
) -> Path:
    """Execute the notebooks with ``params_path`` and return the run directory.

    ``notebooks_dir``, ``runs_dir`` and ``latest_link`` (default: ``latest`` beside ``runs_dir``)
    are arguments so tests can run the real pipeline on throwaway notebooks. Raises
    :class:`PipelineError` when a notebook fails, after writing run.json; ``latest_link`` moves to
    the run only once every notebook has run, so a failed or stopped run, or one of some
    notebooks (``only`` short of all of them), leaves it at the last complete run that succeeded
    (a stakeholder's page never turns into a half-run). ``cell_timeout`` (seconds, a whole
    number of at least 1) stops the run as a failure when a cell runs longer: a hung cell (a
    dead-locked worker, a stuck server) otherwise holds the run until someone kills it.
    """
    console = console or Console(soft_wrap=True)
    params_path = Path(params_path)
    notebooks_dir = Path(notebooks_dir).resolve()
    runs_dir = Path(runs_dir).resolve()
    latest_link = Path(latest_link) if latest_link else runs_dir.parent / LATEST_LINK.name

    if cell_timeout is not None and (isinstance(cell_timeout, bool) or cell_timeout < 1):
        raise ValueError(
            f"--cell-timeout {cell_timeout!r} is not a whole number of seconds of at least 1"
        )
    params = load_params(params_path)
    notebooks = discover_notebooks(notebooks_dir, only)
    left_out = [nb.name for nb in discover_notebooks(notebooks_dir) if nb not in notebooks]
    per_notebook = _check_params(params, params_path, notebooks, notebooks_dir)
    lock = lock_record()  # a malformed lock is refused here, before a run folder is made

    explicit = run_name is not None  # an empty name is refused, not replaced by the default
    name = run_name if run_name is not None else default_run_name(params_path)
    stopped = rewrite_stopped_pages(runs_dir) if runs_dir.is_dir() else []
    if stopped:
        console.print(
            f"[yellow]note:[/] stopped without a word (their process is gone; front pages "
            f"rewritten): {', '.join(stopped)}"
        )
    run_dir = _new_run_dir(runs_dir, name, explicit)
    record = _run_record(
        run_dir, params_path, params, only, left_out, latest_link, lock, cell_timeout
    )
    state = _RunState(run_dir, record, notebooks)
    # The file as it was run, comments and a derived file's header of changes included: the
    # params file itself may change or go after the run.
    write_text_atomically(run_dir / PARAMS_COPY, params_path.read_text(encoding="utf-8"))
    state.save("running")
    count = f"{len(notebooks)} notebook{'' if len(notebooks) == 1 else 's'}"
    console.print(f"[bold]Run[/] {run_dir}  ({count}, params {params_path})")
    if not notebooks:
        console.print(f"[yellow]No NN_*.ipynb notebooks in {notebooks_dir}[/]")
    unnamed = unnamed_notebooks(notebooks_dir)
    if unnamed:
        console.print(
            f"[yellow]note:[/] not run, named outside NN_name.ipynb (two digits, an underscore, "
            f"letters, digits or underscores): {', '.join(unnamed)}"
        )
    without_ids = notebooks_without_ids(notebooks)
    if without_ids:
        console.print(
            "[yellow]note:[/] cells without an id, which `aura notebooks record NAME` gives them "
            f"(this run gives its copies one): {', '.join(without_ids)}"
        )

    quiet_stopped_cells()

    def interrupted() -> NoReturn:
        """Ctrl-C or SIGTERM: say so in run.json, keep what was written, and name it (the error
        raised carries the message, which the caller says once)."""
        current = state.running()
        where = "between notebooks" if current is None else f"in notebook {current.name}"
        stopped = f"{where} after {state.elapsed():.0f}s"
        message = f"interrupted {stopped}\npartial output kept in {run_dir}"
        state.stop("interrupted", current, message)
        if current is not None:
            counter = f"[{state.results.index(current) + 1}/{len(state.results)}]"
            console.print(f"[red]✗[/] {counter} {Path(current.name).stem}")
        name = current.name if current else ""
        raise PipelineError(
            message, notebook=name, cell=None, run_dir=run_dir, interrupted=True, stopped=stopped
        )

    with interrupts_handled(interrupted):
        for i, (nb, result) in enumerate(zip(notebooks, state.results, strict=True), start=1):
            parameters = {**per_notebook[nb.stem], RUN_DIR_PARAM: project_relative(run_dir)}
            counter = f"[{i}/{len(notebooks)}]"
            _run_notebook(nb, result, parameters, state, counter, console, cell_timeout)

    metrics = collect_metrics(run_dir)
    against = None if left_out else _against_last_complete_run(run_dir)
    if against is not None:
        state.record[AGAINST_KEY] = against
    state.save("ok")
    if not left_out:
        link_folder(run_dir, latest_link)
    console.print(
        f"[bold green]Done[/] in {state.elapsed():.1f}s: {run_dir}"
        + ("  (metrics.json written)" if metrics else "")
    )
    if left_out:
        console.print(
            f"{latest_link} left as it was: {len(left_out)} notebook(s) did not run, and it shows "
            "complete runs only"
        )
    return run_dir


def _run_notebook(
    nb: Path,
    result: NotebookResult,
    parameters: dict[str, Any],
    state: _RunState,
    counter: str,
    console: Console,
    cell_timeout: int | None = None,
) -> None:
    """Execute one notebook of the run and render it; on failure (an error, or a cell past
    ``cell_timeout``), record it and raise :class:`PipelineError` naming the notebook and the
    cell."""
    out = state.run_dir / nb.name
    result.status = "running"
    state.save("running")  # killed outright, the run's files still name the notebook it was in
    start = state.notebook_started = time.perf_counter()
    with console.status(f"{counter} {nb.stem} ..."), PeakMemory() as peak:
        try:
            _execute(nb, out, parameters, nb.parent, cell_timeout)
        except Exception as exc:
            result.seconds = round(time.perf_counter() - start, 3)
            result.peak_memory_mib = peak.mib
            limit = isinstance(exc, CellTimeoutError) and CELL_LIMIT_REACHED in str(exc)
            if limit and cell_timeout is not None:
                cell = mark_timed_out_cell(out, nb, cell_timeout)
                where = f"cell {cell}" if cell is not None else "a cell"
                what = f"{where}: ran past the {cell_timeout} s per-cell limit (--cell-timeout)"
            else:
                cell, what = describe_failure(exc, nb)
            log = kernel_log(out)
            if log.exists():  # a kernel that died says why in its log alone
                what += f" (the kernel's own log: {log.name})"
            message = f"notebook {nb.name} failed in {what}\npartial output kept in {state.run_dir}"
            state.stop("failed", result, message)
            console.print(f"[red]✗[/] {counter} {nb.stem}")  # the error carries the message
            raise PipelineError(
                message, notebook=nb.name, cell=cell, run_dir=state.run_dir
            ) from exc
    result.seconds = round(time.perf_counter() - start, 3)
    result.peak_memory_mib = peak.mib
    result.status = "ok"
    result.outputs = [out.name, *(p.name for p in render_html(out, state.caption()))]
    state.save("running")
    console.print(
        f"[green]✓[/] {counter} {nb.stem}  {result.seconds:.1f}s, peak memory "
        f"{result.peak_memory_mib:,.0f} MiB (elapsed {state.elapsed():.1f}s)"
    )
