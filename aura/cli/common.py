"""What the commands share: the consoles, the params option, the progress bar over training
steps (and generated sessions), the params file loaded and checked, the lines said on an
error or an interruption, and the classes of the commands and groups (a usage error in one
line, flags shown bare in `--help`), which the benchmarks' commands take too."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from typer._click.core import Command
from typer._click.exceptions import NoArgsIsHelpError, UsageError
from typer.core import TyperCommand, TyperGroup, TyperOption

from aura.config import NOTEBOOKS_DIR, PARAMS_DIR, PROJECT_ROOT, ParamsError, load_params
from aura.files import unwritable

# soft_wrap: a line is never broken by rich (it breaks paths mid-name where output is not a
# terminal, e.g. CI logs); a terminal still wraps long lines for display.
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def from_the_root(path: Path) -> str:
    """A default path of the project as `--help` says it: from the project root, where a
    command reads it whatever the current folder. Typer showed the absolute path of the
    checkout the help was made in (``/home/NAME/aura/params/default.yaml``)."""
    return f"{path.relative_to(PROJECT_ROOT)}, from the project root"


ParamsOption = Annotated[
    Path,
    typer.Option(
        "--params",
        "-p",
        help=f"Params YAML file (default: {from_the_root(PARAMS_DIR / 'default.yaml')}).",
        show_default=False,
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        min=1, help="Worker processes (default: the params file's 03_rl_training.n_workers)."
    ),
]


def steps_progress() -> Progress:
    """A bar over training steps (or the sessions `aura generate` draws), with the time taken and
    the time left (on a terminal only, within 80 columns)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(bar_width=20),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TextColumn("elapsed,"),
        TimeRemainingColumn(),
        TextColumn("left"),
        console=console,
        disable=not console.is_terminal,  # a log keeps the lines of finished runs only
    )


def advancing(
    bar: Progress, description: str, unit: str = "steps", quiet_seconds: float = 0.0
) -> Callable[[int, int], None]:
    """An ``on_progress(steps, total)`` that moves ``bar``'s one task, made at the first report:
    steps kept from earlier runs are done at once, and must not count as speed for the time
    left. Without a terminal, where the bar is off, it logs a line at each tenth of the steps
    (or other ``unit``) instead, from ``quiet_seconds`` on: a probe or budget study in a log
    printed nothing for its minutes of training, while work that is mostly over in a second
    needs no line."""
    start = time.monotonic()
    logged = -1  # the last tenth logged

    def advance(steps: int, total: int) -> None:
        nonlocal logged
        if not bar.task_ids:
            bar.add_task(description, total=total, completed=steps)
        bar.update(bar.task_ids[0], completed=steps)
        tenth = 10 * steps // max(total, 1)
        quiet = time.monotonic() - start < quiet_seconds
        if not console.is_terminal and tenth > logged and not quiet:
            logged = tenth
            console.print(
                f"{description}: {steps:,} of {total:,} {unit} ({min(tenth, 10) * 10}%), "
                f"{time.monotonic() - start:.0f}s"
            )

    return advance


def check_new_params_file(out: Path, base: Path, force: bool, option: str) -> None:
    """Refuse to write a params file over its base, over a folder, or over an existing file
    without ``--force``: before any work, not after minutes of it."""
    if out.resolve() == base.resolve():
        raise fail(f"{option} {out} is the params file it derives from; name another file")
    if out.is_file() and not force:
        raise fail(f"{out} exists; --force overwrites it")
    problem = unwritable(out)
    if problem:
        raise fail(f"{option} {out} {problem}")


def note_kept_folders(written: dict, base: Path) -> None:
    """Say where a params file written from ``base`` keeps its folders: its runs would land on
    the base's (and training refuses to resume a run whose config differs)."""
    shared = load_params(base)["shared"]
    kept = {
        "models_dir": "its runs and results go where that file's do",
        "artifacts_dir": "its export (aura export, notebook 06) replaces that file's",
    }
    for key, consequence in kept.items():
        if written["shared"][key] == shared[key]:
            console.print(
                f"[yellow]note:[/] it keeps {base}'s {key} ({shared[key]}): {consequence}; "
                f"`aura params derive --set shared.{key}=...` keeps them apart"
            )


