"""The ``aura`` command: run the pipeline, generate data, record notebooks, serve the API.

Heavy imports (papermill, the simulator, uvicorn) happen inside the commands so ``aura --help``
stays instant and one command's missing piece does not break the others.

``app`` and its three groups (``aura notebooks``, ``aura params``, ``aura runs``) are made here;
each command is in the module of its domain:

- ``pipeline``: ``run`` (the notebooks in order) and ``generate`` (the simulator's tables);
- ``rl_training``: ``train-rl`` (the grid), ``rl-budget`` and ``rl-probe`` (studies that train);
- ``rl_comparison``: ``rl-compare`` (a study against its grid) and ``rl-pools`` (other tutors);
- ``rl_tuning``: ``tune`` (Optuna);
- ``supervised``: ``train-supervised``; ``export``: ``export`` (ONNX); ``serve``: ``serve``;
- ``params``: ``params check`` and ``params derive``; ``notebooks``: ``notebooks record``;
- ``runs``: ``runs compare`` (two runs' metrics, value by value) and ``runs list``;
- ``common``: what they share (the consoles, the progress bar, the params file checked, the
  error and interruption lines, the classes of the commands and groups).
"""

from __future__ import annotations

from importlib import import_module
from typing import Annotated

import typer

from aura.cli.common import AuraTyper, InterruptedGroup

app = AuraTyper(
    cls=InterruptedGroup,
    help="AURA: adaptive tutoring research kit.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
)
notebooks_app = AuraTyper(
    cls=InterruptedGroup, help="Maintain the committed notebooks.", no_args_is_help=True
)
app.add_typer(notebooks_app, name="notebooks")
params_app = AuraTyper(
    cls=InterruptedGroup,
    help="Check params files, and write one from another with a few values changed.",
    no_args_is_help=True,
)
app.add_typer(params_app, name="params")
runs_app = AuraTyper(
    cls=InterruptedGroup, help="List and compare the runs `aura run` made.", no_args_is_help=True
)
app.add_typer(runs_app, name="runs")


def _print_version(value: bool) -> None:
    """``aura --version``: the installed package's version, which a citation or a bug report
    names (a run's ``run.json`` records the git commit as well)."""
    if value:
        from importlib.metadata import version

        print(f"aura {version('aura')}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Options that come before any command."""


# Each module's decorators add its commands to ``app`` as it is imported: after ``app`` exists,
# and in this order, which is the order ``aura --help`` lists them in.
COMMAND_MODULES = (
    "pipeline",
    "rl_training",
    "rl_comparison",
    "rl_tuning",
    "supervised",
    "export",
    "params",
    "notebooks",
    "runs",
    "serve",
)
for _module in COMMAND_MODULES:
    import_module(f"{__name__}.{_module}")
