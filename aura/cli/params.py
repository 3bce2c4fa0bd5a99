"""``aura params check`` and ``aura params derive``: params files checked as ``aura run`` checks
them, and written from another with a few values changed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from aura.cli import params_app
from aura.cli.common import (
    ParamsOption,
    check_new_params_file,
    console,
    fail,
    note_kept_folders,
)
from aura.config import NOTEBOOKS_DIR, PARAMS_DIR, ParamsError, load_params


@params_app.command("check")
def params_check(params: ParamsOption = PARAMS_DIR / "default.yaml") -> None:
    """Check a params file as `aura run` does before it starts: every key a parameter of its
    notebook, every section's values accepted (environments built, RL and supervised configs)."""
    from aura.params_check import check_params, whole_run_problem
    from aura.reports.runner import discover_notebooks

    try:
        loaded = load_params(params)
        checked = check_params(loaded, discover_notebooks(NOTEBOOKS_DIR), params)
    except ParamsError as exc:
        raise fail(str(exc)) from exc
    console.print(f"{params}: every key declared, sections checked: {', '.join(checked)}")
    problem = whole_run_problem(loaded)
    if problem:
        console.print(f"[yellow]note:[/] `aura run` refuses it whole: {escape(problem)}")


@params_app.command("derive")
def params_derive(
    out: Annotated[Path, typer.Option("--out", "-o", help="The params file to write.")],
    settings: Annotated[
        list[str],
        typer.Option(
            "--set",
            "-s",
            help="section.key=value, the value read as YAML (repeat for each change).",
        ),
    ],
    params: ParamsOption = PARAMS_DIR / "default.yaml",
    force: Annotated[bool, typer.Option(help="Overwrite --out if it exists.")] = False,
) -> None:
    """Write a copy of a params file with some values changed, comments and layout kept.

    The copy's header lists the changes, and it is written only once it passes `aura params
    check`. Example: --set '03_rl_training.algorithms=[ppo]' --set shared.models_dir=models/ppo
    """
    from aura.files import write_text_atomically
    from aura.params_check import check_params
    from aura.params_edit import derive_params
    from aura.reports.runner import discover_notebooks

    check_new_params_file(out, params, force, "--out")
    try:
        text, derived = derive_params(params, settings)
        check_params(derived, discover_notebooks(NOTEBOOKS_DIR), f"{params} with the changes")
    except ParamsError as exc:
        raise fail(f"nothing written to {out}: {exc}") from exc
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(out, text)
    except OSError as exc:
        raise fail(f"{out} cannot be written: {exc.strerror or exc}") from exc
    console.print(f"wrote {out}: {params} with {len(settings)} change(s), checked")
    note_kept_folders(derived, params)