def checked_params(params: Path, *sections: str, writes: tuple[str, ...] = ()) -> dict[str, Any]:
    """The params file, loaded and checked as `aura params check` and `aura run` check it: a key
    no notebook takes is refused (the command would ignore it), and so is a value of
    ``sections`` (those whose values the command itself checks only as it uses them), or a folder
    of ``writes`` (shared keys) the command could not write its results into."""
    from aura.params_check import check_declared, check_sections, writable_folders
    from aura.reports.runner import discover_notebooks

    try:
        loaded = load_params(params)
        check_declared(loaded, discover_notebooks(NOTEBOOKS_DIR), params)
        check_sections(loaded, params, sections)
        if writes:
            writable_folders(loaded, params, *writes)
    except ParamsError as exc:
        raise fail(str(exc)) from exc
    return loaded


def note_one_seed(covers: Iterable[str]) -> None:
    """Say, beside the intervals shown, when one of them covers the held-out episodes alone
    (``covers``: what each covers, `aura.rl.intervals.interval_covers`)."""
    from aura.rl.intervals import EPISODES_ONLY, ONE_SEED_NOTE

    if EPISODES_ONLY in set(covers):
        console.print(f"[yellow]note:[/] {ONE_SEED_NOTE}")


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as it is (a value such as ``[ppo]`` is not rich markup) and exit with
    ``code`` (1; 130 for a run that Ctrl-C or SIGTERM stopped)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code=code)


def folder_interrupted(folder: Path, verb: str, kept: str) -> Callable[[], NoReturn]:
    """The one line said when Ctrl-C or SIGTERM stops a command that writes ``folder`` aside
    and moves it into place whole once its work is done (`atomic_directory`, which removes
    what it wrote aside when stopped): the folder is new only if stopped in the instant it was
    moved, else it keeps ``kept`` or was never there. Uncaught, SIGTERM ended the process
    before that cleanup and left a hidden folder of half the files beside it."""

    def identity() -> int | None:
        return folder.stat().st_ino if folder.is_dir() else None

    before = identity()

    def interrupted() -> NoReturn:
        where = escape(str(folder))
        if identity() != before:
            what = f"the models were {verb} to {where} just before"
        elif before is None:
            what = f"nothing was {verb} to {where}"
        else:
            what = f"nothing was {verb}; {where} keeps {kept}"
        err_console.print(f"[bold red]interrupted:[/] {what}")
        raise typer.Exit(code=130)

    return interrupted


def usage_line(error: UsageError, parsing: str) -> str:
    """The one line said for a usage error: the command, what is wrong (click's own message,
    which names the option), the value given where that message leaves it out (typer's checks
    of a type or a range say what the value should be, not what it was), and the command's
    help. ``parsing`` names the command whose arguments were being read, for the errors click
    raises without a context (an option missing its value)."""
    from pydantic import ValidationError

    command = error.ctx.command_path if error.ctx else parsing
    message = error.format_message().rstrip(".")
    if isinstance(error.__cause__, ValidationError):
        given = error.__cause__.errors()[0].get("input")
        message += f", got {given!r}"
    help_option = error.ctx.help_option_names[0] if error.ctx else "--help"
    return f"{command}: {message} (see {command} {help_option})"


@contextmanager
def usage_errors_in_one_line(parsing: Callable[[], str]) -> Iterator[None]:
    """Say a usage error in one ``error:`` line and exit 2, the usage-error code click gives it.
    Typer drew it as a panel of five lines or more under the command's usage. A group run
    without a command still shows its help (click raises that as a usage error too).
    ``parsing()``: the command whose arguments were being read (see `usage_line`)."""
    try:
        yield
    except NoArgsIsHelpError:
        raise
    except UsageError as error:
        err_console.print(f"[bold red]error:[/] {escape(usage_line(error, parsing()))}")
        raise typer.Exit(code=error.exit_code) from error


FOLDER_METAVAR = "<path>"
"""How `--help` shows a folder option read as a string (`named_folder`), as it shows a Path's."""


