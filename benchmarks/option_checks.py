"""Option checks the benchmarks share, as typer callbacks: a bad value is refused with a usage
error naming the option, before any run (a benchmark writes its report after minutes); and how
a benchmark runs its command, so that a usage error is said as `aura` says it (`run`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import typer

from aura.api.artifacts import ArtifactError, verify_artifacts
from aura.api.settings import Settings
from aura.cli.common import UsageLineCommand
from aura.files import unwritable


def writable_out(out: Path | None) -> Path | None:
    """``--out``, if a report can be written there (None: the benchmark's default, in
    reports/bench/)."""
    problem = None if out is None else unwritable(out)
    if problem:
        raise typer.BadParameter(f"{out} {problem}")
    return out


def service_settings(artifacts: Path, *, batch_records: int = 0) -> Settings:
    """The service's settings from the environment (AURA_MAX_RECORDS, AURA_ORT_THREADS, ...),
    as the server or handler the benchmark starts will read them; a value it cannot use, or
    a record limit below ``batch_records``, stops the benchmark in one line naming the variable
    before anything is measured (a 413 on the batches ended a run after its first minute)."""
    try:
        settings = Settings.from_env(artifacts)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="the environment") from None
    if settings.max_records < batch_records:
        raise typer.BadParameter(
            f"AURA_MAX_RECORDS is {settings.max_records}; the benchmark sends "
            f"{batch_records:,}-record batches (unset it)",
            param_hint="the environment",
        )
    if batch_records and settings.max_body_bytes < Settings.max_body_bytes:
        raise typer.BadParameter(
            f"AURA_MAX_BODY_BYTES is {settings.max_body_bytes}; the benchmark's "
            f"{batch_records:,}-record batches are sized for the default "
            f"{Settings.max_body_bytes} (unset it)",
            param_hint="the environment",
        )
    return settings


def servable_artifacts(folder: Path) -> Path:
    """``--artifacts``, if the service would start on it (manifest, every file, sha256)."""
    try:
        verify_artifacts(folder)
    except ArtifactError as exc:
        raise typer.BadParameter(str(exc)) from None
    return folder


def app_of(main: Callable[..., None]) -> typer.Typer:
    """``main`` as the app `typer.run` makes of it, with `aura`'s usage errors: one ``error:``
    line naming the benchmark, the option, the value given and its ``--help``, exit code 2
    (`aura.cli.common.UsageLineCommand`; typer's own drew a panel of five lines or more), and
    `aura`'s help (flags shown bare)."""
    app = typer.Typer(add_completion=False)
    app.command(cls=UsageLineCommand)(main)
    return app


def run(main: Callable[..., None]) -> None:
    """Run ``main`` as the benchmark's command (`app_of`)."""
    app_of(main)()
