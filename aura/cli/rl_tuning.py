"""``aura tune``: RL hyperparameters tuned with Optuna, by workers that may share a study."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from aura.cli import app
from aura.cli.common import (
    ParamsOption,
    check_new_params_file,
    checked_params,
    console,
    err_console,
    fail,
    note_kept_folders,
    runs_interrupted,
)
from aura.config import PARAMS_DIR, ParamsError, load_params


@app.command("tune")
def tune_rl(
    study: Annotated[str, typer.Option(help="Study name (created if new, resumed if it exists).")],
    params: ParamsOption = PARAMS_DIR / "default.yaml",
    storage: Annotated[
        str | None,
        typer.Option(
            help="SQLAlchemy URL, e.g. postgresql://user:password@host:5432/db; a relative SQLite "
            "path is from the project root (default: optuna.db in shared.models_dir, SQLite)."
        ),
    ] = None,
    n_trials: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Trials this worker runs (default: the params file's "
            "03_rl_training.tune.n_trials); 0 reads the study as it is, for its summary or "
            "--best-params.",
        ),
    ] = None,
    worker_id: Annotated[
        str | None,
        typer.Option(
            help="Recorded on each trial, and seeds this worker's sampler: give one to draw "
            "the same candidates again (default: host-pid, new on every start)."
        ),
    ] = None,
    best_params: Annotated[
        Path | None,
        typer.Option(help="Where to write the params file with the best trial's hyperparameters."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite --best-params if it exists.")] = False,
) -> None:
    """Tune RL hyperparameters with Optuna (TPE, median pruning); workers may share a study.

    What is tuned (algorithm, environment, trial budget, trials) is the params file's
    `03_rl_training.tune`. Ctrl-C or SIGTERM stops a worker: the study keeps its finished
    trials, and the same command adds more.
    """
    from aura.interrupts import interrupts_handled
    from aura.rl.tune import tune
    from aura.rl.tune_results import (
        block_not_beaten,
        read_study,
        references_line,
        study_summary,
        validation_references,
        write_best_params,
    )

    interrupted = runs_interrupted(
        f"study {escape(study)!r}",
        "its finished trials (a trial under way is recorded as failed); the same command adds more",
    )
    checked_params(params, "03_rl_training", writes=("models_dir",))
    if not study.strip():
        raise fail("--study needs a name: the study's trials are stored under it")
    if best_params is not None:
        check_new_params_file(best_params, params, force, "--best-params")
    with interrupts_handled(interrupted):
        try:
            if n_trials == 0:
                result = read_study(params, study_name=study, storage=storage)
            else:
                result = tune(
                    params,
                    study_name=study,
                    storage=storage,
                    n_trials=n_trials,
                    worker_id=worker_id,
                    show_progress_bar=sys.stderr.isatty(),
                    note=err_console.print,
                )
            summary = study_summary(result)
            console.print_json(data=summary)
            best = summary["best"]
            refs = validation_references(params)
            if refs is not None:
                console.print(references_line(refs, summary))
            warning = block_not_beaten(summary["params_block"], best and best["value"])
            if warning:
                console.print(f"[yellow]note:[/yellow] {warning}")
        except ParamsError as exc:
            raise fail(str(exc)) from exc
        except OSError as exc:  # a full disk, a folder made unwritable while the trials ran
            where = f" {exc.filename}" if exc.filename else ""
            raise fail(f"the study stopped: cannot write{where} ({exc.strerror or exc})") from exc
    if best_params is None:
        return
    if summary["best"] is None:  # nothing to write: a chained `aura train-rl` would not find it
        states = ", ".join(
            f"{n} {'failed' if state == 'FAIL' else state.lower()}"
            for state, n in summary["by_state"].items()
        )
        raise fail(
            f"--best-params {escape(str(best_params))} is not written: study {escape(study)!r} "
            f"has no complete trial ({states or 'no trial at all'})"
        )
    try:
        written = write_best_params(result, params, best_params)
    except ParamsError as exc:
        raise fail(str(exc)) from exc
    except OSError as exc:  # the study keeps its trials
        raise fail(
            f"{best_params} cannot be written ({exc.strerror or exc}); the study keeps its "
            "trials: run again with another --best-params and --n-trials 0"
        ) from exc
    console.print(f"best params: {written}")
    note_kept_folders(load_params(written), params)