def named_folder(what: str) -> Callable[[str | None], str | None]:
    """A callback refusing an empty folder option as a usage error, "is empty; name ``what``".
    The option is read as a string (shown as ``FOLDER_METAVAR``): as a ``Path``, "" would
    already be ``.``, the current folder, which `aura generate` wrote its tables into and `aura
    runs list` listed unasked."""

    def check(value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise typer.BadParameter(f"is empty; name {what}")
        return value

    return check


def bare_flags(params: list[Any]) -> list[Any]:
    """``params`` with each flag (``--help``, ``--force/--no-force``) shown without a type in
    `--help`: it takes no value, yet typer's rich help gave it ``<bool>`` beside the types of
    the options that take one (its plain help leaves it out). An option's metavar is what the
    help shows as its type; a flag's usage errors name the flag, not its metavar."""
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    return params


class AuraCommand(TyperCommand):
    """A command whose `--help` shows its flags bare (`bare_flags`)."""

    def get_params(self, ctx: typer.Context) -> list[Any]:
        return bare_flags(super().get_params(ctx))


class AuraTyper(typer.Typer):
    """A typer app whose commands are `AuraCommand`s unless one names its own class: each
    command of `aura` gets it where it is declared, without naming it there."""

    def command(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", AuraCommand)
        return super().command(*args, **kwargs)


class OneLineOptionErrors(Command):
    """A command or group whose own options' usage errors, raised while `make_context` parses
    them, are one line each (`usage_errors_in_one_line`), naming the command by its parent's
    path and its own name."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: typer.Context | None = None,
        **extra: Any,
    ) -> typer.Context:
        def parsing() -> str:
            names = (parent.command_path if parent else "", info_name or self.name)
            return " ".join(n for n in names if n)

        with usage_errors_in_one_line(parsing):
            return super().make_context(info_name, args, parent=parent, **extra)


class UsageLineCommand(OneLineOptionErrors, AuraCommand):
    """A command run on its own (a script's typer app of one command, as each benchmark is)
    whose usage errors are one line each, as `aura`'s are (`usage_errors_in_one_line`): those
    of its options, in `make_context`, and those its function raises (`typer.BadParameter`),
    in `invoke`. Typer drew them as a panel under the command's usage."""

    def invoke(self, ctx: typer.Context) -> Any:
        with usage_errors_in_one_line(lambda: ctx.command_path):
            return super().invoke(ctx)


class InterruptedGroup(OneLineOptionErrors, TyperGroup):
    """A group whose commands, stopped by Ctrl-C or SIGTERM outside their own handlers (while
    they import their libraries and check the params, seconds to tens of seconds, or while they
    print their results), say so in one line and exit 130. Ctrl-C there ended a command with
    exit code 130 and not a word, and SIGTERM killed it silently (exit 143). What the commands
    write is written whole or not at all (`aura.files`), so nothing is left half-written.

    Its usage errors are one line each (`usage_errors_in_one_line`): those of its own options,
    in `make_context`, and those of its commands and subgroups (an unknown command, a command's
    options), all parsed within `invoke`. Its own flags are shown bare, as its commands' are
    (`bare_flags`)."""

    def get_params(self, ctx: typer.Context) -> list[Any]:
        return bare_flags(super().get_params(ctx))

    def invoke(self, ctx: typer.Context) -> Any:
        from aura.interrupts import interrupts_handled

        def interrupted() -> NoReturn:
            name = " ".join(
                n for n in (ctx.info_name if ctx.parent else None, ctx.invoked_subcommand) if n
            )
            err_console.print(
                f"[bold red]interrupted:[/] aura {escape(name)} stopped; no file was left "
                "half-written"
            )
            raise typer.Exit(code=130)

        def parsing() -> str:  # the command named, once its name is read
            return " ".join(n for n in (ctx.command_path, ctx.invoked_subcommand) if n)

        with interrupts_handled(interrupted), usage_errors_in_one_line(parsing):
            return super().invoke(ctx)


def runs_interrupted(
    what: str,
    keeps: str = "its finished runs; the same command resumes the others from their last "
    "checkpoints",
) -> Callable[[], NoReturn]:
    """The one line said when Ctrl-C or SIGTERM stops a command that trains: what it keeps."""

    def interrupted() -> NoReturn:
        err_console.print(f"[bold red]interrupted:[/] {what} keeps {keeps}")
        raise typer.Exit(code=130)

    return interrupted
